/**
 * The svc-mesh wire format on top of Lambda Invoke (docs/wire-format.md): ClientContext
 * `custom` for sync calls, the envelope for Event calls, and the error marker line.
 * @internal
 */
import { parseTarget } from '../internal/names.js';
import { CLIENT_CONTEXT_LIMIT, ERROR_DATA_LIMIT, ERROR_MARKER } from './constants.js';
import type { WireMeta } from './types.js';

/**
 * Encodes `{"custom": meta}` as base64 within Lambda's 3,583-byte limit: drops `baggage`,
 * then `tracestate`, then `traceparent` when over. Never throws.
 */
export function encodeClientContext(meta: WireMeta): string {
  // Usual case: it fits as is (one stringify, one base64).
  const first = Buffer.from(`{"custom":${JSON.stringify(meta)}}`).toString('base64');
  if (first.length <= CLIENT_CONTEXT_LIMIT) return first;
  let m: WireMeta = meta;
  for (const drop of ['baggage', 'tracestate', 'traceparent'] as const) {
    if (m[drop] === undefined) continue;
    m = { ...m };
    delete m[drop];
    const b64 = Buffer.from(JSON.stringify({ custom: m })).toString('base64');
    if (b64.length <= CLIENT_CONTEXT_LIMIT) return b64;
  }
  // Unreachable with validated inputs (caller ≤ 257 chars, idempotency key ≤ 256); keep only the version.
  return Buffer.from(JSON.stringify({ custom: { svcmesh: '1' } })).toString('base64');
}

/** `o[k]` when `o` has it as an own property: untrusted objects are read this way only. */
export function ownValue(o: unknown, k: string): unknown {
  return typeof o === 'object' && o !== null && Object.hasOwn(o, k) ? (o as Record<string, unknown>)[k] : undefined;
}

/**
 * Reads svc-mesh metadata from ClientContext `custom` or envelope `meta`; undefined if it is not
 * ours. Own properties only: nothing inherited (a polluted prototype) is taken as a caller claim.
 */
export function readMeta(raw: unknown): WireMeta | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const svcmesh = ownValue(raw, 'svcmesh');
  if (svcmesh !== '1' && svcmesh !== 1) return undefined;
  const out: WireMeta = { svcmesh: '1' };
  for (const k of ['caller', 'traceparent', 'tracestate', 'baggage', 'deadline', 'idempotencyKey'] as const) {
    const v = ownValue(raw, k);
    if (typeof v === 'string' && v.length > 0 && v.length <= 8192) out[k] = v;
    else if (k === 'deadline' && typeof v === 'number') out[k] = String(v);
  }
  return out;
}

/** The caller's `svc:fn` from meta, if well-formed. */
export function metaCaller(meta: WireMeta | undefined): string | undefined {
  if (meta?.caller === undefined) return undefined;
  try {
    const t = parseTarget(meta.caller);
    return `${t.service}:${t.function}`;
  } catch {
    return undefined;
  }
}

/** The caller's deadline (epoch ms) from meta, if it is a sane number. */
export function metaDeadline(meta: WireMeta | undefined): number | undefined {
  if (meta?.deadline === undefined || !/^\d{1,15}$/.test(meta.deadline)) return undefined;
  return Number(meta.deadline);
}

/** Is `event` an svc-mesh Event envelope? */
export function isEnvelope(event: unknown): event is { svcmesh: 1; meta: unknown; payload: unknown } {
  return (
    typeof event === 'object' &&
    event !== null &&
    ownValue(event, 'svcmesh') === 1 &&
    Object.hasOwn(event, 'payload') &&
    typeof ownValue(event, 'meta') === 'object'
  );
}

/** Errors this process has marked already (the same object may be rethrown through two wrappers). */
const marked = new WeakSet<Error>();

/**
 * Appends svc-mesh's marker line to `err.stack` so the error's `code` (and small `data`)
 * survive Lambda, which sends only `errorType`, `errorMessage` and `trace` (the stack lines).
 * Only this function writes a marker: any line of the stack that merely starts like one (user
 * input in a message, e.g. `"x\nsvc-mesh:error:v1 {…}"`) is defused with a leading space first,
 * errors without a code included, and the real marker is always the last line.
 * `name` and `message` are left unchanged. Idempotent; never throws.
 */
export function attachErrorMarker(err: unknown): void {
  if (!(err instanceof Error) || marked.has(err)) return;
  try {
    const base = typeof err.stack === 'string' ? err.stack : `${err.name}: ${err.message}`;
    let stack = base;
    if (stack.includes(ERROR_MARKER)) {
      stack = stack
        .split('\n')
        .map((l) => (l.startsWith(ERROR_MARKER) ? ` ${l}` : l))
        .join('\n');
    }
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.length > 0 && code.length <= 128) {
      const marker: { code: string; data?: unknown } = { code };
      const data = (err as { data?: unknown }).data;
      if (data !== undefined) {
        try {
          const json = JSON.stringify(data);
          if (json !== undefined && Buffer.byteLength(json) <= ERROR_DATA_LIMIT) marker.data = data;
        } catch {
          // data that is not JSON is left out
        }
      }
      stack = `${stack}\n${ERROR_MARKER}${JSON.stringify(marker)}`;
    }
    if (stack !== base) err.stack = stack;
    marked.add(err);
  } catch {
    // a frozen error keeps its stack
  }
}

/** A Lambda function-error body, with svc-mesh's marker split off the trace. */
export interface FunctionErrorBody {
  errorType: string;
  errorMessage: string;
  trace: string[];
  code?: string;
  data?: unknown;
}

/** Parses the body Lambda sends with `X-Amz-Function-Error` (Node: `trace`; Python: `stackTrace`). */
export function parseFunctionError(text: string): FunctionErrorBody {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { errorType: 'Unknown', errorMessage: text.slice(0, 1000), trace: [] };
  }
  return readFunctionError(raw);
}

/**
 * The same, from the body already parsed (the local mesh has its workers' errors as objects).
 * Only defineFunction's own marker line gives `code` and `data`; it is taken out of `trace`.
 */
export function readFunctionError(raw: unknown): FunctionErrorBody {
  const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const errorType = typeof r['errorType'] === 'string' ? r['errorType'] : 'Error';
  const errorMessage = typeof r['errorMessage'] === 'string' ? r['errorMessage'] : typeof raw === 'string' ? raw : '';
  const t = Array.isArray(r['trace']) ? r['trace'] : Array.isArray(r['stackTrace']) ? r['stackTrace'] : [];
  const trace = t.filter((l): l is string => typeof l === 'string');
  const out: FunctionErrorBody = { errorType, errorMessage, trace };
  // Only defineFunction's own marker counts: the last line, below the `errorType: errorMessage`
  // lines the stack starts with (a message cannot reach it; defineFunction defuses look-alikes).
  const idx = trace.length - 1;
  const header = `${errorType}: ${errorMessage}`.split('\n').length;
  if (idx >= header && trace[idx]!.startsWith(ERROR_MARKER)) {
    const line = trace[idx]!;
    trace.splice(idx, 1);
    try {
      const m = JSON.parse(line.slice(ERROR_MARKER.length)) as { code?: unknown; data?: unknown };
      if (typeof m.code === 'string') out.code = m.code;
      if (m.data !== undefined) out.data = m.data;
    } catch {
      // a damaged marker is ignored
    }
  }
  return out;
}

/** True when Lambda reports that the function ran out of time. */
export function isTimeoutError(e: FunctionErrorBody): boolean {
  return e.errorType === 'Sandbox.Timedout' || /Task timed out after/.test(e.errorMessage);
}
