/**
 * A stored trace back to OTLP/JSON (`ExportTraceServiceRequest`), for "download" and for
 * sending one trace to Jaeger, Tempo or any OTLP/HTTP receiver. Attribute types are inferred
 * from the JSON values (integers as intValue, other numbers as doubleValue).
 */
import type { OtlpAnyValue, OtlpKeyValue, OtlpResourceSpans, OtlpSpan, OtlpTraceRequest } from './otlp.js';
import { SPAN_KINDS } from './otlp.js';
import type { Attributes, AttrValue, TraceSpan } from './TraceStore.js';

function toAnyValue(v: AttrValue): OtlpAnyValue {
  if (v === null) return {};
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  if (Array.isArray(v)) return { arrayValue: { values: v.map(toAnyValue) } };
  return { kvlistValue: { values: toKeyValues(v) } };
}

function toKeyValues(a: Attributes): OtlpKeyValue[] {
  return Object.entries(a).map(([key, v]) => ({ key, value: toAnyValue(v) }));
}

const STATUS = { unset: 0, ok: 1, error: 2 } as const;

/** One OTLP/JSON request holding every span of `spans`, grouped by resource and scope. */
export function spansToOtlp(spans: readonly TraceSpan[]): OtlpTraceRequest {
  const byResource = new Map<Attributes, Map<string, OtlpSpan[]>>();
  for (const s of spans) {
    let scopes = byResource.get(s.resource);
    if (!scopes) byResource.set(s.resource, (scopes = new Map()));
    const scopeKey = `${s.scope.name}\u0000${s.scope.version ?? ''}`;
    const list = scopes.get(scopeKey) ?? [];
    scopes.set(scopeKey, list);
    const o: OtlpSpan = {
      traceId: s.traceId,
      spanId: s.spanId,
      name: s.name,
      kind: Math.max(0, SPAN_KINDS.indexOf(s.kind)),
      startTimeUnixNano: s.startTimeUnixNano,
      endTimeUnixNano: s.endTimeUnixNano,
      attributes: toKeyValues(s.attributes),
      events: s.events.map((e) => ({
        timeUnixNano: e.timeUnixNano,
        name: e.name,
        attributes: toKeyValues(e.attributes),
      })),
      links: s.links.map((l) => ({
        traceId: l.traceId,
        spanId: l.spanId,
        ...(l.traceState ? { traceState: l.traceState } : {}),
        attributes: toKeyValues(l.attributes),
      })),
      status: { code: STATUS[s.status.code], ...(s.status.message ? { message: s.status.message } : {}) },
    };
    if (s.parentSpanId) o.parentSpanId = s.parentSpanId;
    if (s.traceState) o.traceState = s.traceState;
    list.push(o);
  }
  const resourceSpans: OtlpResourceSpans[] = [];
  for (const [resource, scopes] of byResource) {
    resourceSpans.push({
      resource: { attributes: toKeyValues(resource) },
      scopeSpans: [...scopes].map(([key, list]) => {
        const [name = '', version = ''] = key.split('\u0000');
        return { scope: { name, ...(version ? { version } : {}) }, spans: list };
      }),
    });
  }
  return { resourceSpans };
}
