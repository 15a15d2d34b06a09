/**
 * Trace-context propagation on the runtime path, using `@opentelemetry/api` only.
 *
 * Carriers: the ClientContext `custom` object (sync invokes), the envelope `meta` (Event
 * invokes) and SNS MessageAttributes (lifecycle events). When an OpenTelemetry SDK has
 * registered a propagator, it is used as is (W3C trace context, baggage, X-Ray…). When none is
 * registered (`propagation.fields()` is empty), a built-in W3C traceparent/tracestate pass-through
 * keeps the trace connected across functions that are not instrumented themselves; it costs
 * nothing when there is no incoming or active span context.
 * @internal
 */
import {
  type Context,
  ROOT_CONTEXT,
  type SpanContext,
  type TextMapGetter,
  type TextMapSetter,
  TraceFlags,
  createTraceState,
  isSpanContextValid,
  propagation,
  trace,
} from '@opentelemetry/api';
import type { XRayHeaderMode } from '../internal/config.js';

/** The W3C keys svc-mesh carries across a hop. */
export const TRACE_KEYS = ['traceparent', 'tracestate', 'baggage'] as const;
export type TraceCarrier = { traceparent?: string; tracestate?: string; baggage?: string };

const TRACEPARENT_RE = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;

/**
 * Parses a W3C `traceparent`. Returns undefined for anything malformed (never throws):
 * a bad header starts a new trace.
 */
export function parseTraceparent(value: unknown, tracestate?: unknown): SpanContext | undefined {
  if (typeof value !== 'string' || value.length > 512) return undefined;
  const m = TRACEPARENT_RE.exec(value.trim());
  if (!m) return undefined;
  const [, version, traceId, spanId, flags] = m as unknown as [string, string, string, string, string];
  // Version ff is forbidden; version 00 must have exactly four fields.
  if (version === 'ff' || (version === '00' && value.trim().length !== 55)) return undefined;
  const sc: SpanContext = { traceId, spanId, traceFlags: Number.parseInt(flags, 16) & 0xff, isRemote: true };
  if (!isSpanContextValid(sc)) return undefined;
  if (typeof tracestate === 'string' && tracestate.length > 0 && tracestate.length <= 512) {
    try {
      sc.traceState = createTraceState(tracestate);
    } catch {
      // a malformed tracestate is dropped, the parent is kept
    }
  }
  return sc;
}

/** Formats a span context as a W3C `traceparent` (version 00). */
export function formatTraceparent(sc: SpanContext): string {
  return `00-${sc.traceId}-${sc.spanId}-0${(sc.traceFlags & TraceFlags.SAMPLED).toString(16)}`;
}

const XRAY_ROOT_RE = /^1-([0-9a-fA-F]{8})-([0-9a-fA-F]{24})$/;
const XRAY_PARENT_RE = /^[0-9a-fA-F]{16}$/;

/**
 * Parses an AWS X-Ray trace header (`Root=1-…;Parent=…;Sampled=1`), as Lambda exposes it in
 * `_X_AMZN_TRACE_ID`. Rejects a header without `Parent`, with `Sampled=?` or without
 * `Sampled`, or with a malformed `Root` (as the OpenTelemetry X-Ray propagator does).
 */
export function parseXRayTraceHeader(header: unknown): SpanContext | undefined {
  if (typeof header !== 'string' || header.length > 1024) return undefined;
  let root: string | undefined;
  let parent: string | undefined;
  let sampled: string | undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const k = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    if (k === 'Root') root = v;
    else if (k === 'Parent') parent = v;
    else if (k === 'Sampled') sampled = v;
  }
  if (root === undefined || parent === undefined || (sampled !== '0' && sampled !== '1')) return undefined;
  const m = XRAY_ROOT_RE.exec(root);
  if (!m || !XRAY_PARENT_RE.test(parent)) return undefined;
  const sc: SpanContext = {
    traceId: `${m[1]}${m[2]}`.toLowerCase(),
    spanId: parent.toLowerCase(),
    traceFlags: sampled === '1' ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: true,
  };
  return isSpanContextValid(sc) ? sc : undefined;
}

/**
 * Formats a span context as an AWS X-Ray trace header (`Root=1-…;Parent=…;Sampled=…`), the
 * header Lambda turns into the callee's `_X_AMZN_TRACE_ID`: this is how svc-mesh hops join X-Ray.
 */
function formatXRayTraceHeader(sc: SpanContext): string {
  const sampled = (sc.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED ? '1' : '0';
  return `Root=1-${sc.traceId.slice(0, 8)}-${sc.traceId.slice(8)};Parent=${sc.spanId};Sampled=${sampled}`;
}

/**
 * The `X-Amzn-Trace-Id` an invoke carries for span context `sc`, or undefined. `auto` sends it only
 * when X-Ray is in use: a registered propagator writes `x-amzn-trace-id`, or this invocation runs
 * under Lambda active tracing (`_X_AMZN_TRACE_ID` says `Sampled=1`); otherwise nobody reads it.
 */
export function xrayTraceHeader(sc: SpanContext | undefined, mode: XRayHeaderMode): string | undefined {
  if (sc === undefined || mode === 'never' || !isSpanContextValid(sc)) return undefined;
  return mode === 'always' || xrayInUse() ? formatXRayTraceHeader(sc) : undefined;
}

function xrayInUse(): boolean {
  for (const f of propagation.fields()) if (f.toLowerCase() === 'x-amzn-trace-id') return true;
  return process.env['_X_AMZN_TRACE_ID']?.includes('Sampled=1') === true;
}

const recordSetter: TextMapSetter<Record<string, string>> = {
  set(carrier, key, value) {
    carrier[key] = value;
  },
};
/** `c[key]` when it is an own property: carriers are untrusted, nothing inherited is read. */
const own = (c: Readonly<Record<string, unknown>>, key: string): unknown =>
  Object.hasOwn(c, key) ? c[key] : undefined;

const recordGetter: TextMapGetter<Readonly<Record<string, unknown>>> = {
  keys: (c) => Object.keys(c),
  get(c, key) {
    const v = own(c, key);
    return typeof v === 'string' ? v : undefined;
  },
};

/**
 * Writes the trace context of `ctx` into `carrier` (keys traceparent, tracestate, baggage).
 * Only these keys are copied, so a registered X-Ray propagator cannot bloat ClientContext.
 */
export function injectTraceContext(ctx: Context, carrier: TraceCarrier): void {
  if (propagation.fields().length > 0) {
    const tmp: Record<string, string> = {};
    propagation.inject(ctx, tmp, recordSetter);
    for (const k of TRACE_KEYS) {
      const v = tmp[k];
      if (v !== undefined) carrier[k] = v;
    }
    return;
  }
  const sc = trace.getSpanContext(ctx);
  if (sc === undefined || !isSpanContextValid(sc)) return;
  carrier.traceparent = formatTraceparent(sc);
  const ts = sc.traceState?.serialize();
  if (ts) carrier.tracestate = ts;
}

/**
 * Reads the parent context from `carrier`. Falls back to the X-Ray header (`xrayHeader`, by
 * default `process.env._X_AMZN_TRACE_ID`) when the carrier has no valid trace context and the
 * header says `Sampled=1`.
 * Never throws: malformed input gives a context without a parent (a new trace).
 */
export function extractTraceContext(
  carrier: Readonly<Record<string, unknown>> | undefined,
  xrayHeader: string | undefined = process.env['_X_AMZN_TRACE_ID'],
): Context {
  let ctx = ROOT_CONTEXT;
  if (carrier !== undefined) {
    if (propagation.fields().length > 0) {
      try {
        ctx = propagation.extract(ROOT_CONTEXT, carrier, recordGetter);
      } catch {
        ctx = ROOT_CONTEXT;
      }
    } else {
      const sc = parseTraceparent(own(carrier, 'traceparent'), own(carrier, 'tracestate'));
      if (sc) ctx = trace.setSpanContext(ROOT_CONTEXT, sc);
    }
  }
  const found = trace.getSpanContext(ctx);
  if (found !== undefined && isSpanContextValid(found)) return ctx;
  // Only a sampled X-Ray context becomes the parent. Lambda sets `Sampled=0` whenever active
  // tracing is off; parenting on that would make a parent-based sampler drop every span.
  const xray = parseXRayTraceHeader(xrayHeader);
  return xray && (xray.traceFlags & TraceFlags.SAMPLED) !== 0 ? trace.setSpanContext(ctx, xray) : ctx;
}

/** SNS Publish `MessageAttributes` (input form: `{ DataType, StringValue }`). */
export type SnsPublishAttributes = Record<string, { DataType: string; StringValue?: string }>;

/** Setter writing String attributes into an SNS Publish `MessageAttributes` map. */
export const snsPublishSetter: TextMapSetter<SnsPublishAttributes> = {
  set(carrier, key, value) {
    carrier[key] = { DataType: 'String', StringValue: value };
  },
};

/** Getter reading the Lambda-event form of SNS attributes (`{ Type, Value }`) and the Publish form. */
export const snsEventGetter: TextMapGetter<Readonly<Record<string, unknown>>> = {
  keys: (c) => Object.keys(c),
  get(c, key) {
    const a = own(c, key);
    if (a === undefined || a === null || typeof a !== 'object') return undefined;
    const v = own(a as Record<string, unknown>, 'Value') ?? own(a as Record<string, unknown>, 'StringValue');
    return typeof v === 'string' ? v : undefined;
  },
};

/**
 * Flattens SNS event attributes into a `{ key: string }` carrier. Attribute names are the
 * publisher's: the carrier has no prototype, so `__proto__`, `toString` or `constructor` are
 * ordinary keys and nothing inherited is ever read back as an attribute.
 */
export function snsAttributesToCarrier(attrs: unknown): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  if (typeof attrs !== 'object' || attrs === null) return out;
  const rec = attrs as Record<string, unknown>;
  for (const k of Object.keys(rec)) {
    const v = snsEventGetter.get(rec, k);
    if (typeof v === 'string') out[k] = v;
  }
  return out;
}

let lastDelegate: unknown;
let active = true;

/**
 * Whether an OpenTelemetry SDK is registered (checked again whenever the global provider
 * changes). Without one, svc-mesh skips span objects altogether on its hot path and only passes
 * incoming trace context through.
 */
export function tracingActive(): boolean {
  const p = trace.getTracerProvider() as unknown as {
    getDelegate?: () => unknown;
    getDelegateTracer?: (name: string) => unknown;
  };
  const d = typeof p.getDelegate === 'function' ? p.getDelegate() : p;
  if (d !== lastDelegate) {
    lastDelegate = d;
    active = typeof p.getDelegateTracer === 'function' ? p.getDelegateTracer('svc-mesh') !== undefined : true;
  }
  return active;
}
