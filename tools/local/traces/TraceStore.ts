/**
 * The bounded, in-memory trace store behind the collector, the JSON API and the viewer.
 *
 * Bounded twice: at most `maxTraces` traces (the least recently updated is evicted first, so
 * a trace that is still receiving spans stays) and at most `maxSpansPerTrace` spans in one
 * trace (the rest are counted as dropped, never silently lost). Spans may arrive in any order:
 * a child before its parent, a consumer before its producer; the tree is built when read.
 */
import {
  DEFAULT_MAX_STORE_BYTES,
  type DroppedCounts,
  type Tally,
  MAX_ATTRIBUTES,
  MAX_DEPTH,
  MAX_EVENTS,
  MAX_LINKS,
  anyDropped,
  capString,
  newTally,
} from './limits.js';
import { type OtlpAnyValue, type OtlpKeyValue, type OtlpSpan, type OtlpTraceRequest, SPAN_KINDS } from './otlp.js';

export type AttrValue = string | number | boolean | null | AttrValue[] | { [key: string]: AttrValue };
export type Attributes = Record<string, AttrValue>;
export type SpanKindName = (typeof SPAN_KINDS)[number];
/**
 * How a span's hop was made (`svcmesh.hop`): `sync`, `async` (Event invoke) or `event` (SNS
 * lifecycle event) between mesh functions; `direct` for a function invoked by a caller that is
 * not mesh-aware (the AWS console, a script, a test).
 */
export type Hop = 'sync' | 'async' | 'event' | 'direct';

export interface SpanEvent {
  name: string;
  timeUnixNano: string;
  /** Milliseconds since the epoch (fractional). */
  timeMs: number;
  attributes: Attributes;
}

export interface SpanLink {
  traceId: string;
  spanId: string;
  traceState: string | null;
  attributes: Attributes;
}

/** One span as the JSON API returns it. */
export interface TraceSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  traceState: string | null;
  name: string;
  kind: SpanKindName;
  /** `service.name` of the span's resource. */
  service: string;
  /** `svcmesh.hop` when the span is one side of a hop between functions. */
  hop: Hop | null;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  /** Milliseconds since the epoch (fractional: microsecond precision). */
  startMs: number;
  durationMs: number;
  attributes: Attributes;
  events: SpanEvent[];
  links: SpanLink[];
  status: { code: 'unset' | 'ok' | 'error'; message: string | null };
  resource: Attributes;
  scope: { name: string; version: string | null };
  /** What the span lost to the store's limits (tools/local/traces/limits.ts); absent when nothing. */
  dropped?: DroppedCounts;
}

/** One row of the trace list. */
export interface TraceSummary {
  traceId: string;
  /** The root span's name: the span without a parent, else the earliest span whose parent is missing. */
  rootName: string;
  rootService: string;
  rootSpanId: string;
  /** Every service with a span in the trace, in order of first appearance. */
  services: string[];
  startTimeUnixNano: string;
  startMs: number;
  durationMs: number;
  spanCount: number;
  /** Failures, each counted once: error spans none of whose children failed, one per invocation. */
  errorCount: number;
  hasError: boolean;
  /** Calls and publishes between mesh functions, by kind (counted on the sending side). */
  hops: { sync: number; async: number; event: number };
  /** Spans whose parent has not been received (yet). */
  orphanCount: number;
  /** Spans dropped because the trace reached `maxSpansPerTrace`. */
  droppedSpans: number;
  /** When the store last received a span of this trace (ms since the epoch). */
  updatedAt: number;
  /** The deepest-cause error: the earliest-ending error span with no error span below it. */
  firstError: {
    spanId: string;
    service: string;
    name: string;
    message: string;
    /** Its stable code (`svcmesh.error.code`), when it has one. */
    code?: string;
    /** `exception.type`, when recorded. */
    type?: string;
  } | null;
}

export interface ServiceEdge {
  from: string;
  to: string;
  hop: 'sync' | 'async' | 'event' | 'call';
  count: number;
  errorCount: number;
}
export interface ServiceNode {
  name: string;
  spanCount: number;
  errorCount: number;
}
export interface ServiceGraph {
  nodes: ServiceNode[];
  edges: ServiceEdge[];
}

/** Statistics of one root operation (traces grouped by their root span's service and name). */
export interface OperationStats {
  service: string;
  name: string;
  count: number;
  errorCount: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  /** Start of the most recent trace (ms since the epoch). */
  lastMs: number;
}

export interface TraceDetail {
  summary: TraceSummary;
  /** Sorted by start time. */
  spans: TraceSpan[];
  graph: ServiceGraph;
}

export interface TraceQuery {
  service?: string;
  error?: boolean;
  minDurationMs?: number;
  /**
   * Case-insensitive text: a trace id prefix, or a substring of the root operation, a service, any
   * span name, or any string attribute or event attribute value (log lines, error messages, payloads).
   */
  q?: string;
  limit?: number;
}

export interface TraceList {
  traces: TraceSummary[];
  /** Traces matching the filters (before `limit`). */
  matched: number;
  /** Traces stored. */
  total: number;
}

export interface TraceStoreOptions {
  /** Default 5,000. */
  maxTraces?: number;
  /** Default 2,000. */
  maxSpansPerTrace?: number;
  /** Estimated bytes of every stored span together; the least recently updated traces go first. Default 256 MiB. */
  maxBytes?: number;
}

export const DEFAULT_MAX_TRACES = 5_000;
export const DEFAULT_MAX_SPANS_PER_TRACE = 2_000;
export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 10_000;

interface Entry {
  traceId: string;
  spans: Map<string, TraceSpan>;
  /** Estimated bytes of its spans. */
  bytes: number;
  dropped: number;
  updatedAt: number;
  summary: TraceSummary | undefined;
  sorted: TraceSpan[] | undefined;
  graph: ServiceGraph | undefined;
}

const HOPS = new Set<string>(['sync', 'async', 'event', 'direct']);
const STATUS = ['unset', 'ok', 'error'] as const;

/** Milliseconds since the epoch from a decimal nanosecond string, without BigInt. */
export function nanosToMs(ns: string): number {
  if (ns.length <= 6) return Number(ns) / 1e6;
  return Number(ns.slice(0, -6)) + Number(ns.slice(-6)) / 1e6;
}

function durationMs(start: string, end: string): number {
  if (start.length <= 6 || end.length <= 6) return Math.max(0, (Number(end) - Number(start)) / 1e6);
  const d =
    Number(end.slice(0, -6)) - Number(start.slice(0, -6)) + (Number(end.slice(-6)) - Number(start.slice(-6))) / 1e6;
  return d > 0 ? d : 0;
}

export function anyValueToJs(v: OtlpAnyValue, d: Tally = newTally(), depth = 0): AttrValue {
  if (v.stringValue !== undefined) return capString(v.stringValue, d);
  d.bytes += 16;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) {
    const n = Number(v.intValue);
    return Number.isSafeInteger(n) ? n : v.intValue;
  }
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (depth >= MAX_DEPTH && (v.arrayValue !== undefined || v.kvlistValue !== undefined)) {
    d.dropped.truncated++;
    return null;
  }
  if (v.arrayValue !== undefined) {
    const values = v.arrayValue.values;
    d.bytes += 32 + 8 * Math.min(values.length, MAX_ATTRIBUTES);
    if (values.length > MAX_ATTRIBUTES) d.dropped.attributes += values.length - MAX_ATTRIBUTES;
    return values.slice(0, MAX_ATTRIBUTES).map((x) => anyValueToJs(x, d, depth + 1));
  }
  if (v.kvlistValue !== undefined) return attributesToJs(v.kvlistValue.values, d, depth + 1);
  if (v.bytesValue !== undefined) return capString(v.bytesValue, d);
  return null;
}

/**
 * OTLP key-values as a plain object. Every key becomes an own property, `__proto__` included
 * (assigning it would replace the object's prototype), and at most `MAX_ATTRIBUTES` are kept.
 */
export function attributesToJs(kvs: OtlpKeyValue[], d: Tally = newTally(), depth = 0): Attributes {
  const out: Attributes = {};
  d.bytes += 48;
  let kept = 0;
  const few = kvs.length <= MAX_ATTRIBUTES;
  for (const kv of kvs) {
    const key = capString(kv.key, d);
    if (!few) {
      const own = Object.hasOwn(out, key);
      if (!own && kept >= MAX_ATTRIBUTES) {
        d.dropped.attributes++;
        continue;
      }
      if (!own) kept++;
    }
    d.bytes += 24;
    const value = anyValueToJs(kv.value, d, depth);
    // plain assignment is the fast path; only `__proto__` would reach a setter
    if (key === '__proto__')
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    else out[key] = value;
  }
  return out;
}

/** The stored span, and its estimated bytes (without its resource, which its request's spans share). */
function toTraceSpan(
  s: OtlpSpan,
  resource: Attributes,
  service: string,
  scope: TraceSpan['scope'],
): { span: TraceSpan; bytes: number } {
  const d = newTally();
  const attributes = attributesToJs(s.attributes, d);
  const hop = Object.hasOwn(attributes, 'svcmesh.hop') ? attributes['svcmesh.hop'] : undefined;
  if (s.events.length > MAX_EVENTS) d.dropped.events += s.events.length - MAX_EVENTS;
  if (s.links.length > MAX_LINKS) d.dropped.links += s.links.length - MAX_LINKS;
  d.bytes += 400 + 120 * (Math.min(s.events.length, MAX_EVENTS) + Math.min(s.links.length, MAX_LINKS));
  const span: TraceSpan = {
    traceId: s.traceId,
    spanId: s.spanId,
    parentSpanId: s.parentSpanId ?? null,
    traceState: s.traceState ?? null,
    name: capString(s.name, d),
    kind: SPAN_KINDS[s.kind] ?? 'unspecified',
    service,
    hop: typeof hop === 'string' && HOPS.has(hop) ? (hop as Hop) : null,
    startTimeUnixNano: s.startTimeUnixNano,
    endTimeUnixNano: s.endTimeUnixNano,
    startMs: nanosToMs(s.startTimeUnixNano),
    durationMs: durationMs(s.startTimeUnixNano, s.endTimeUnixNano),
    attributes,
    events: s.events.slice(0, MAX_EVENTS).map((e) => ({
      name: capString(e.name, d),
      timeUnixNano: e.timeUnixNano,
      timeMs: nanosToMs(e.timeUnixNano),
      attributes: attributesToJs(e.attributes, d),
    })),
    links: s.links.slice(0, MAX_LINKS).map((l) => ({
      traceId: l.traceId,
      spanId: l.spanId,
      traceState: l.traceState ?? null,
      attributes: attributesToJs(l.attributes, d),
    })),
    status: {
      code: STATUS[s.status?.code ?? 0] ?? 'unset',
      message: s.status?.message == null ? null : capString(s.status.message, d),
    },
    resource,
    scope,
  };
  if (anyDropped(d.dropped)) span.dropped = d.dropped;
  return { span, bytes: d.bytes };
}

/** The service graph of a set of spans: an edge wherever a span's parent (or linked span) is in another service. */
export function serviceGraph(spans: Iterable<TraceSpan>, byId?: Map<string, TraceSpan>): ServiceGraph {
  const index = byId ?? new Map<string, TraceSpan>();
  const list = [...spans];
  if (!byId) for (const s of list) index.set(s.spanId, s);
  const nodes = new Map<string, ServiceNode>();
  const edges = new Map<string, ServiceEdge>();
  const addEdge = (from: string, to: string, hop: ServiceEdge['hop'], error: boolean) => {
    const key = `${from}\u0000${to}\u0000${hop}`;
    let e = edges.get(key);
    if (!e) edges.set(key, (e = { from, to, hop, count: 0, errorCount: 0 }));
    e.count++;
    if (error) e.errorCount++;
  };
  for (const s of list) {
    let n = nodes.get(s.service);
    if (!n) nodes.set(s.service, (n = { name: s.service, spanCount: 0, errorCount: 0 }));
    n.spanCount++;
    const isError = s.status.code === 'error';
    if (isError) n.errorCount++;
    const parent = s.parentSpanId ? index.get(s.parentSpanId) : undefined;
    if (parent && parent.service !== s.service) {
      addEdge(parent.service, s.service, edgeHop(s.hop ?? parent.hop, 'call'), isError);
      continue;
    }
    if (!parent) {
      for (const l of s.links) {
        const linked = index.get(l.spanId);
        if (linked && linked.service !== s.service) {
          addEdge(linked.service, s.service, edgeHop(s.hop ?? linked.hop, 'event'), isError);
          break;
        }
      }
    }
  }
  return {
    nodes: [...nodes.values()].sort((a, b) => a.name.localeCompare(b.name)),
    edges: [...edges.values()],
  };
}

function edgeHop(h: Hop | null, dflt: ServiceEdge['hop']): ServiceEdge['hop'] {
  return h === null || h === 'direct' ? dflt : h;
}

function summarise(e: Entry): TraceSummary {
  const spans = sortedSpans(e);
  let root: TraceSpan | undefined;
  let orphanRoot: TraceSpan | undefined;
  let minStart = Number.POSITIVE_INFINITY;
  let minStartNs = '0';
  let maxEnd = Number.NEGATIVE_INFINITY;
  let errorCount = 0;
  let orphanCount = 0;
  const services: string[] = [];
  const seen = new Set<string>();
  const hops = { sync: 0, async: 0, event: 0 };
  for (const s of spans) {
    if (s.startMs < minStart) {
      minStart = s.startMs;
      minStartNs = s.startTimeUnixNano;
    }
    const end = s.startMs + s.durationMs;
    if (end > maxEnd) maxEnd = end;
    if (s.status.code === 'error') errorCount++;
    if (!seen.has(s.service)) {
      seen.add(s.service);
      services.push(s.service);
    }
    // counted on the sending side, so a hop to a function that is not traced still counts
    if (s.hop && s.hop !== 'direct' && (s.kind === 'client' || s.kind === 'producer')) hops[s.hop]++;
    if (s.parentSpanId === null) {
      root ??= s;
    } else if (!e.spans.has(s.parentSpanId)) {
      orphanCount++;
      orphanRoot ??= s;
    }
  }
  const r = root ?? orphanRoot ?? spans[0];
  // the cause, not its echoes: an error span none of whose children failed, earliest first
  let firstError: TraceSummary['firstError'] = null;
  if (errorCount > 0) {
    const failedParents = new Set<string>();
    for (const s of spans) if (s.status.code === 'error' && s.parentSpanId) failedParents.add(s.parentSpanId);
    let best: TraceSpan | undefined;
    // One failure is counted once: the callers that pass it on are its echoes, and the retries
    // and dead letter of one invocation (same `faas.invocation_id`) are one failure.
    const causes = new Set<string>();
    for (const s of spans) {
      if (s.status.code !== 'error' || failedParents.has(s.spanId)) continue;
      const inv = s.attributes['faas.invocation_id'];
      causes.add(typeof inv === 'string' ? `inv:${inv}` : s.spanId);
      if (!best || s.startMs + s.durationMs < best.startMs + best.durationMs) best = s;
    }
    errorCount = Math.max(1, causes.size);
    if (best) {
      const ev = best.events.find((x) => x.name === 'exception');
      const msg = ev?.attributes['exception.message'] ?? best.status.message ?? '';
      const code = best.attributes['svcmesh.error.code'];
      // OpenTelemetry JS records an error's `code` as exception.type; the class name heads the stack
      const stack = ev?.attributes['exception.stacktrace'];
      const named = typeof stack === 'string' ? /^([A-Za-z_$][\w$.]*)(?::|$)/.exec(stack)?.[1] : undefined;
      const type = named ?? ev?.attributes['exception.type'];
      firstError = {
        spanId: best.spanId,
        service: best.service,
        name: best.name,
        message: String(msg).slice(0, 300),
        ...(typeof code === 'string' ? { code } : {}),
        ...(typeof type === 'string' ? { type } : {}),
      };
    }
  }
  return {
    traceId: e.traceId,
    rootName: r?.name ?? '',
    rootService: r?.service ?? '',
    rootSpanId: r?.spanId ?? '',
    services,
    startTimeUnixNano: minStartNs,
    startMs: spans.length ? minStart : 0,
    durationMs: spans.length ? Math.max(0, maxEnd - minStart) : 0,
    spanCount: spans.length,
    errorCount,
    hasError: errorCount > 0,
    hops,
    orphanCount,
    droppedSpans: e.dropped,
    updatedAt: e.updatedAt,
    firstError,
  };
}

function valueMatches(v: AttrValue, q: string): boolean {
  if (typeof v === 'string') return v.toLowerCase().includes(q);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v) === q;
  return false;
}

/**
 * Text search beyond the summary: any span name, string attribute value or event attribute value
 * (log lines, exception messages, lifecycle payloads). Only runs for traces the cheap checks did
 * not match, and only while searching, so it costs nothing otherwise.
 */
function deepMatch(e: Entry, q: string): boolean {
  for (const sp of e.spans.values()) {
    if (sp.name.toLowerCase().includes(q)) return true;
    for (const k in sp.attributes) if (valueMatches(sp.attributes[k] ?? null, q)) return true;
    for (const ev of sp.events)
      for (const k in ev.attributes) if (valueMatches(ev.attributes[k] ?? null, q)) return true;
  }
  return false;
}

/** The trace's summary, computed on first use after each change (ingest clears it). */
function summaryOf(e: Entry): TraceSummary {
  e.summary ??= summarise(e);
  return e.summary;
}

function sortedSpans(e: Entry): TraceSpan[] {
  if (!e.sorted) {
    e.sorted = [...e.spans.values()].sort(
      (a, b) => a.startMs - b.startMs || (a.parentSpanId === null ? -1 : b.parentSpanId === null ? 1 : 0),
    );
  }
  return e.sorted;
}

/** Listener of store changes: the ids of the traces that received spans (or `null` after `clear()`). */
export type StoreListener = (traceIds: string[] | null) => void;

/**
 * The bounded trace store.
 *
 * @example
 * ```ts
 * const store = new TraceStore({ maxTraces: 1000 });
 * store.ingest(decodeJsonRequest(body).request);
 * store.list({ service: 'payments', error: true, limit: 20 });
 * ```
 */
export class TraceStore {
  readonly maxTraces: number;
  readonly maxSpansPerTrace: number;
  readonly maxBytes: number;
  private readonly traces = new Map<string, Entry>();
  /** Estimated bytes of every stored span (a request's shared resource spread over its spans). */
  private byteTotal = 0;
  private readonly listeners = new Set<StoreListener>();
  private spanTotal = 0;
  private graphCache: ServiceGraph | undefined;
  /** Spans per service, kept as spans come and go, so the service list costs nothing to read. */
  private readonly serviceSpans = new Map<string, number>();
  /** Work handed to {@link later}, not done yet: every read does it first. */
  private pending: (() => void)[] = [];

  constructor(opts: TraceStoreOptions = {}) {
    this.maxTraces = positiveInt(opts.maxTraces, DEFAULT_MAX_TRACES, 'maxTraces');
    this.maxSpansPerTrace = positiveInt(opts.maxSpansPerTrace, DEFAULT_MAX_SPANS_PER_TRACE, 'maxSpansPerTrace');
    this.maxBytes = positiveInt(opts.maxBytes, DEFAULT_MAX_STORE_BYTES, 'maxBytes');
  }

  /**
   * Runs `work` (an ingest) after the current I/O: the mesh answers an invocation before it files
   * the invocation's spans, so filing them is not on the caller's path. Nothing is lost or seen
   * late: every read of the store first does the work still pending, in order.
   */
  later(work: () => void): void {
    this.pending.push(work);
    if (this.pending.length === 1) setImmediate(() => this.settle());
  }

  /** Does the pending work now (reads call this first). */
  settle(): void {
    if (this.pending.length === 0) return;
    const work = this.pending;
    this.pending = [];
    for (const w of work) w();
  }

  /** Estimated bytes stored, over all traces (kept under `maxBytes`). */
  get bytes(): number {
    this.settle();
    return this.byteTotal;
  }

  /** Traces stored. */
  get size(): number {
    this.settle();
    return this.traces.size;
  }

  /** Spans stored, over all traces. */
  get spanCount(): number {
    this.settle();
    return this.spanTotal;
  }

  /** Adds every span of a (decoded) OTLP request. Returns the ids of the traces that changed. */
  ingest(request: OtlpTraceRequest): string[] {
    const changed = new Set<string>();
    const now = Date.now();
    for (const rs of request.resourceSpans) {
      const tally = newTally();
      const resource = attributesToJs(rs.resource?.attributes ?? [], tally);
      // the resource is shared by the spans of this group: charged once, spread over them
      const groupSpans = rs.scopeSpans.reduce((n, ss) => n + ss.spans.length, 0);
      const resourceShare = Math.ceil(tally.bytes / Math.max(1, groupSpans));
      const svc = Object.hasOwn(resource, 'service.name') ? resource['service.name'] : undefined;
      const service = typeof svc === 'string' && svc !== '' ? svc : 'unknown_service';
      for (const ss of rs.scopeSpans) {
        const scope = { name: ss.scope?.name ?? '', version: ss.scope?.version ?? null };
        for (const s of ss.spans) {
          const { span, bytes } = toTraceSpan(s, resource, service, scope);
          this.add(span, now, bytes + resourceShare);
          changed.add(s.traceId);
        }
      }
    }
    if (changed.size > 0) {
      this.graphCache = undefined;
      this.evict();
      const ids = [...changed].filter((id) => this.traces.has(id));
      for (const l of this.listeners) l(ids);
      return ids;
    }
    return [];
  }

  private add(span: TraceSpan, now: number, bytes: number): void {
    let e = this.traces.get(span.traceId);
    if (e) {
      // most recently updated goes last: eviction takes from the front
      this.traces.delete(span.traceId);
      this.traces.set(span.traceId, e);
    } else {
      e = {
        traceId: span.traceId,
        spans: new Map(),
        bytes: 0,
        dropped: 0,
        updatedAt: now,
        summary: undefined,
        sorted: undefined,
        graph: undefined,
      };
      this.traces.set(span.traceId, e);
    }
    e.updatedAt = now;
    e.summary = undefined;
    e.sorted = undefined;
    e.graph = undefined;
    const prev = e.spans.get(span.spanId);
    if (prev) {
      // an exporter retry: the newer copy replaces the older
      e.spans.set(span.spanId, span);
      this.countService(prev.service, -1);
      this.countService(span.service, 1);
      // (a retry's copy is counted again: an over-estimate until the trace is evicted)
      this.countBytes(e, bytes);
      return;
    }
    if (e.spans.size >= this.maxSpansPerTrace) {
      e.dropped++;
      return;
    }
    e.spans.set(span.spanId, span);
    this.spanTotal++;
    this.countService(span.service, 1);
    this.countBytes(e, bytes);
  }

  private countBytes(e: Entry, bytes: number): void {
    e.bytes += bytes;
    this.byteTotal += bytes;
  }

  private countService(service: string, delta: number): void {
    const n = (this.serviceSpans.get(service) ?? 0) + delta;
    if (n > 0) this.serviceSpans.set(service, n);
    else this.serviceSpans.delete(service);
  }

  private evict(): void {
    while (this.traces.size > this.maxTraces || (this.byteTotal > this.maxBytes && this.traces.size > 0)) {
      const oldest = this.traces.keys().next();
      if (oldest.done) break;
      const e = this.traces.get(oldest.value);
      if (e) {
        this.spanTotal -= e.spans.size;
        this.byteTotal -= e.bytes;
        for (const sp of e.spans.values()) this.countService(sp.service, -1);
      }
      this.traces.delete(oldest.value);
    }
  }

  has(traceId: string): boolean {
    this.settle();
    return this.traces.has(traceId.toLowerCase());
  }

  summary(traceId: string): TraceSummary | undefined {
    this.settle();
    const e = this.traces.get(traceId.toLowerCase());
    if (!e) return undefined;
    return summaryOf(e);
  }

  /** One trace with all its spans, or undefined when it is not stored. */
  get(traceId: string): TraceDetail | undefined {
    this.settle();
    const e = this.traces.get(traceId.toLowerCase());
    if (!e) return undefined;
    const spans = sortedSpans(e);
    e.graph ??= serviceGraph(spans, e.spans);
    return { summary: summaryOf(e), spans, graph: e.graph };
  }

  /** Lists traces, newest first, after filtering. */
  list(query: TraceQuery = {}): TraceList {
    this.settle();
    const limit = Math.min(query.limit ?? DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT);
    const q = query.q?.toLowerCase();
    const matched: TraceSummary[] = [];
    for (const e of this.traces.values()) {
      const s = summaryOf(e);
      if (query.service !== undefined && !s.services.includes(query.service)) continue;
      if (query.error !== undefined && s.hasError !== query.error) continue;
      if (query.minDurationMs !== undefined && s.durationMs < query.minDurationMs) continue;
      if (
        q !== undefined &&
        q !== '' &&
        !s.traceId.startsWith(q) &&
        !s.rootName.toLowerCase().includes(q) &&
        !s.services.some((x) => x.toLowerCase().includes(q)) &&
        !deepMatch(e, q)
      )
        continue;
      matched.push(s);
    }
    matched.sort((a, b) => b.startMs - a.startMs);
    return { traces: matched.slice(0, limit), matched: matched.length, total: this.traces.size };
  }

  /** Root operations with their trace count, errors and duration percentiles, most frequent first. */
  operations(): OperationStats[] {
    this.settle();
    const groups = new Map<string, { service: string; name: string; d: number[]; errors: number; last: number }>();
    for (const e of this.traces.values()) {
      const s = summaryOf(e);
      const key = `${s.rootService}\u0000${s.rootName}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { service: s.rootService, name: s.rootName, d: [], errors: 0, last: 0 }));
      g.d.push(s.durationMs);
      if (s.hasError) g.errors++;
      if (s.startMs > g.last) g.last = s.startMs;
    }
    const pick = (sorted: number[], q: number) =>
      sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
    return [...groups.values()]
      .map((g) => {
        const d = g.d.sort((a, b) => a - b);
        return {
          service: g.service,
          name: g.name,
          count: d.length,
          errorCount: g.errors,
          p50Ms: pick(d, 0.5),
          p95Ms: pick(d, 0.95),
          maxMs: d[d.length - 1] ?? 0,
          lastMs: g.last,
        };
      })
      .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
  }

  /** Every service seen, sorted. */
  services(): string[] {
    this.settle();
    return [...this.serviceSpans.keys()].sort((a, b) => a.localeCompare(b));
  }

  /** The service graph over every stored trace (cached until the next ingest). */
  graph(): ServiceGraph {
    this.settle();
    if (!this.graphCache) {
      const nodes = new Map<string, ServiceNode>();
      const edges = new Map<string, ServiceEdge>();
      // per-trace graphs are cached until their trace changes: a refresh after one new trace
      // recomputes that trace only, then merges
      for (const e of this.traces.values()) {
        e.graph ??= serviceGraph(e.spans.values(), e.spans);
        const g = e.graph;
        for (const n of g.nodes) {
          const m = nodes.get(n.name);
          if (m) {
            m.spanCount += n.spanCount;
            m.errorCount += n.errorCount;
          } else nodes.set(n.name, { ...n });
        }
        for (const ed of g.edges) {
          const key = `${ed.from}\u0000${ed.to}\u0000${ed.hop}`;
          const m = edges.get(key);
          if (m) {
            m.count += ed.count;
            m.errorCount += ed.errorCount;
          } else edges.set(key, { ...ed });
        }
      }
      this.graphCache = {
        nodes: [...nodes.values()].sort((a, b) => a.name.localeCompare(b.name)),
        edges: [...edges.values()],
      };
    }
    return this.graphCache;
  }

  /** Removes every trace (and drops the spans not filed yet). */
  clear(): void {
    this.pending = [];
    this.traces.clear();
    this.spanTotal = 0;
    this.byteTotal = 0;
    this.serviceSpans.clear();
    this.graphCache = undefined;
    for (const l of this.listeners) l(null);
  }

  /** Calls `listener` after every change; returns the unsubscribe function. */
  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

function positiveInt(v: number | undefined, dflt: number, name: string): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`TraceStore: ${name} must be a positive integer, got ${v}`);
  return v;
}
