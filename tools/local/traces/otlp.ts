/**
 * OTLP/HTTP trace request decoding, JSON and protobuf, into one canonical shape: the OTLP
 * JSON encoding (hex ids, nanosecond timestamps as decimal strings, enums as numbers). That
 * shape is what the store ingests and what persistence writes, so a persisted file is valid
 * OTLP JSON that Jaeger, Tempo or an OpenTelemetry Collector accepts as is.
 *
 * Both decoders are strict about structure (a wrong shape is a 400, never a crash) and lenient
 * about the few things exporters disagree on: ids as hex or base64, int64 as string or number,
 * enums as numbers or names.
 */
import pb from 'protobufjs/minimal.js';
import { TraceServiceError } from './errors.js';

export interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string;
  doubleValue?: number;
  arrayValue?: { values: OtlpAnyValue[] };
  kvlistValue?: { values: OtlpKeyValue[] };
  bytesValue?: string;
}
export interface OtlpKeyValue {
  key: string;
  value: OtlpAnyValue;
}
export interface OtlpEvent {
  timeUnixNano: string;
  name: string;
  attributes: OtlpKeyValue[];
  droppedAttributesCount?: number;
}
export interface OtlpLink {
  traceId: string;
  spanId: string;
  traceState?: string;
  attributes: OtlpKeyValue[];
  droppedAttributesCount?: number;
  flags?: number;
}
export interface OtlpStatus {
  code: number;
  message?: string;
}
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  traceState?: string;
  parentSpanId?: string;
  flags?: number;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: OtlpKeyValue[];
  droppedAttributesCount?: number;
  events: OtlpEvent[];
  droppedEventsCount?: number;
  links: OtlpLink[];
  droppedLinksCount?: number;
  status?: OtlpStatus;
}
export interface OtlpScope {
  name: string;
  version?: string;
  attributes?: OtlpKeyValue[];
}
export interface OtlpScopeSpans {
  scope?: OtlpScope;
  spans: OtlpSpan[];
  schemaUrl?: string;
}
export interface OtlpResourceSpans {
  resource?: { attributes: OtlpKeyValue[]; droppedAttributesCount?: number };
  scopeSpans: OtlpScopeSpans[];
  schemaUrl?: string;
}
/** `ExportTraceServiceRequest` in its JSON encoding. */
export interface OtlpTraceRequest {
  resourceSpans: OtlpResourceSpans[];
}

/** A decoded request, plus the spans that were dropped as invalid (OTLP partial success). */
export interface DecodedRequest {
  request: OtlpTraceRequest;
  spanCount: number;
  rejectedSpans: number;
  rejectReason?: string;
}

/** Span kinds as OTLP numbers them. */
export const SPAN_KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const;
const KIND_NAMES: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};
const STATUS_NAMES: Record<string, number> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 };

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const ZERO32 = '0'.repeat(32);
const ZERO16 = '0'.repeat(16);
const NANOS = /^\d{1,20}$/;
const MAX_DEPTH = 16;

function bad(message: string): TraceServiceError {
  return new TraceServiceError('OTLP_INVALID_BODY', message);
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function arr(v: unknown, where: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw bad(`${where} must be an array, got ${typeof v}`);
  return v;
}

function hexOfBytes(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/**
 * An id as lowercase hex. OTLP/JSON specifies hex, but some exporters send the protobuf JSON
 * mapping (base64); both are accepted. Returns undefined for anything else.
 */
function normId(v: unknown, bytes: 8 | 16): string | undefined {
  if (typeof v !== 'string') return undefined;
  const re = bytes === 16 ? HEX32 : HEX16;
  const lower = v.toLowerCase();
  if (re.test(lower)) return lower;
  if (v.length === (bytes === 16 ? 24 : 12) && /^[A-Za-z0-9+/_-]+={0,2}$/.test(v)) {
    const buf = Buffer.from(v, 'base64');
    if (buf.length === bytes) return buf.toString('hex');
  }
  return undefined;
}

function normNanos(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return BigInt(Math.trunc(v)).toString();
  if (typeof v === 'string' && NANOS.test(v)) return v.replace(/^0+(?=\d)/, '');
  return undefined;
}

function normCount(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
}

function normEnum(v: unknown, names: Record<string, number>, max: number): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max) return v;
  if (typeof v === 'string' && v in names) return names[v] ?? 0;
  return 0;
}

function normAnyValue(v: unknown, depth: number): OtlpAnyValue {
  if (!isObj(v)) return {};
  if (depth > MAX_DEPTH) return { stringValue: '[nested too deeply]' };
  if (typeof v['stringValue'] === 'string') return { stringValue: v['stringValue'] };
  if (typeof v['boolValue'] === 'boolean') return { boolValue: v['boolValue'] };
  const iv = v['intValue'];
  if (typeof iv === 'number' && Number.isInteger(iv)) return { intValue: String(iv) };
  if (typeof iv === 'string' && /^-?\d{1,20}$/.test(iv)) return { intValue: iv };
  const dv = v['doubleValue'];
  if (typeof dv === 'number') return { doubleValue: dv };
  if (typeof dv === 'string' && dv !== '' && !Number.isNaN(Number(dv))) return { doubleValue: Number(dv) };
  if (isObj(v['arrayValue'])) {
    const vals = v['arrayValue']['values'];
    return { arrayValue: { values: Array.isArray(vals) ? vals.map((x) => normAnyValue(x, depth + 1)) : [] } };
  }
  if (isObj(v['kvlistValue'])) {
    return { kvlistValue: { values: normAttributes(v['kvlistValue']['values'], depth + 1) } };
  }
  if (typeof v['bytesValue'] === 'string') return { bytesValue: v['bytesValue'] };
  return {};
}

function normAttributes(v: unknown, depth = 0): OtlpKeyValue[] {
  if (!Array.isArray(v)) return [];
  const out: OtlpKeyValue[] = [];
  for (const kv of v) {
    if (!isObj(kv) || typeof kv['key'] !== 'string') continue;
    out.push({ key: kv['key'], value: normAnyValue(kv['value'], depth) });
  }
  return out;
}

/** Validates one span from JSON; returns a reason string when it must be rejected. */
function normSpan(s: unknown): OtlpSpan | string {
  if (!isObj(s)) return 'a span is not an object';
  const traceId = normId(s['traceId'], 16);
  if (traceId === undefined || traceId === ZERO32)
    return `span traceId ${JSON.stringify(s['traceId'])} is not 16 bytes`;
  const spanId = normId(s['spanId'], 8);
  if (spanId === undefined || spanId === ZERO16) return `span spanId ${JSON.stringify(s['spanId'])} is not 8 bytes`;
  const start = normNanos(s['startTimeUnixNano']);
  const end = normNanos(s['endTimeUnixNano']) ?? start;
  if (start === undefined || end === undefined) return `span ${spanId} has no valid startTimeUnixNano`;
  const span: OtlpSpan = {
    traceId,
    spanId,
    name: typeof s['name'] === 'string' ? s['name'] : '',
    kind: normEnum(s['kind'], KIND_NAMES, 5),
    startTimeUnixNano: start,
    endTimeUnixNano: end,
    attributes: normAttributes(s['attributes']),
    events: [],
    links: [],
  };
  const parent = s['parentSpanId'];
  if (parent !== undefined && parent !== null && parent !== '') {
    const p = normId(parent, 8);
    if (p === undefined) return `span ${spanId} has a malformed parentSpanId ${JSON.stringify(parent)}`;
    if (p !== ZERO16) span.parentSpanId = p;
  }
  if (typeof s['traceState'] === 'string' && s['traceState'] !== '') span.traceState = s['traceState'];
  if (typeof s['flags'] === 'number') span.flags = s['flags'];
  const dac = normCount(s['droppedAttributesCount']);
  if (dac) span.droppedAttributesCount = dac;
  for (const e of arr(s['events'], 'span.events')) {
    if (!isObj(e)) continue;
    const ev: OtlpEvent = {
      timeUnixNano: normNanos(e['timeUnixNano']) ?? start,
      name: typeof e['name'] === 'string' ? e['name'] : '',
      attributes: normAttributes(e['attributes']),
    };
    const d = normCount(e['droppedAttributesCount']);
    if (d) ev.droppedAttributesCount = d;
    span.events.push(ev);
  }
  const dec = normCount(s['droppedEventsCount']);
  if (dec) span.droppedEventsCount = dec;
  for (const l of arr(s['links'], 'span.links')) {
    if (!isObj(l)) continue;
    const lt = normId(l['traceId'], 16);
    const ls = normId(l['spanId'], 8);
    if (lt === undefined || ls === undefined) continue;
    const link: OtlpLink = { traceId: lt, spanId: ls, attributes: normAttributes(l['attributes']) };
    if (typeof l['traceState'] === 'string' && l['traceState'] !== '') link.traceState = l['traceState'];
    if (typeof l['flags'] === 'number') link.flags = l['flags'];
    span.links.push(link);
  }
  const dlc = normCount(s['droppedLinksCount']);
  if (dlc) span.droppedLinksCount = dlc;
  const st = s['status'];
  if (isObj(st)) {
    const status: OtlpStatus = { code: normEnum(st['code'], STATUS_NAMES, 2) };
    if (typeof st['message'] === 'string' && st['message'] !== '') status.message = st['message'];
    span.status = status;
  }
  return span;
}

/** Decodes an OTLP/JSON `ExportTraceServiceRequest` from text. Throws TraceServiceError (400). */
export function decodeJsonRequest(text: string): DecodedRequest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw bad(`the body is not valid JSON: ${(err as Error).message}`);
  }
  return normaliseRequest(raw);
}

/** Validates an already parsed OTLP/JSON request object. Throws TraceServiceError (400). */
export function normaliseRequest(raw: unknown): DecodedRequest {
  if (!isObj(raw)) throw bad('the body must be a JSON object with "resourceSpans" (ExportTraceServiceRequest)');
  if (raw['resourceSpans'] !== undefined && !Array.isArray(raw['resourceSpans'])) {
    throw bad('"resourceSpans" must be an array');
  }
  const request: OtlpTraceRequest = { resourceSpans: [] };
  let spanCount = 0;
  let rejectedSpans = 0;
  let rejectReason: string | undefined;
  for (const rs of arr(raw['resourceSpans'], 'resourceSpans')) {
    if (!isObj(rs)) throw bad('each entry of "resourceSpans" must be an object');
    const out: OtlpResourceSpans = { scopeSpans: [] };
    if (isObj(rs['resource'])) {
      out.resource = { attributes: normAttributes(rs['resource']['attributes']) };
    }
    if (typeof rs['schemaUrl'] === 'string' && rs['schemaUrl']) out.schemaUrl = rs['schemaUrl'];
    // instrumentationLibrarySpans: the name before OTLP 0.19 (still sent by old exporters)
    const scopes = rs['scopeSpans'] ?? rs['instrumentationLibrarySpans'];
    for (const ss of arr(scopes, 'scopeSpans')) {
      if (!isObj(ss)) throw bad('each entry of "scopeSpans" must be an object');
      const scopeRaw = ss['scope'] ?? ss['instrumentationLibrary'];
      const o: OtlpScopeSpans = { spans: [] };
      if (isObj(scopeRaw)) {
        const scope: OtlpScope = { name: typeof scopeRaw['name'] === 'string' ? scopeRaw['name'] : '' };
        if (typeof scopeRaw['version'] === 'string' && scopeRaw['version']) scope.version = scopeRaw['version'];
        o.scope = scope;
      }
      if (typeof ss['schemaUrl'] === 'string' && ss['schemaUrl']) o.schemaUrl = ss['schemaUrl'];
      for (const s of arr(ss['spans'], 'spans')) {
        const span = normSpan(s);
        if (typeof span === 'string') {
          rejectedSpans++;
          rejectReason ??= span;
          continue;
        }
        o.spans.push(span);
        spanCount++;
      }
      out.scopeSpans.push(o);
    }
    request.resourceSpans.push(out);
  }
  const d: DecodedRequest = { request, spanCount, rejectedSpans };
  if (rejectReason !== undefined) d.rejectReason = rejectReason;
  return d;
}

// ---------------------------------------------------------------------------------------------
// Protobuf (opentelemetry/proto/collector/trace/v1/trace_service.proto), read with protobufjs'
// wire reader. Field numbers are the proto's; unknown fields are skipped, as protobuf requires.

type Reader = pb.Reader;

/**
 * Enters a length-delimited field and returns where it ends. Nested messages are read from the
 * same reader up to that offset (no copy, no new reader per message: this is the hot path).
 */
function enter(r: Reader): number {
  const len = r.uint32();
  const end = r.pos + len;
  if (end > r.len) throw new RangeError('length-delimited field runs past the end of the body');
  return end;
}

function leave(r: Reader, end: number): void {
  if (r.pos !== end) throw new RangeError('a field runs past the end of its message');
}

function fixed64(r: Reader): string {
  const lo = r.fixed32();
  const hi = r.fixed32();
  return hi === 0 ? String(lo) : ((BigInt(hi) << 32n) | BigInt(lo)).toString();
}

function readAnyValue(r: Reader, end: number, depth: number): OtlpAnyValue {
  if (depth > MAX_DEPTH) throw new RangeError('AnyValue nested too deeply');
  let v: OtlpAnyValue = {};
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        v = { stringValue: r.string() };
        break;
      case 2:
        v = { boolValue: r.bool() };
        break;
      case 3:
        v = { intValue: String(r.int64()) };
        break;
      case 4:
        v = { doubleValue: r.double() };
        break;
      case 5: {
        const e = enter(r);
        const values: OtlpAnyValue[] = [];
        while (r.pos < e) {
          const t = r.uint32();
          if (t >>> 3 === 1 && (t & 7) === 2) {
            const ve = enter(r);
            values.push(readAnyValue(r, ve, depth + 1));
            leave(r, ve);
          } else r.skipType(t & 7);
        }
        leave(r, e);
        v = { arrayValue: { values } };
        break;
      }
      case 6: {
        const e = enter(r);
        const values: OtlpKeyValue[] = [];
        while (r.pos < e) {
          const t = r.uint32();
          if (t >>> 3 === 1 && (t & 7) === 2) {
            const ke = enter(r);
            values.push(readKeyValue(r, ke, depth + 1));
            leave(r, ke);
          } else r.skipType(t & 7);
        }
        leave(r, e);
        v = { kvlistValue: { values } };
        break;
      }
      case 7:
        v = { bytesValue: Buffer.from(r.bytes()).toString('base64') };
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  return v;
}

function readKeyValue(r: Reader, end: number, depth = 0): OtlpKeyValue {
  let key = '';
  let value: OtlpAnyValue = {};
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 1) key = r.string();
    else if (tag >>> 3 === 2 && (tag & 7) === 2) {
      const e = enter(r);
      value = readAnyValue(r, e, depth);
      leave(r, e);
    } else r.skipType(tag & 7);
  }
  return { key, value };
}

function pushKeyValue(r: Reader, into: OtlpKeyValue[]): void {
  const e = enter(r);
  into.push(readKeyValue(r, e));
  leave(r, e);
}

function readEvent(r: Reader, end: number): OtlpEvent {
  const e: OtlpEvent = { timeUnixNano: '0', name: '', attributes: [] };
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        e.timeUnixNano = fixed64(r);
        break;
      case 2:
        e.name = r.string();
        break;
      case 3:
        pushKeyValue(r, e.attributes);
        break;
      case 4:
        e.droppedAttributesCount = r.uint32();
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  return e;
}

function readLink(r: Reader, end: number): OtlpLink {
  const l: OtlpLink = { traceId: '', spanId: '', attributes: [] };
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        l.traceId = hexOfBytes(r.bytes());
        break;
      case 2:
        l.spanId = hexOfBytes(r.bytes());
        break;
      case 3:
        l.traceState = r.string();
        break;
      case 4:
        pushKeyValue(r, l.attributes);
        break;
      case 5:
        l.droppedAttributesCount = r.uint32();
        break;
      case 6:
        l.flags = r.fixed32();
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  return l;
}

/** Reads a Span into the JSON-shaped object normSpan validates (so both paths share the checks). */
function readSpan(r: Reader, end: number): Record<string, unknown> {
  const attributes: OtlpKeyValue[] = [];
  const events: OtlpEvent[] = [];
  const links: OtlpLink[] = [];
  const s: Record<string, unknown> = { attributes, events, links };
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        s['traceId'] = hexOfBytes(r.bytes());
        break;
      case 2:
        s['spanId'] = hexOfBytes(r.bytes());
        break;
      case 3:
        s['traceState'] = r.string();
        break;
      case 4:
        s['parentSpanId'] = hexOfBytes(r.bytes());
        break;
      case 5:
        s['name'] = r.string();
        break;
      case 6:
        s['kind'] = r.int32();
        break;
      case 7:
        s['startTimeUnixNano'] = fixed64(r);
        break;
      case 8:
        s['endTimeUnixNano'] = fixed64(r);
        break;
      case 9:
        pushKeyValue(r, attributes);
        break;
      case 10:
        s['droppedAttributesCount'] = r.uint32();
        break;
      case 11: {
        const e = enter(r);
        events.push(readEvent(r, e));
        leave(r, e);
        break;
      }
      case 12:
        s['droppedEventsCount'] = r.uint32();
        break;
      case 13: {
        const e = enter(r);
        links.push(readLink(r, e));
        leave(r, e);
        break;
      }
      case 14:
        s['droppedLinksCount'] = r.uint32();
        break;
      case 15: {
        const e = enter(r);
        const status: Record<string, unknown> = { code: 0 };
        while (r.pos < e) {
          const t = r.uint32();
          if (t >>> 3 === 2) status['message'] = r.string();
          else if (t >>> 3 === 3) status['code'] = r.int32();
          else r.skipType(t & 7);
        }
        leave(r, e);
        s['status'] = status;
        break;
      }
      case 16:
        s['flags'] = r.fixed32();
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  // parentSpanId of zero length means "no parent"
  if (s['parentSpanId'] === '') delete s['parentSpanId'];
  return s;
}

function readScope(r: Reader, end: number): Record<string, unknown> {
  const scope: Record<string, unknown> = { name: '' };
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 1) scope['name'] = r.string();
    else if (tag >>> 3 === 2) scope['version'] = r.string();
    else r.skipType(tag & 7);
  }
  return scope;
}

/** Decodes a binary `ExportTraceServiceRequest`. Throws TraceServiceError (400). */
export function decodeProtobufRequest(body: Uint8Array): DecodedRequest {
  const raw: { resourceSpans: Record<string, unknown>[] } = { resourceSpans: [] };
  let unknownOnly = body.length > 0;
  try {
    const r = pb.Reader.create(body);
    while (r.pos < r.len) {
      const tag = r.uint32();
      if (tag >>> 3 !== 1 || (tag & 7) !== 2) {
        r.skipType(tag & 7);
        continue;
      }
      unknownOnly = false;
      const rsEnd = enter(r);
      const scopeSpans: Record<string, unknown>[] = [];
      const rs: Record<string, unknown> = { scopeSpans };
      while (r.pos < rsEnd) {
        const t = r.uint32();
        const f = t >>> 3;
        if (f === 1 && (t & 7) === 2) {
          const resEnd = enter(r);
          const attributes: OtlpKeyValue[] = [];
          while (r.pos < resEnd) {
            const rt = r.uint32();
            if (rt >>> 3 === 1 && (rt & 7) === 2) pushKeyValue(r, attributes);
            else r.skipType(rt & 7);
          }
          leave(r, resEnd);
          rs['resource'] = { attributes };
        } else if (f === 2 && (t & 7) === 2) {
          const ssEnd = enter(r);
          const spans: Record<string, unknown>[] = [];
          const ss: Record<string, unknown> = { spans };
          while (r.pos < ssEnd) {
            const st = r.uint32();
            const sf = st >>> 3;
            if (sf === 1 && (st & 7) === 2) {
              const e = enter(r);
              ss['scope'] = readScope(r, e);
              leave(r, e);
            } else if (sf === 2 && (st & 7) === 2) {
              const e = enter(r);
              spans.push(readSpan(r, e));
              leave(r, e);
            } else if (sf === 3 && (st & 7) === 2) ss['schemaUrl'] = r.string();
            else r.skipType(st & 7);
          }
          leave(r, ssEnd);
          scopeSpans.push(ss);
        } else if (f === 3 && (t & 7) === 2) {
          rs['schemaUrl'] = r.string();
        } else {
          r.skipType(t & 7);
        }
      }
      leave(r, rsEnd);
      raw.resourceSpans.push(rs);
    }
  } catch (err) {
    throw bad(`the body is not a valid protobuf ExportTraceServiceRequest: ${(err as Error).message}`);
  }
  // Bytes that parse only as unknown fields are not a trace request (JSON sent as protobuf, say).
  if (unknownOnly) throw bad('the body is not a protobuf ExportTraceServiceRequest: it has no resource_spans field');
  return normaliseRequest(raw);
}

/** Encodes a `google.rpc.Status` (the OTLP/HTTP protobuf error body). */
export function encodeRpcStatus(code: number, message: string): Uint8Array {
  const w = pb.Writer.create();
  w.uint32((1 << 3) | 0).int32(code);
  w.uint32((2 << 3) | 2).string(message);
  return w.finish();
}

/** Encodes an `ExportTraceServiceResponse`, with partial success when spans were rejected. */
export function encodeExportResponse(rejectedSpans: number, errorMessage: string | undefined): Uint8Array {
  if (rejectedSpans === 0) return new Uint8Array(0);
  const inner = pb.Writer.create();
  inner.uint32((1 << 3) | 0).int64(rejectedSpans);
  if (errorMessage) inner.uint32((2 << 3) | 2).string(errorMessage);
  const w = pb.Writer.create();
  w.uint32((1 << 3) | 2).bytes(inner.finish());
  return w.finish();
}
