/**
 * The span of every invocation the mesh runs, as Lambda's own X-Ray segment is: sync, Event,
 * SNS deliveries, each retry, and dead letters.
 *
 * The mesh continues the caller's context (a `traceparent` in ClientContext `custom`, in the
 * Event envelope's `meta` or in SNS message attributes; else a sampled `X-Amzn-Trace-Id`) and
 * picks the ids of the invocation's span. The worker gives those ids to the first span the
 * handler starts (defineFunction's SERVER span, defineSubscriber's CONSUMER span), so when the
 * handler records its span, that span is the invocation's span and the mesh adds nothing. When it
 * does not (a plain handler, a timeout, a crash, a kill, a load error), the mesh records the span
 * itself, with the duration, the Lambda error and the function's output as `log` events. Without
 * an incoming context the span is the root of a new trace: the mesh never invents a parent.
 * @internal
 */
import { randomFillSync } from 'node:crypto';
import type { OtlpKeyValue, OtlpSpan, OtlpTraceRequest } from './traces/otlp.js';
import type { LocalFunction } from './types.js';
import type { RuntimeErrorPayload } from './workers/types.js';
import { RemoteFunctionError, type RemoteFailureRoot } from 'svc-mesh/errors';
import { readFunctionError } from 'svc-mesh/internal';

const TRACEPARENT_RE = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const XRAY_ROOT_RE = /(?:^|;)\s*Root=1-([0-9a-fA-F]{8})-([0-9a-fA-F]{24})\s*(?:;|$)/;
const XRAY_PARENT_RE = /(?:^|;)\s*Parent=([0-9a-fA-F]{16})\s*(?:;|$)/;
const XRAY_SAMPLED_RE = /(?:^|;)\s*Sampled=1\s*(?:;|$)/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);
const MAX_LOG_EVENTS = 100;
const MAX_LOG_CHARS = 4_096;

/** The trace context an invocation arrived with. */
export interface Carrier {
  traceparent?: unknown;
  tracestate?: unknown;
}

export interface SpanParent {
  traceId: string;
  /** Absent for a new root. */
  spanId?: string;
  traceState?: string;
}

/** The caller's context, read the way the runtime reads it: the carrier first, then a sampled X-Ray header. */
export function parentOf(carrier: Carrier | undefined, xrayHeader: string | undefined): SpanParent | undefined {
  const tp = carrier?.traceparent;
  if (typeof tp === 'string') {
    const m = TRACEPARENT_RE.exec(tp.trim());
    if (m !== null && m[1] !== ZERO_TRACE && m[2] !== ZERO_SPAN) {
      const ts = carrier?.tracestate;
      return {
        traceId: m[1]!,
        spanId: m[2]!,
        ...(typeof ts === 'string' && ts.length > 0 && ts.length <= 512 ? { traceState: ts } : {}),
      };
    }
  }
  if (typeof xrayHeader === 'string' && xrayHeader.length <= 1024) {
    const root = XRAY_ROOT_RE.exec(xrayHeader);
    if (root === null) return undefined;
    const traceId = `${root[1]}${root[2]}`.toLowerCase();
    if (traceId === ZERO_TRACE) return undefined;
    const parent = XRAY_PARENT_RE.exec(xrayHeader)?.[1]?.toLowerCase();
    // An unsampled header keeps its trace id, but is no parent (as in the runtime).
    if (parent !== undefined && parent !== ZERO_SPAN && XRAY_SAMPLED_RE.test(xrayHeader))
      return { traceId, spanId: parent };
    return { traceId };
  }
  return undefined;
}

/** The trace context in the event of an svc-mesh Event envelope (`{svcmesh: 1, meta, payload}`), if any. */
export function envelopeCarrier(event: unknown): Carrier | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const e = event as { svcmesh?: unknown; meta?: unknown };
  if (e.svcmesh !== 1 || typeof e.meta !== 'object' || e.meta === null) return undefined;
  return e.meta as Carrier;
}

/** The trace context in SNS message attributes (`{ traceparent: { Type, Value } }`). */
export function snsCarrier(attributes: unknown): Carrier | undefined {
  if (typeof attributes !== 'object' || attributes === null) return undefined;
  const read = (k: string): string | undefined => {
    const a = (attributes as Record<string, { Value?: unknown; StringValue?: unknown } | undefined>)[k];
    const v = a?.Value ?? a?.StringValue;
    return typeof v === 'string' ? v : undefined;
  };
  const traceparent = read('traceparent');
  if (traceparent === undefined) return undefined;
  const tracestate = read('tracestate');
  return tracestate === undefined ? { traceparent } : { traceparent, tracestate };
}

export type InvocationHop = 'sync' | 'async' | 'event' | 'direct';

export interface InvocationStart {
  fn: LocalFunction;
  requestId: string;
  invocationType: 'RequestResponse' | 'Event';
  hop: InvocationHop;
  attempt: number;
  parent: SpanParent | undefined;
  /** SNS deliveries: the topic. */
  topicArn?: string;
}

/** An invocation's span, begun: its ids go to the worker. */
export interface InvocationSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** `_X_AMZN_TRACE_ID` for the worker: the caller's context, as Lambda passes it. */
  readonly xrayHeader: string;
  readonly start: InvocationStart;
  readonly startNs: bigint;
}

export interface InvocationEnd {
  /** The function error, as {@link readFailure} read it. */
  failure?: Failure | undefined;
  coldStart: boolean;
  /** The handler recorded the invocation's span itself (it arrived over IPC before `done`). */
  recorded: boolean;
  /** The function's output lines during the invocation (plain handlers show their logs). */
  logs?: { line: string; stderr: boolean; timeMs: number }[] | undefined;
}

const nowNs = (): bigint => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
const str = (key: string, v: string): OtlpKeyValue => ({ key, value: { stringValue: v } });
const int = (key: string, v: number): OtlpKeyValue => ({ key, value: { intValue: String(v) } });
const bool = (key: string, v: boolean): OtlpKeyValue => ({ key, value: { boolValue: v } });

/** Random bytes for ids, filled 4 KiB at a time: one system call per ~200 invocations, not two per invocation. */
const POOL = Buffer.alloc(4096);
let poolAt = POOL.length;
/** `n` random bytes as hex (not all zero, as W3C requires of ids). */
function randomHex(n: number): string {
  for (;;) {
    if (poolAt + n > POOL.length) {
      randomFillSync(POOL);
      poolAt = 0;
    }
    const hex = POOL.toString('hex', poolAt, poolAt + n);
    poolAt += n;
    if (!/^0+$/.test(hex)) return hex;
  }
}

/** A new X-Ray-style trace id: epoch seconds, then random (X-Ray accepts it; W3C too). */
export function newTraceId(): string {
  const epoch = Math.floor(Date.now() / 1000)
    .toString(16)
    .padStart(8, '0');
  return epoch + randomHex(12);
}

/** A function error read once per invocation, for its span and its failure line. */
export interface Failure {
  error: RuntimeErrorPayload;
  /** The svc-mesh code, from defineFunction's own marker line only. */
  code: string | undefined;
  /** The stack lines, without the marker line. */
  trace: string[];
  /** Where the failure started: another function when it crossed hops, else this one. */
  root: RemoteFailureRoot;
}

/**
 * A function error as the runtime reads it (svc-mesh/internal readFunctionError): `code` and
 * `data` only from defineFunction's own marker line, which is taken out of `trace`; and where the
 * failure started (RemoteFunctionError's `root`: another function when it crossed hops, else `target`).
 */
export function readFailure(target: string, error: RuntimeErrorPayload): Failure {
  const body = readFunctionError(error);
  const { root } = new RemoteFunctionError({
    target,
    errorType: body.errorType,
    errorMessage: body.errorMessage,
    remoteTrace: body.trace,
    remoteCode: body.code,
    remoteData: body.data,
  });
  return { error, code: body.code, trace: body.trace, root };
}

export class InvocationSpans {
  constructor(
    private readonly sink: (request: OtlpTraceRequest) => void,
    private readonly region: string,
  ) {}

  begin(start: InvocationStart): InvocationSpan {
    const traceId = start.parent?.traceId ?? newTraceId();
    const spanId = randomHex(8);
    const root = `Root=1-${traceId.slice(0, 8)}-${traceId.slice(8)}`;
    // No parent: a root header (no `Parent`), so the handler's span starts the trace with these ids.
    const xrayHeader =
      start.parent?.spanId === undefined ? `${root};Sampled=1` : `${root};Parent=${start.parent.spanId};Sampled=1`;
    return { traceId, spanId, xrayHeader, start, startNs: nowNs() };
  }

  /** Records the span unless the handler did. */
  end(span: InvocationSpan, end: InvocationEnd): void {
    if (end.recorded) return;
    const s = span.start;
    const fn = s.fn;
    const attributes: OtlpKeyValue[] = [
      str('svcmesh.hop', s.hop),
      str('svcmesh.target', fn.target),
      str('svcmesh.recorded_by', 'local-mesh'),
      str('faas.invocation_id', s.requestId),
      str('faas.trigger', s.hop === 'event' ? 'pubsub' : 'other'),
      bool('faas.coldstart', end.coldStart),
      str('faas.name', fn.name),
      str('cloud.resource_id', fn.arn),
      str('aws.lambda.invocation_type', s.invocationType),
      int('svcmesh.attempt', s.attempt),
    ];
    const events: OtlpSpan['events'] = [];
    for (const l of (end.logs ?? []).slice(0, MAX_LOG_EVENTS)) {
      events.push({
        name: 'log',
        timeUnixNano: `${Math.round(l.timeMs * 1000)}000`,
        attributes: [
          str('log.severity', l.stderr ? 'error' : 'info'),
          str('log.message', l.line.length > MAX_LOG_CHARS ? `${l.line.slice(0, MAX_LOG_CHARS)}…` : l.line),
        ],
      });
    }
    const endNs = nowNs();
    let status: OtlpSpan['status'] = { code: 0 };
    if (end.failure !== undefined) {
      const { error, code, trace } = end.failure;
      if (code !== undefined) attributes.push(str('svcmesh.error.code', code));
      events.push({
        name: 'exception',
        timeUnixNano: endNs.toString(),
        attributes: [
          str('exception.type', error.errorType),
          str('exception.message', error.errorMessage),
          ...(trace.length > 0 ? [str('exception.stacktrace', trace.join('\n'))] : []),
        ],
      });
      status = { code: 2, message: error.errorMessage };
    }
    const otlp: OtlpSpan = {
      traceId: span.traceId,
      spanId: span.spanId,
      ...(s.parent?.spanId === undefined ? {} : { parentSpanId: s.parent.spanId }),
      ...(s.parent?.traceState === undefined ? {} : { traceState: s.parent.traceState }),
      name:
        s.hop === 'event' && s.topicArn
          ? `${fn.target} <- ${s.topicArn.slice(s.topicArn.lastIndexOf(':') + 1)}`
          : fn.target,
      kind: s.hop === 'event' ? 5 : 2,
      startTimeUnixNano: span.startNs.toString(),
      endTimeUnixNano: endNs.toString(),
      attributes,
      events,
      links:
        s.hop === 'event' && s.parent?.spanId
          ? [{ traceId: span.traceId, spanId: s.parent.spanId, attributes: [] }]
          : [],
      status,
    };
    this.ingest(fn, otlp);
  }

  /** A dead letter: a short error span in the trace of the event that could not be delivered. */
  deadLetter(
    fn: { name: string; arn: string; target?: string; service?: string },
    parent: SpanParent | undefined,
    requestId: string,
    attempts: number,
    error: { errorType: string; errorMessage: string },
  ): void {
    if (parent === undefined) return;
    const t = nowNs();
    this.ingest(fn, {
      traceId: parent.traceId,
      spanId: randomHex(8),
      ...(parent.spanId === undefined ? {} : { parentSpanId: parent.spanId }),
      name: `dead letter ${fn.target ?? fn.name}`,
      kind: 1,
      startTimeUnixNano: t.toString(),
      endTimeUnixNano: t.toString(),
      attributes: [
        str('svcmesh.recorded_by', 'local-mesh'),
        str('faas.invocation_id', requestId),
        str('cloud.resource_id', fn.arn),
        int('svcmesh.attempts', attempts),
      ],
      events: [
        {
          name: 'exception',
          timeUnixNano: t.toString(),
          attributes: [str('exception.type', error.errorType), str('exception.message', error.errorMessage)],
        },
      ],
      links: [],
      status: { code: 2, message: `dead-lettered after ${attempts} attempt(s): ${error.errorMessage}` },
    });
  }

  private ingest(fn: { name: string; service?: string; stage?: string; key?: string }, span: OtlpSpan): void {
    const resource: OtlpKeyValue[] = [
      str('service.name', fn.service ?? fn.name),
      str('cloud.provider', 'aws'),
      str('cloud.platform', 'aws_lambda'),
      str('cloud.region', this.region),
      str('faas.name', fn.name),
    ];
    if (fn.stage !== undefined) resource.push(str('deployment.environment.name', fn.stage));
    if (fn.key !== undefined) resource.push(str('svcmesh.function', fn.key));
    try {
      this.sink({
        resourceSpans: [
          { resource: { attributes: resource }, scopeSpans: [{ scope: { name: 'svc-mesh/local' }, spans: [span] }] },
        ],
      });
    } catch {
      // tracing never fails an invocation
    }
  }
}
