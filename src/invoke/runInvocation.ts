/**
 * The callee side shared by `defineFunction` and `defineSubscriber`: trace extraction, the
 * server/consumer span, the deadline scope, lifecycle events, error marking and span flushing.
 * @internal
 */
import { randomUUID } from 'node:crypto';
import { type Context, type Link, SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { DEFAULT_TIMEOUT_EVENT_MARGIN_MS } from '../events/constants.js';
import type { LifecyclePublisher, LifecycleRun } from '../events/LifecyclePublisher.js';
import type { LifecycleType } from '../internal/names.js';
import { invocationScope } from '../internal/scope.js';
import { ATTR_CALLER, ATTR_ERROR_CODE, ATTR_HOP, ATTR_TARGET, TRACER_NAME } from '../tracing/constants.js';
import { MAX_TIMER_MS } from './constants.js';
import { flushSpans } from '../tracing/flush.js';
import { extractTraceContext } from '../tracing/propagation.js';
import { type Sdk, getDefaultSdk } from './Sdk.js';
import type { DefineFunctionOptions, HandlerContext, Hop, LambdaContext, WireMeta } from './types.js';
import { attachErrorMarker, metaCaller, metaDeadline } from './wire.js';

const tracer = trace.getTracer(TRACER_NAME);
const publishers = new WeakMap<Sdk, LifecyclePublisher>();
let coldStart = true;

/** What the entry point extracted from the event. */
export interface Prepared {
  hop: Hop;
  /** What the handler receives. */
  arg: unknown;
  /** The run's input for lifecycle events. */
  input: unknown;
  meta?: WireMeta | undefined;
  carrier?: Readonly<Record<string, unknown>> | undefined;
  /** Span name (default: this function's `svc:fn`). */
  spanName?: (self: string) => string;
  kind?: SpanKind;
  /** Link the span to the carrier's context (consumers). */
  link?: boolean;
}

export async function runInvocation(
  prepared: Prepared,
  lambda: LambdaContext | undefined,
  options: DefineFunctionOptions,
  body: (arg: unknown, ctx: HandlerContext) => unknown,
): Promise<unknown> {
  const sdk = options.sdk ?? getDefaultSdk();
  const c = sdk.config;
  const t0 = performance.now();
  const now = Date.now();
  const remaining =
    typeof lambda?.getRemainingTimeInMillis === 'function' ? lambda.getRemainingTimeInMillis() : Number.NaN;
  // Lambda kills the process at its own deadline; the caller may need the answer sooner.
  const lambdaDeadline = Number.isFinite(remaining) ? now + remaining : now + c.defaultTimeoutMs;
  // The caller's deadline is a claim, clamped to what can be true: never past this process's own
  // deadline; ignored when already over as the invocation starts (a clock, a forged or a stale
  // value: honouring it would fail every nested call) and for Event invocations, whose caller is
  // not waiting (Lambda may run them minutes later, or retry them hours later).
  let deadline = lambdaDeadline;
  const callerDeadline = prepared.hop === 'async' ? undefined : metaDeadline(prepared.meta);
  if (callerDeadline !== undefined && callerDeadline > now && callerDeadline < deadline) deadline = callerDeadline;
  const requestId = typeof lambda?.awsRequestId === 'string' ? lambda.awsRequestId : randomUUID();
  const caller = metaCaller(prepared.meta);

  const parentCtx = extractTraceContext(prepared.carrier);
  const self = c.self ?? lambda?.functionName ?? 'handler';
  const links: Link[] = [];
  const parentSc = trace.getSpanContext(parentCtx);
  if (prepared.link && parentSc) links.push({ context: parentSc });
  const span = tracer.startSpan(
    prepared.spanName ? prepared.spanName(self) : self,
    { kind: prepared.kind ?? (prepared.hop === 'event' ? SpanKind.CONSUMER : SpanKind.SERVER), links },
    parentCtx,
  );
  if (span.isRecording()) {
    span.setAttributes({
      [ATTR_HOP]: prepared.hop,
      [ATTR_TARGET]: self,
      'faas.trigger': prepared.hop === 'event' ? 'pubsub' : 'other',
      'faas.invocation_id': requestId,
      'faas.coldstart': coldStart,
      'cloud.provider': 'aws',
    });
    if (lambda?.invokedFunctionArn) span.setAttribute('cloud.resource_id', lambda.invokedFunctionArn);
    if (lambda?.functionName) span.setAttribute('faas.name', lambda.functionName);
    if (caller) span.setAttribute(ATTR_CALLER, caller);
  }
  coldStart = false;
  const spanCtx = trace.setSpan(parentCtx, span);

  const ctx: HandlerContext = {
    lambda: lambda ?? fakeContext(requestId, deadline),
    requestId,
    deadline,
    remainingMs: () => Math.max(0, deadline - Date.now()),
    hop: prepared.hop,
  };
  if (caller !== undefined) ctx.caller = caller;
  if (prepared.meta?.idempotencyKey !== undefined) ctx.idempotencyKey = prepared.meta.idempotencyKey;

  // Lifecycle events: `start` goes out alongside the handler, then one terminal event; a
  // `provisional` failed may come before it when the deadline is near (see LifecycleEvent).
  const subscribable = options.subscribable ?? c.subscribable;
  let publisher: LifecyclePublisher | undefined;
  if (subscribable) {
    publisher = publishers.get(sdk);
    if (!publisher) {
      // Loaded only by subscribable functions (the SNS client itself loads on the first publish).
      const { LifecyclePublisher } = await import('../events/LifecyclePublisher.js');
      publisher = publishers.get(sdk) ?? new LifecyclePublisher(sdk);
      publishers.set(sdk, publisher);
    }
  }
  const pending: Promise<unknown>[] = [];
  let terminal = false;
  // After a provisional `failed`, the real outcome is published only while the invocation is still
  // inside its Lambda deadline: past it, Lambda has stopped the sandbox, so nothing of it may speak.
  let forecast = false;
  const final = () => !terminal && (!forecast || Date.now() <= lambdaDeadline);
  const attempt = attemptOf(process.env['SVC_MESH_ATTEMPT']);
  const tag = attempt === undefined ? {} : { attempt };
  // Events go out in order (start before success/failed); each settles to its error or undefined.
  let last: Promise<unknown> = Promise.resolve();
  const emit = (type: LifecycleType, run: Omit<LifecycleRun, 'requestId'>, parent: Context) => {
    const p = publisher;
    if (!p) return;
    last = last.then(() =>
      p.publish(type, { requestId, ...run }, parent).then(
        () => undefined,
        (err: unknown) => err,
      ),
    );
    pending.push(last);
  };
  let timer: NodeJS.Timeout | undefined;
  if (publisher) {
    emit('start', { ...tag, input: prepared.input }, spanCtx);
    const margin = options.timeoutEventMarginMs ?? DEFAULT_TIMEOUT_EVENT_MARGIN_MS;
    // Only the process's own timeout kills it: a caller giving up earlier is not a timeout here.
    const wait = lambdaDeadline - margin - Date.now();
    // Past MAX_TIMER_MS Node's timers fire at once; no Lambda runs that long, so no timer then.
    if (Number.isFinite(wait) && wait < MAX_TIMER_MS) {
      timer = setTimeout(
        () => {
          if (terminal) return;
          forecast = true;
          emit(
            'failed',
            {
              ...tag,
              provisional: true,
              input: prepared.input,
              error: {
                type: 'Sandbox.Timedout',
                message: `${self} is about to time out (${margin} ms before its deadline)`,
              },
              durationMs: performance.now() - t0,
            },
            spanCtx,
          );
        },
        Math.max(0, wait),
      );
      timer.unref?.();
    }
  }

  const scope = { deadline, requestId, caller, trace: spanCtx };
  let failure: { err: unknown } | undefined;
  let result: unknown;
  try {
    result = await context.with(spanCtx, () => invocationScope.run(scope, () => body(prepared.arg, ctx)));
    if (final()) {
      terminal = true;
      emit('success', { ...tag, input: prepared.input, result, durationMs: performance.now() - t0 }, spanCtx);
    }
  } catch (err) {
    failure = { err };
    attachErrorMarker(err);
    const e = err as { name?: unknown; message?: unknown; code?: unknown };
    if (span.isRecording()) {
      if (err instanceof Error) span.recordException(err);
      if (typeof e.code === 'string') span.setAttribute(ATTR_ERROR_CODE, e.code);
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
    }
    if (final()) {
      terminal = true;
      const error: { type: string; message: string; code?: string } = {
        type: err instanceof Error ? err.name : typeof err,
        message: err instanceof Error ? err.message : String(err),
      };
      if (typeof e.code === 'string') error.code = e.code;
      emit('failed', { ...tag, input: prepared.input, error, durationMs: performance.now() - t0 }, spanCtx);
    }
  } finally {
    if (timer) clearTimeout(timer);
  }
  const publishErrors = (await Promise.all(pending)).filter((x) => x !== undefined);
  for (const pe of publishErrors) logPublishError(pe);
  span.end();
  await flushSpans(Math.min(2_000, Math.max(0, lambdaDeadline - Date.now() - 50)));
  if (failure) throw failure.err;
  if (publishErrors.length > 0 && options.onPublishError === 'throw') throw publishErrors[0];
  return result;
}

/** `SVC_MESH_ATTEMPT` (set per invocation by the local mesh), if it is a positive integer. */
function attemptOf(v: string | undefined): number | undefined {
  if (v === undefined || !/^[1-9]\d{0,2}$/.test(v)) return undefined;
  return Number(v);
}

function logPublishError(err: unknown): void {
  const e = err as { name?: string; code?: string; message?: string };
  console.error(JSON.stringify({ level: 'ERROR', source: 'svc-mesh', name: e.name, code: e.code, message: e.message }));
}

function fakeContext(requestId: string, deadline: number): LambdaContext {
  return {
    functionName: process.env['AWS_LAMBDA_FUNCTION_NAME'] ?? 'local',
    functionVersion: '$LATEST',
    invokedFunctionArn: '',
    memoryLimitInMB: process.env['AWS_LAMBDA_FUNCTION_MEMORY_SIZE'] ?? '128',
    awsRequestId: requestId,
    logGroupName: '',
    logStreamName: '',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}
