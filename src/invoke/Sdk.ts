import { type Attributes, type Span, SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { ServiceResolver } from '../discovery/ServiceResolver.js';
import type { ResolvedTarget } from '../discovery/types.js';
import { AbortedError } from '../errors/AbortedError.js';
import { AccessDeniedError } from '../errors/AccessDeniedError.js';
import { InvalidConfigError } from '../errors/InvalidConfigError.js';
import { InvokeError } from '../errors/InvokeError.js';
import { InvokeTimeoutError } from '../errors/InvokeTimeoutError.js';
import { PayloadTooLargeError } from '../errors/PayloadTooLargeError.js';
import { RemoteFunctionError } from '../errors/RemoteFunctionError.js';
import { SvcMeshError } from '../errors/SvcMeshError.js';
import { TargetNotFoundError } from '../errors/TargetNotFoundError.js';
import { ThrottledError } from '../errors/ThrottledError.js';
import {
  awsErrorMessage,
  awsErrorName,
  classifyAwsError,
  isAccessDenied,
  loadClassifier,
} from '../internal/awsErrors.js';
import { AwsClients, attachTraceHeader } from '../internal/clients.js';
import { type ResolvedConfig, type SdkConfig, resolveConfig } from '../internal/config.js';
import { STAGE_NAME_RE, parseTarget } from '../internal/names.js';
import { retryAfterFailure } from '../internal/retry.js';
import { currentScope } from '../internal/scope.js';
import {
  ATTR_ATTEMPTS,
  ATTR_CALLER,
  ATTR_DISCOVERY_SOURCE,
  ATTR_ERROR_CODE,
  ATTR_HOP,
  ATTR_STAGE,
  ATTR_TARGET,
  TRACER_NAME,
} from '../tracing/constants.js';
import { injectTraceContext, tracingActive, xrayTraceHeader } from '../tracing/propagation.js';
import type { MeshHealth, Resilience } from '../resilience/index.js';
import {
  ASYNC_PAYLOAD_LIMIT,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  MAX_TIMER_MS,
  RETRIES_OPTION,
  SYNC_PAYLOAD_LIMIT,
} from './constants.js';
import { checkSize, toJson } from './payload.js';
import type {
  InvokeAsyncOptions,
  InvokeAsyncResult,
  InvokeOptions,
  TargetInput,
  TargetOutput,
  WireMeta,
} from './types.js';
import { CallTable, undeclaredCall } from './shorthand.js';
import { encodeClientContext, isTimeoutError, parseFunctionError } from './wire.js';

const DEADLINE = Symbol('svc-mesh deadline');
const tracer = trace.getTracer(TRACER_NAME);

/** The runtime API: what `sdk` and `createSdk()` return. */
export interface MeshSdk {
  /**
   * The no-name form: calls the one target this function declares under `calling:`. The input
   * must be an object or array (a string first argument is always a name). For typed results use
   * `sdkFor('service:function')`.
   *
   * @example
   * ```ts
   * import { sdk } from 'svc-mesh';
   * const result = await sdk.invoke({ name: 'world' });
   * ```
   */
  invoke(input: object, options?: InvokeOptions): Promise<unknown>;
  /**
   * Calls a function synchronously (RequestResponse) and returns its parsed JSON result. `target` is
   * `service:function`, or, inside a function with a `calling:` list, a function name alone that
   * matches exactly one declared target.
   *
   * @example
   * ```ts
   * import { sdk } from 'svc-mesh';
   * const charge = await sdk.invoke('payments:charge', { orderId, amountCents: 1200 }, { idempotencyKey: orderId });
   * ```
   */
  invoke<T extends string>(target: T, input: TargetInput<T>, options?: InvokeOptions): Promise<TargetOutput<T>>;
  /** The no-name form of {@link MeshSdk.invokeAsync}: sends to the one declared target. */
  invokeAsync(input: object, options?: InvokeAsyncOptions): Promise<InvokeAsyncResult>;
  /**
   * Sends an Event invocation (fire and forget; Lambda retries it twice on failure).
   *
   * @example
   * ```ts
   * import { sdk } from 'svc-mesh';
   * await sdk.invokeAsync('ledger:record', { orderId });
   * ```
   */
  invokeAsync<T extends string>(
    target: T,
    input: TargetInput<T>,
    options?: InvokeAsyncOptions,
  ): Promise<InvokeAsyncResult>;
  /**
   * Prefetches the declared targets in one batch and loads the Lambda client. Call it during
   * Init (module top level) so the first request does not pay for discovery.
   *
   * @example
   * ```ts
   * import { sdk } from 'svc-mesh';
   * await sdk.prime();
   * ```
   */
  prime(): Promise<void>;
  /** Resolves a target without calling it (routes → SSM → exports, cached). */
  resolve(target: string, stage?: string): Promise<ResolvedTarget>;
  /**
   * The resiliency state of this execution environment: each breaker (closed, open, half-open,
   * with the failures that tripped it), each bulkhead, and injected faults (docs/resiliency.md).
   *
   * @example
   * ```ts
   * import { sdk } from 'svc-mesh';
   * export const health = defineFunction(async () => sdk.health());
   * ```
   */
  health(): MeshHealth;
}

/**
 * An explicitly configured runtime. Most handlers use the default `sdk`, built lazily from
 * the environment; use this for tests, scripts, or a second configuration.
 *
 * @example
 * ```ts
 * import { createSdk } from 'svc-mesh';
 * const mesh = createSdk({ stage: 'alice', stageFallback: ['dev'], region: 'eu-west-1' });
 * const user = await mesh.invoke('users:get', { id: '42' });
 * ```
 */
export class Sdk implements MeshSdk {
  /** @internal */
  readonly config: ResolvedConfig;
  /** @internal */
  readonly clients: AwsClients;
  readonly resolver: ServiceResolver;

  constructor(config: SdkConfig = {}) {
    this.config = resolveConfig(config);
    this.clients = new AwsClients(this.config);
    this.resolver = new ServiceResolver(this.config, this.clients);
  }

  invoke(input: object, options?: InvokeOptions): Promise<unknown>;
  invoke<T extends string>(target: T, input: TargetInput<T>, options?: InvokeOptions): Promise<TargetOutput<T>>;
  invoke(target: unknown, input?: unknown, options?: InvokeOptions): Promise<unknown> {
    // A function name alone, or no name: resolved to the full name first (./shorthand.ts).
    if (typeof target !== 'string' || target.indexOf(':') === -1) return this.#short('sync', target, input, options);
    return this.#route('sync', target, input, options ?? {});
  }

  invokeAsync(input: object, options?: InvokeAsyncOptions): Promise<InvokeAsyncResult>;
  invokeAsync<T extends string>(
    target: T,
    input: TargetInput<T>,
    options?: InvokeAsyncOptions,
  ): Promise<InvokeAsyncResult>;
  invokeAsync(target: unknown, input?: unknown, options?: InvokeAsyncOptions): Promise<InvokeAsyncResult> {
    if (typeof target !== 'string' || target.indexOf(':') === -1)
      return this.#short('async', target, input, options) as Promise<InvokeAsyncResult>;
    return this.#route('async', target, input, options ?? {}) as Promise<InvokeAsyncResult>;
  }

  #calls: CallTable | undefined;

  /** `invoke('someFunction', input, options?)` or `invoke(input, options?)`: see ./shorthand.ts. */
  #short(hop: 'sync' | 'async', a: unknown, b: unknown, c: unknown): Promise<unknown> {
    const target = (this.#calls ??= new CallTable(this.config)).resolve(hop, a, b, c);
    if (typeof target !== 'string') return target;
    return typeof a === 'string'
      ? this.#route(hop, target, b, (c ?? {}) as InvokeOptions)
      : this.#route(hop, target, a, (b ?? {}) as InvokeOptions);
  }

  /** Through the resilience policies when any is configured (or a fallback is given), else straight to the call. */
  #route(hop: 'sync' | 'async', target: string, input: unknown, o: InvokeOptions): Promise<unknown> {
    if (this.#resilient || (hop === 'sync' && o.fallback !== undefined)) return this.#guarded(hop, target, input, o);
    return this.#call(hop, target, input, o);
  }

  health(): MeshHealth {
    if (this.#resilience !== undefined) return this.#resilience.health();
    // Nothing called yet (or no policy): every declared breaker is closed.
    const breakers: MeshHealth['breakers'] = {};
    for (const [t, p] of Object.entries(this.config.policies ?? {})) {
      const b = (p as { breaker?: { failures?: number } }).breaker;
      if (b !== undefined) breakers[t] = { state: 'closed', failures: 0, threshold: b.failures ?? 0, opens: 0 };
    }
    return { breakers, bulkheads: {}, faults: [] };
  }

  /** True when a policy or a fault spec is configured: calls go through src/resilience. */
  get #resilient(): boolean {
    return this.config.policies !== undefined || this.config.faults !== undefined;
  }

  #resilience: Resilience | undefined;
  #loading: Promise<Resilience> | undefined;

  #guarded(hop: 'sync' | 'async', target: unknown, input: unknown, o: InvokeOptions): Promise<unknown> {
    const r = this.#resilience;
    if (r !== undefined) return r.run(hop, target as string, input, o);
    this.#loading ??= import('../resilience/index.js').then(async (m) => {
      const c = this.config;
      this.#resilience = await m.createResilience({
        policies: c.policies,
        faults: c.faults,
        self: c.self,
        calling: c.calling,
        defaultTimeoutMs: c.defaultTimeoutMs,
        deadlineMarginMs: c.deadlineMarginMs,
        onEvent: c.onResilienceEvent,
        call: (h, t, i, opts) => this.#call(h, t, i, opts),
      });
      return this.#resilience;
    });
    const loading = this.#loading;
    return loading.then(
      (res) => res.run(hop, target as string, input, o),
      (err: unknown) => {
        if (this.#loading === loading) this.#loading = undefined;
        throw err;
      },
    );
  }

  async prime(): Promise<void> {
    const work: Promise<unknown>[] = [this.resolver.prime(), this.clients.lambda()];
    // A subscribable function publishes on every invocation: load the SNS client during Init too.
    if (this.config.subscribable) work.push(this.clients.sns(), import('../events/LifecyclePublisher.js'));
    await Promise.all(work);
  }

  resolve(target: string, stage?: string): Promise<ResolvedTarget> {
    return this.resolver.resolve(target, stage);
  }

  async #call(hop: 'sync' | 'async', targetIn: unknown, input: unknown, o: InvokeOptions): Promise<unknown> {
    // 1. Everything that can be checked without the network, in order.
    const target = checkedTarget(targetIn);
    const c = this.config;
    if (c.calling !== undefined && !c.calling.has(target)) throw await undeclaredCall(c.self, target, c.callingList);
    checkOptions(o);
    if (o.signal?.aborted) throw new AbortedError(target, 0, { cause: o.signal.reason });
    const json = toJson(target, input);
    if (hop === 'sync') checkSize(target, 'sync', json, SYNC_PAYLOAD_LIMIT);

    const scope = currentScope();
    const now = Date.now();
    let deadline =
      o.timeoutMs !== undefined ? now + o.timeoutMs : scope ? Number.POSITIVE_INFINITY : now + c.defaultTimeoutMs;
    if (scope) deadline = Math.min(deadline, scope.deadline - c.deadlineMarginMs);
    const budget = Math.floor(deadline - now);
    if (budget <= 0) {
      throw new InvokeTimeoutError(
        target,
        'budget',
        0,
        `this invocation has ${scope ? scope.deadline - now : 0} ms left and keeps ${c.deadlineMarginMs} ms as a margin`,
      );
    }

    // 2. The CLIENT span covers discovery, retries and the call (no span at all without an SDK).
    let parent = context.active();
    if (scope !== undefined && trace.getSpanContext(parent) === undefined) parent = scope.trace;
    const span = tracingActive()
      ? tracer.startSpan(
          `invoke ${target}`,
          { kind: SpanKind.CLIENT, attributes: startAttributes(hop, target, c.self) },
          parent,
        )
      : undefined;
    const recording = span?.isRecording() === true;

    const meta: WireMeta = { svcmesh: '1' };
    if (c.self !== undefined) meta.caller = c.self;
    if (span !== undefined) injectTraceContext(trace.setSpan(parent, span), meta);
    else if (trace.getSpanContext(parent) !== undefined) injectTraceContext(parent, meta);
    // The X-Ray header goes on the Invoke request itself: Lambda hands it to the callee as
    // _X_AMZN_TRACE_ID, so the hop also joins X-Ray (as the X-Ray SDK does for AWS calls). Only
    // when X-Ray is in use (xrayHeader: 'auto'): the callee reads ClientContext first anyway.
    const xrayHeader = xrayTraceHeader(
      span !== undefined ? span.spanContext() : trace.getSpanContext(parent),
      c.xrayHeader,
    );
    // The deadline travels when there is one to honour (inside an invocation, or an explicit timeout).
    if (scope !== undefined || o.timeoutMs !== undefined) meta.deadline = String(Math.floor(deadline));
    if (o.idempotencyKey !== undefined) meta.idempotencyKey = o.idempotencyKey;

    let payload: string;
    let clientContext: string | undefined;
    if (hop === 'async') {
      payload = o.raw ? json : `{"svcmesh":1,"meta":${JSON.stringify(meta)},"payload":${json}}`;
      try {
        checkSize(target, 'async', payload, ASYNC_PAYLOAD_LIMIT);
      } catch (err) {
        endSpan(span, err);
        throw err;
      }
    } else {
      payload = json;
      // Nothing but the version marker to say: skip the header (and its signing cost).
      if (!o.raw && (meta.caller ?? meta.traceparent ?? meta.deadline ?? meta.idempotencyKey) !== undefined)
        clientContext = encodeClientContext(meta);
    }

    // 3. One abort handle per call: the caller's signal and the deadline both end it.
    const ac = new CallAbort();
    const timer = setTimeout(() => ac.abort(DEADLINE), Math.min(budget, MAX_TIMER_MS));
    timer.unref?.();
    const onAbort = () => ac.abort(o.signal?.reason);
    o.signal?.addEventListener('abort', onAbort, { once: true });

    let attempts = 0;
    let lastRequestId: string | undefined;
    let where: ResolvedTarget | undefined = this.resolver.cached(target, o.stage);
    let reResolved = false;
    const body = Buffer.from(payload);
    const attempt = async (): Promise<unknown> => {
      where ??= await this.resolver.resolve(target, o.stage);
      const lambda = this.clients.lambdaReady ?? (await this.clients.lambda());
      if (ac.signal.aborted) throw ac.signal.reason;
      attempts++;
      // RequestResponse is Lambda's default: no header needed for sync calls.
      const input: Record<string, unknown> = { FunctionName: where.functionArn, Payload: body };
      if (hop === 'async') input['InvocationType'] = 'Event';
      if (clientContext !== undefined) input['ClientContext'] = clientContext;
      const cmd = new lambda.commands.InvokeCommand(input);
      if (xrayHeader !== undefined) attachTraceHeader(lambda, cmd, xrayHeader);
      const out = await lambda.client.send(cmd, { abortSignal: ac.signal });
      const requestId: string | undefined = out?.$metadata?.requestId;
      if (recording) lastRequestId = requestId;
      if (hop === 'async') return requestId === undefined ? {} : { requestId };
      const text = decode(out?.Payload);
      if (out?.FunctionError) {
        const e = parseFunctionError(text);
        if (isTimeoutError(e)) throw new InvokeTimeoutError(target, 'remote', budget, e.errorMessage, { requestId });
        throw new RemoteFunctionError({
          target,
          functionArn: where.functionArn,
          requestId,
          errorType: e.errorType,
          errorMessage: e.errorMessage,
          remoteTrace: e.trace,
          remoteCode: e.code,
          remoteData: e.data,
          functionError: out.FunctionError,
        });
      }
      if (text.length === 0) return undefined;
      try {
        return JSON.parse(text);
      } catch (err) {
        throw new InvokeError(
          target,
          'InvalidResponse',
          `the function returned a body that is not JSON: ${text.slice(0, 80)}`,
          {
            cause: err,
          },
        );
      }
    };

    try {
      // The first attempt runs bare; retry machinery is only built after a failure.
      let result: unknown;
      try {
        result = await attempt();
      } catch (first) {
        result = await this.#retry(first, attempt, c, deadline, ac, o, () => {
          if (reResolved || where === undefined || where.source === 'routes') return false;
          reResolved = true;
          this.resolver.invalidate(target);
          where = undefined;
          return true;
        });
      }
      if (span !== undefined) {
        if (recording) setFinalAttributes(span, attempts, lastRequestId, where);
        span.end();
      }
      return result;
    } catch (raw) {
      await loadClassifier().catch(() => undefined);
      const err = this.#mapError(raw, target, where, attempts, budget, ac.signal, o.signal);
      if (recording && span !== undefined) setFinalAttributes(span, attempts, lastRequestId, where);
      endSpan(span, err);
      throw err;
    } finally {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
    }
  }

  #retry(
    first: unknown,
    attempt: () => Promise<unknown>,
    c: ResolvedConfig,
    deadline: number,
    ac: CallAbort,
    o: InvokeOptions,
    reResolve: () => boolean,
  ): Promise<unknown> {
    return retryAfterFailure(first, attempt, {
      retries: (o as { [RETRIES_OPTION]?: number })[RETRIES_OPTION] ?? c.maxRetries,
      baseMs: c.retryBaseMs,
      deadline,
      signal: () => ac.lazySignal(),
      shouldRetry: async (err) => {
        if (ac.signal.aborted) return false;
        // A coded remote error is the callee's deliberate answer (CARD_DECLINED, OUT_OF_STOCK): running the
        // function again gives the same answer and repeats its side effects (events, charges), so only
        // uncoded failures and timeouts are retried, and only under an idempotency key.
        if (err instanceof RemoteFunctionError) return o.idempotencyKey !== undefined && err.remoteCode === undefined;
        if (err instanceof InvokeTimeoutError && err.phase === 'remote') return o.idempotencyKey !== undefined;
        if (err instanceof SvcMeshError) return false;
        // A stale record (function replaced or moved stage): resolve once more.
        if (awsErrorName(err) === 'ResourceNotFoundException') return reResolve();
        await loadClassifier();
        const cls = classifyAwsError(err);
        return cls === 'throttle' || cls === 'unreached' || (cls === 'ambiguous' && o.idempotencyKey !== undefined);
      },
    });
  }

  #mapError(
    err: unknown,
    target: string,
    where: ResolvedTarget | undefined,
    attempts: number,
    budget: number,
    signal: { aborted: boolean; reason: unknown },
    userSignal: AbortSignal | undefined,
  ): unknown {
    if (userSignal?.aborted && !(err instanceof RemoteFunctionError)) {
      return new AbortedError(target, attempts, { cause: userSignal.reason });
    }
    if (signal.aborted && signal.reason === DEADLINE && !(err instanceof SvcMeshError)) {
      return new InvokeTimeoutError(target, 'client', budget, `after ${attempts} attempt${attempts === 1 ? '' : 's'}`, {
        cause: err,
      });
    }
    if (err instanceof SvcMeshError) return err;
    if (err === DEADLINE) return new InvokeTimeoutError(target, 'client', budget, 'no time left for another attempt');
    const name = awsErrorName(err);
    const message = awsErrorMessage(err);
    if (name === 'ResourceNotFoundException') {
      return new TargetNotFoundError(
        target,
        [{ stage: where?.stage, source: 'lambda', name: where?.functionArn ?? '(unresolved)' }],
        `Lambda answered ResourceNotFoundException for ${where?.functionArn} (found via ${where?.source} ${where?.location}) even after resolving it again: ${message}`,
        { cause: err },
      );
    }
    if (isAccessDenied(err)) {
      return new AccessDeniedError(target, 'lambda:InvokeFunction', where?.functionArn, message, this.config.self, {
        cause: err,
      });
    }
    if (name === 'RequestTooLargeException' || name === 'RequestEntityTooLargeException') {
      return new PayloadTooLargeError(target, 'sync', -1, SYNC_PAYLOAD_LIMIT, {
        cause: err,
        refusal: `${name}: ${message}`,
      });
    }
    const cls = classifyAwsError(err);
    if (cls === 'throttle') {
      const reason = (err as { Reason?: unknown }).Reason;
      return new ThrottledError(target, attempts, typeof reason === 'string' ? `${name} (${reason})` : name, {
        cause: err,
      });
    }
    return new InvokeError(target, name, `${message}${attempts > 1 ? ` (after ${attempts} attempts)` : ''}`, {
      cause: err,
      retryable: cls !== 'fatal',
    });
  }
}

/**
 * The abort handle of one call. The AWS SDK's HTTP handler accepts any `{ aborted, reason,
 * onabort }` object; a plain one costs far less per call than an AbortController (EventTarget
 * listeners), and the real AbortSignal is only built when a retry needs one.
 */
class CallAbort {
  readonly signal: { aborted: boolean; reason: unknown; onabort: ((this: unknown, ev?: unknown) => void) | null } = {
    aborted: false,
    reason: undefined,
    onabort: null,
  };
  #controller: AbortController | undefined;

  abort(reason: unknown): void {
    if (this.signal.aborted) return;
    this.signal.aborted = true;
    this.signal.reason = reason;
    this.#controller?.abort(reason);
    this.signal.onabort?.();
  }

  /** A real AbortSignal that follows this handle (for p-retry). */
  lazySignal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.signal.aborted) this.#controller.abort(this.signal.reason);
    }
    return this.#controller.signal;
  }
}

const validTargets = new Set<string>();

/** parseTarget, remembered for the (few) targets a function calls, so warm calls skip it. */
function checkedTarget(t: unknown): string {
  if (typeof t === 'string' && validTargets.has(t)) return t;
  const p = parseTarget(t);
  const s = `${p.service}:${p.function}`;
  if (validTargets.size < 1_000) validTargets.add(s);
  return s;
}

const OPTION_KEYS = new Set(['timeoutMs', 'signal', 'idempotencyKey', 'stage', 'raw']);

function checkOptions(o: InvokeOptions): void {
  if (typeof o !== 'object' || o === null)
    throw new InvalidConfigError(
      'options',
      `The options of invoke must be an object, got ${o === null ? 'null' : typeof o}.`,
    );
  for (const k in o) {
    if (!OPTION_KEYS.has(k))
      throw new InvalidConfigError(
        k,
        `invoke() has no option ${JSON.stringify(k)}. Options: timeoutMs, signal, idempotencyKey, stage, raw.`,
      );
  }
  if (
    o.timeoutMs !== undefined &&
    !(typeof o.timeoutMs === 'number' && Number.isFinite(o.timeoutMs) && o.timeoutMs > 0)
  )
    throw new InvalidConfigError(
      'timeoutMs',
      `timeoutMs must be a positive number of milliseconds (got ${String(o.timeoutMs)}).`,
    );
  if (
    o.idempotencyKey !== undefined &&
    (typeof o.idempotencyKey !== 'string' ||
      o.idempotencyKey.length === 0 ||
      o.idempotencyKey.length > MAX_IDEMPOTENCY_KEY_LENGTH)
  )
    throw new InvalidConfigError(
      'idempotencyKey',
      `idempotencyKey must be a non-empty string of at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters (e.g. the order id).`,
    );
  if (o.stage !== undefined && !(typeof o.stage === 'string' && STAGE_NAME_RE.test(o.stage)))
    throw new InvalidConfigError(
      'stage',
      `The stage option ${JSON.stringify(o.stage)} is not a stage name (letters, digits, '-').`,
    );
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal))
    throw new InvalidConfigError('signal', 'The signal option must be an AbortSignal.');
}

function decode(p: unknown): string {
  if (p === undefined || p === null) return '';
  if (typeof p === 'string') return p;
  const u = p as Uint8Array;
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('utf8');
}

const startCache = new Map<string, Attributes>();

/** The CLIENT span's starting attributes, built once per hop, target and caller. */
function startAttributes(hop: 'sync' | 'async', target: string, self: string | undefined): Attributes {
  const key = `${hop}|${target}|${self ?? ''}`;
  let a = startCache.get(key);
  if (a === undefined) {
    a = {
      [ATTR_HOP]: hop,
      [ATTR_TARGET]: target,
      'rpc.system': 'aws-api',
      'rpc.service': 'Lambda',
      'rpc.method': 'Invoke',
      'faas.invoked_provider': 'aws',
      'cloud.provider': 'aws',
    };
    if (self !== undefined) a[ATTR_CALLER] = self;
    if (startCache.size < 1_000) startCache.set(key, a);
  }
  return a;
}

/**
 * The attributes known once a call is over. The usual case (one attempt, a resolved target) is one
 * cached object per record; each extra setAttribute call costs, and so does spreading objects.
 */
function setFinalAttributes(
  span: Span,
  attempts: number,
  requestId: string | undefined,
  where: ResolvedTarget | undefined,
): void {
  if (where === undefined) span.setAttribute(ATTR_ATTEMPTS, attempts);
  else if (attempts === 1) span.setAttributes(whereAttributes(where));
  else span.setAttributes({ ...whereAttributes(where), [ATTR_ATTEMPTS]: attempts });
  if (requestId) span.setAttribute('aws.request_id', requestId);
}

const whereCache = new WeakMap<ResolvedTarget, Attributes>();

/** Span attributes of a resolved target (with `svcmesh.attempts` = 1), computed once per record. */
function whereAttributes(where: ResolvedTarget): Attributes {
  let a = whereCache.get(where);
  if (a === undefined) {
    const arn = where.functionArn;
    const parts = arn.split(':');
    a = {
      'faas.invoked_name': arn.startsWith('arn:') ? (parts[6] ?? arn) : (parts[0] ?? arn),
      [ATTR_DISCOVERY_SOURCE]: where.source,
      [ATTR_ATTEMPTS]: 1,
    };
    if (arn.startsWith('arn:') && parts[3]) a['faas.invoked_region'] = parts[3];
    if (where.stage) a[ATTR_STAGE] = where.stage;
    whereCache.set(where, a);
  }
  return a;
}

function endSpan(span: Span | undefined, err: unknown): void {
  if (span === undefined) return;
  if (span.isRecording()) {
    if (err instanceof Error) span.recordException(err);
    const code = (err as { code?: unknown } | undefined)?.code;
    if (typeof code === 'string') span.setAttribute(ATTR_ERROR_CODE, code);
    span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
  }
  span.end();
}

let defaultSdk: Sdk | undefined;

/** The default runtime, built on first use from `SVC_MESH_*` and `AWS_*`. @internal */
export function getDefaultSdk(): Sdk {
  defaultSdk ??= new Sdk();
  return defaultSdk;
}

/**
 * Forgets the default `sdk` (its configuration, clients and caches), so the next call reads the
 * environment again. For tests.
 *
 * @example
 * ```ts
 * import { resetDefaults } from 'svc-mesh';
 * afterEach(() => resetDefaults());
 * ```
 */
export function resetDefaults(): void {
  defaultSdk = undefined;
}

function lazy<A extends unknown[], R>(f: (s: Sdk, ...a: A) => Promise<R>): (...a: A) => Promise<R> {
  return (...a) => {
    let s: Sdk;
    try {
      s = getDefaultSdk();
    } catch (err) {
      return Promise.reject(err);
    }
    return f(s, ...a);
  };
}

/**
 * The default runtime, configured from the environment that codegen writes
 * (`SVC_MESH_STAGE`, `SVC_MESH_CALLING`, … and `AWS_REGION`). Nothing is loaded until the first call.
 *
 * @example
 * ```ts
 * import { sdk } from 'svc-mesh';
 * const charge = await sdk.invoke('payments:charge', { orderId: 'o-1', amountCents: 1200 });
 * ```
 */
export const sdk: MeshSdk = {
  invoke: lazy((s, target: any, input: any, options?: InvokeOptions) => s.invoke(target, input, options)),
  invokeAsync: lazy((s, target: any, input: any, options?: InvokeAsyncOptions) =>
    s.invokeAsync(target, input, options),
  ),
  prime: lazy((s) => s.prime()),
  resolve: lazy((s, target: string, stage?: string) => s.resolve(target, stage)),
  health: () => getDefaultSdk().health(),
} as MeshSdk;

/**
 * Builds a runtime from explicit options; anything not given is read from the environment.
 *
 * @example
 * ```ts
 * import { createSdk } from 'svc-mesh';
 * const mesh = createSdk({ stage: 'dev', region: 'us-east-1', endpoint: 'http://127.0.0.1:4566' });
 * ```
 */
export function createSdk(config: SdkConfig = {}): Sdk {
  return new Sdk(config);
}
