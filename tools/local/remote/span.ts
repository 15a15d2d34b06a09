/**
 * The remote hop in the trace viewer: one CLIENT span per forwarded call, child of the local
 * caller's span (from the ClientContext traceparent), sent to the mesh's own OTLP collector.
 * The deployed side continues the same trace in the team's backend; `traceLink` (e.g. an X-Ray
 * or Honeycomb URL with `{traceId}`) becomes the span's `svcmesh.remote.link`.
 * @internal
 */
import { randomBytes } from 'node:crypto';
import type { RemoteHop } from './hooks.js';

const TRACEPARENT_RE = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/** The OTLP/JSON request for one hop, or undefined when the call carried no trace context. */
export function hopSpan(h: RemoteHop, traceLink?: string): Record<string, unknown> | undefined {
  const m = TRACEPARENT_RE.exec(h.traceparent ?? '');
  if (m === null) return undefined;
  const traceId = m[1]!;
  const str = (key: string, value: string) => ({ key, value: { stringValue: value } });
  const attributes = [
    str('svcmesh.remote', 'true'),
    str('svcmesh.remote.where', h.where),
    str('svcmesh.remote.stages', h.stages.join(',')),
    str('cloud.provider', 'aws'),
    str('cloud.region', h.region),
    str('faas.invoked_name', h.functionName),
    str('faas.invoked_provider', 'aws'),
    str('faas.invocation_type', h.type),
    str('svcmesh.caller', h.caller),
    { key: 'http.response.status_code', value: { intValue: h.status } },
    str('svcmesh.remote.outcome', h.outcome ?? 'ok'),
  ];
  if (h.remoteRequestId !== undefined) attributes.push(str('aws.request_id', h.remoteRequestId));
  if (traceLink !== undefined) attributes.push(str('svcmesh.remote.link', traceLink.replaceAll('{traceId}', traceId)));
  const startNs = BigInt(Math.round(h.startMs * 1e6));
  const endNs = startNs + BigInt(Math.round(h.durationMs * 1e6));
  return {
    resourceSpans: [
      {
        resource: { attributes: [str('service.name', 'svc-mesh remote'), str('svcmesh.remote.where', h.where)] },
        scopeSpans: [
          {
            scope: { name: 'svc-mesh/hybrid' },
            spans: [
              {
                traceId,
                spanId: randomBytes(8).toString('hex'),
                parentSpanId: m[2]!,
                name: `remote ${h.functionName.slice(h.functionName.lastIndexOf(':') + 1)} (${h.stages.join(' → ')})`,
                kind: 3,
                startTimeUnixNano: startNs.toString(),
                endTimeUnixNano: endNs.toString(),
                attributes,
                status: h.outcome === undefined ? { code: 1 } : { code: 2, message: `${h.outcome} from ${h.where}` },
              },
            ],
          },
        ],
      },
    ],
  };
}

/** Posts the hop's span to the mesh's collector; never throws. */
export async function postHopSpan(endpoint: string, h: RemoteHop, traceLink?: string): Promise<void> {
  const body = hopSpan(h, traceLink);
  if (body === undefined) return;
  try {
    const res = await fetch(`${endpoint}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    await res.arrayBuffer();
  } catch {
    // the viewer is best effort; the call itself already answered
  }
}
