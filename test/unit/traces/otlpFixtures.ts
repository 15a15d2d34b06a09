/**
 * Synthetic OTLP/JSON requests shaped like the spans svc-mesh's runtime emits (names,
 * kinds, `svcmesh.hop`, links, exceptions), for the collector, store and viewer tests and
 * the tracing benchmark.
 */
import { randomBytes } from 'node:crypto';

export const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

type Attr = string | number | boolean;
const kv = (attrs: Record<string, Attr>) =>
  Object.entries(attrs).map(([key, v]) => ({
    key,
    value:
      typeof v === 'string'
        ? { stringValue: v }
        : typeof v === 'boolean'
          ? { boolValue: v }
          : Number.isInteger(v)
            ? { intValue: String(v) }
            : { doubleValue: v },
  }));

export interface FixtureSpan {
  service: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: 1 | 2 | 3 | 4 | 5;
  startMs: number;
  durationMs: number;
  attributes?: Record<string, Attr>;
  error?: { type: string; message: string; stack?: string };
  links?: string[];
  traceState?: string;
}

const ns = (ms: number) => (BigInt(Math.round(ms * 1000)) * 1000n).toString();

/** POSTs spans as OTLP/JSON to a collector's `/v1/traces` (`url` is its base URL). */
export function postOtlp(url: string, traceId: string, spans: FixtureSpan[]): Promise<Response> {
  return fetch(`${url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(otlpRequest(traceId, spans)),
  });
}

/** Builds one OTLP/JSON ExportTraceServiceRequest, one resource per service. */
export function otlpRequest(traceId: string, spans: FixtureSpan[]): { resourceSpans: unknown[] } {
  const byService = new Map<string, FixtureSpan[]>();
  for (const s of spans) byService.set(s.service, [...(byService.get(s.service) ?? []), s]);
  return {
    resourceSpans: [...byService].map(([service, list]) => ({
      resource: { attributes: kv({ 'service.name': service, 'cloud.provider': 'aws', 'faas.name': `${service}-dev` }) },
      scopeSpans: [
        {
          scope: { name: 'svc-mesh', version: '0.1.0' },
          spans: list.map((s) => ({
            traceId,
            spanId: s.spanId,
            ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
            ...(s.traceState ? { traceState: s.traceState } : {}),
            name: s.name,
            kind: s.kind,
            startTimeUnixNano: ns(s.startMs),
            endTimeUnixNano: ns(s.startMs + s.durationMs),
            attributes: kv(s.attributes ?? {}),
            events: s.error
              ? [
                  {
                    timeUnixNano: ns(s.startMs + s.durationMs),
                    name: 'exception',
                    attributes: kv({
                      'exception.type': s.error.type,
                      'exception.message': s.error.message,
                      ...(s.error.stack ? { 'exception.stacktrace': s.error.stack } : {}),
                    }),
                  },
                ]
              : [],
            links: (s.links ?? []).map((spanId) => ({ traceId, spanId, attributes: [] })),
            status: s.error ? { code: 2, message: s.error.message } : { code: 0 },
          })),
        },
      ],
    })),
  };
}

/**
 * The end-to-end scenario as spans: orders:placeOrder → payments:charge (sync) →
 * ledger:record (async), and charge's `failed` event → alerts:onPaymentFailed.
 */
export function scenarioSpans(t0 = Date.now() - 200): {
  traceId: string;
  spans: FixtureSpan[];
  ids: Record<string, string>;
} {
  const ids = {
    remoteParent: hex(8),
    placeOrder: hex(8),
    invokeCharge: hex(8),
    charge: hex(8),
    invokeRecord: hex(8),
    record: hex(8),
    publish: hex(8),
    onFailed: hex(8),
  };
  const ts = 'svcmesh=e2e,vendor=abc';
  const spans: FixtureSpan[] = [
    {
      service: 'orders',
      spanId: ids.placeOrder,
      parentSpanId: ids.remoteParent,
      name: 'orders:placeOrder',
      kind: 2,
      startMs: t0,
      durationMs: 48,
      attributes: { 'faas.trigger': 'other', 'svcmesh.hop': 'sync' },
      traceState: ts,
      error: { type: 'RemoteFunctionError', message: 'payments:charge failed: card declined' },
    },
    {
      service: 'orders',
      spanId: ids.invokeCharge,
      parentSpanId: ids.placeOrder,
      name: 'invoke payments:charge',
      kind: 3,
      startMs: t0 + 3,
      durationMs: 40,
      attributes: {
        'svcmesh.hop': 'sync',
        'faas.invoked_name': 'payments-dev-charge',
        'faas.invoked_provider': 'aws',
        'rpc.system': 'aws-api',
        'rpc.service': 'Lambda',
        'rpc.method': 'Invoke',
      },
      traceState: ts,
      error: { type: 'RemoteFunctionError', message: 'payments:charge failed: card declined' },
    },
    {
      service: 'payments',
      spanId: ids.charge,
      parentSpanId: ids.invokeCharge,
      name: 'payments:charge',
      kind: 2,
      startMs: t0 + 6,
      durationMs: 33,
      attributes: { 'svcmesh.hop': 'sync', 'faas.coldstart': false, 'svcmesh.error.code': 'CARD_DECLINED' },
      traceState: ts,
      error: {
        type: 'CardDeclinedError',
        message: 'card declined',
        stack:
          'CardDeclinedError: card declined\n    at charge (payments/handler.ts:14:11)\n    at defineFunction (svc-mesh/src/invoke/defineFunction.ts:88:20)',
      },
    },
    {
      service: 'payments',
      spanId: ids.invokeRecord,
      parentSpanId: ids.charge,
      name: 'invoke ledger:record',
      kind: 3,
      startMs: t0 + 9,
      durationMs: 4,
      attributes: { 'svcmesh.hop': 'async', 'faas.invoked_name': 'ledger-dev-record' },
      traceState: ts,
    },
    {
      service: 'ledger',
      spanId: ids.record,
      parentSpanId: ids.invokeRecord,
      name: 'ledger:record',
      kind: 2,
      startMs: t0 + 22,
      durationMs: 12,
      attributes: { 'svcmesh.hop': 'async' },
      traceState: ts,
    },
    {
      service: 'payments',
      spanId: ids.publish,
      parentSpanId: ids.charge,
      name: 'publish payments:charge failed',
      kind: 4,
      startMs: t0 + 36,
      durationMs: 2,
      attributes: {
        'svcmesh.hop': 'event',
        'messaging.system': 'aws_sns',
        'messaging.operation.type': 'publish',
        'messaging.destination.name': 'payments-dev-charge-failed',
      },
      traceState: ts,
    },
    {
      service: 'alerts',
      spanId: ids.onFailed,
      parentSpanId: ids.publish,
      name: 'alerts:onPaymentFailed <- payments:charge failed',
      kind: 5,
      startMs: t0 + 52,
      durationMs: 9,
      attributes: {
        'svcmesh.hop': 'event',
        'messaging.system': 'aws_sns',
        'svcmesh.event.type': 'failed',
        'svcmesh.event.payload': JSON.stringify({
          error: { type: 'CardDeclinedError', message: 'card declined' },
          input: { orderId: 'o-1', amount: 4200 },
        }),
      },
      links: [ids.publish],
      traceState: ts,
    },
  ];
  return { traceId: hex(16), spans, ids };
}
