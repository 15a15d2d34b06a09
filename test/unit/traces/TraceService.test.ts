import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { OTLPTraceExporter as OTLPProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { hex, otlpRequest, scenarioSpans } from './otlpFixtures.js';
import { startTraceServer } from './traceServer.js';

const postJson = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
  });

describe('Function: createTraceService (HTTP)', () => {
  it('accepts OTLP/JSON and serves it through the list and trace APIs', async () => {
    await using srv = await startTraceServer();
    const sc = scenarioSpans();
    const res = await postJson(srv.url, otlpRequest(sc.traceId, sc.spans));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    const list = (await (await fetch(`${srv.url}/api/traces?service=payments&error=true&limit=5`)).json()) as {
      traces: { traceId: string; rootName: string; services: string[]; spanCount: number; hasError: boolean }[];
    };
    expect(list.traces).toHaveLength(1);
    expect(list.traces[0]).toMatchObject({
      traceId: sc.traceId,
      rootName: 'orders:placeOrder',
      spanCount: 7,
      hasError: true,
    });
    const detail = (await (await fetch(`${srv.url}/api/traces/${sc.traceId.toUpperCase()}`)).json()) as {
      spans: { spanId: string; service: string; hop: string | null; traceState: string }[];
    };
    expect(detail.spans).toHaveLength(7);
    expect(detail.spans.find((s) => s.spanId === sc.ids['record'])).toMatchObject({ service: 'ledger', hop: 'async' });
    expect(await (await fetch(`${srv.url}/api/services`)).json()).toEqual({
      services: ['alerts', 'ledger', 'orders', 'payments'],
    });
    const graph = (await (await fetch(`${srv.url}/api/graph`)).json()) as { edges: unknown[] };
    expect(graph.edges).toHaveLength(3);
  });

  it('accepts protobuf from the OpenTelemetry OTLP/HTTP protobuf exporter', async () => {
    await using srv = await startTraceServer();
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'ledger' }),
      spanProcessors: [new SimpleSpanProcessor(new OTLPProtoExporter({ url: `${srv.url}/v1/traces` }))],
    });
    const span = provider.getTracer('t').startSpan('ledger:record', { attributes: { 'svcmesh.hop': 'async' } });
    span.recordException(new RangeError('bad amount'));
    span.end();
    await provider.forceFlush();
    const d = srv.traces.store.get(span.spanContext().traceId);
    expect(d?.spans[0]).toMatchObject({ name: 'ledger:record', service: 'ledger', hop: 'async' });
    expect(d?.spans[0]?.events[0]?.attributes['exception.type']).toBe('RangeError');
    await provider.shutdown();
  });

  it('accepts gzip bodies and reports rejected spans as partial success', async () => {
    await using srv = await startTraceServer();
    const t = hex(16);
    const body = otlpRequest(t, [{ service: 'a', spanId: hex(8), name: 'ok', kind: 2, startMs: 1, durationMs: 1 }]);
    (body.resourceSpans[0] as { scopeSpans: { spans: unknown[] }[] }).scopeSpans[0]!.spans.push({
      traceId: 'nope',
      spanId: 'x',
    });
    const res = await postJson(srv.url, gzipSync(JSON.stringify(body)), { 'content-encoding': 'gzip' });
    expect(res.status).toBe(200);
    const j = (await res.json()) as { partialSuccess: { rejectedSpans: number; errorMessage: string } };
    expect(j.partialSuccess.rejectedSpans).toBe(1);
    expect(j.partialSuccess.errorMessage).toMatch(/traceId/);
    expect(srv.traces.store.has(t)).toBe(true);
  });

  it('answers malformed bodies with 400 and a message, and keeps serving', async () => {
    await using srv = await startTraceServer({ maxBodyBytes: 10_000 });
    const cases: [RequestInit, number, RegExp][] = [
      [{ headers: { 'content-type': 'application/json' }, body: '{"resourceSpans":' }, 400, /not valid JSON/],
      [{ headers: { 'content-type': 'application/json' }, body: '{"resourceSpans":"x"}' }, 400, /must be an array/],
      [
        { headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: 'not gzip' },
        400,
        /decompressed/,
      ],
      [
        { headers: { 'content-type': 'application/json', 'content-encoding': 'br' }, body: '{}' },
        415,
        /Content-Encoding/,
      ],
      [{ headers: { 'content-type': 'text/plain' }, body: 'hi' }, 415, /application\/json or application\/x-protobuf/],
      [{ headers: { 'content-type': 'application/json' }, body: 'x'.repeat(20_000) }, 413, /larger than/],
    ];
    for (const [init, status, msg] of cases) {
      const res = await fetch(`${srv.url}/v1/traces`, { method: 'POST', ...init });
      expect(res.status, String(init.body).slice(0, 20)).toBe(status);
      const j = (await res.json()) as { error: { code: string; message: string } };
      expect(j.error.message).toMatch(msg);
      expect(typeof j.error.code).toBe('string');
    }
    // protobuf errors come back as google.rpc.Status in protobuf
    const pbRes = await fetch(`${srv.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: Buffer.from('definitely not protobuf'),
    });
    expect(pbRes.status).toBe(400);
    expect(pbRes.headers.get('content-type')).toBe('application/x-protobuf');
    expect(Buffer.from(await pbRes.arrayBuffer()).toString('latin1')).toMatch(/not a (valid )?protobuf/);
    expect((await fetch(`${srv.url}/v1/traces`)).status).toBe(405);
    // still alive and ingesting
    const sc = scenarioSpans();
    expect((await postJson(srv.url, otlpRequest(sc.traceId, sc.spans))).status).toBe(200);
    expect(srv.traces.store.size).toBe(1);
  });

  it('exports a stored trace as OTLP/JSON that the collector accepts again unchanged', async () => {
    await using a = await startTraceServer();
    await using b = await startTraceServer();
    const sc = scenarioSpans();
    await postJson(a.url, otlpRequest(sc.traceId, sc.spans));
    const res = await fetch(`${a.url}/api/traces/${sc.traceId}/otlp`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toContain(`trace-${sc.traceId}.otlp.json`);
    const otlp = await res.text();
    expect((await postJson(b.url, otlp)).status).toBe(200);
    const one = a.traces.store.get(sc.traceId)!;
    const two = b.traces.store.get(sc.traceId)!;
    const strip = (d: typeof one) => d.spans.map(({ resource, ...rest }) => ({ ...rest, resource: { ...resource } }));
    expect(strip(two)).toEqual(strip(one));
    expect((await fetch(`${a.url}/api/traces/${hex(16)}/otlp`)).status).toBe(404);
  });

  it('answers unknown trace ids with 404, as JSON and as a page', async () => {
    await using srv = await startTraceServer();
    const unknown = hex(16);
    const api = await fetch(`${srv.url}/api/traces/${unknown}`);
    expect(api.status).toBe(404);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('TRACE_NOT_FOUND');
    const bad = await fetch(`${srv.url}/api/traces/not-an-id`);
    expect(bad.status).toBe(404);
    const page = await fetch(`${srv.url}/traces/${unknown}`);
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toMatch(/viewer\.js/);
    expect((await fetch(`${srv.url}/api/nope`)).status).toBe(404);
    expect((await fetch(`${srv.url}/api/traces?limit=0`)).status).toBe(400);
    expect((await fetch(`${srv.url}/api/traces?error=maybe`)).status).toBe(400);
    expect((await fetch(`${srv.url}/api/traces?minDurationMs=-1`)).status).toBe(400);
  });

  it('serves the viewer and its assets, and leaves other paths alone', async () => {
    await using srv = await startTraceServer();
    const root = await fetch(`${srv.url}/`);
    expect(root.status).toBe(200);
    expect(await root.text()).toMatch(/<title>svc-mesh · traces<\/title>/);
    for (const [p, type] of [
      ['/assets/viewer.js', /javascript/],
      ['/assets/viewer.css', /css/],
      ['/assets/favicon.svg', /svg/],
    ] as const) {
      const r = await fetch(`${srv.url}${p}`);
      expect(r.status, p).toBe(200);
      expect(r.headers.get('content-type')).toMatch(type);
    }
    // not the trace service's: the Lambda API, SNS form posts, unknown assets
    expect((await fetch(`${srv.url}/2015-03-31/functions/x/invocations`, { method: 'POST', body: '{}' })).status).toBe(
      418,
    );
    expect((await fetch(`${srv.url}/`, { method: 'POST', body: 'Action=Publish' })).status).toBe(418);
    expect((await fetch(`${srv.url}/assets/other.js`)).status).toBe(418);
  });

  it('streams live updates over server-sent events', async () => {
    await using srv = await startTraceServer();
    const ac = new AbortController();
    const res = await fetch(`${srv.url}/api/stream`, { signal: ac.signal });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    const sc = scenarioSpans();
    let text = '';
    const dec = new TextDecoder();
    text += dec.decode((await reader.read()).value);
    expect(text).toMatch(/event: hello/);
    await postJson(srv.url, otlpRequest(sc.traceId, sc.spans));
    while (!text.includes('event: traces')) text += dec.decode((await reader.read()).value);
    while (!text.endsWith('\n\n')) text += dec.decode((await reader.read()).value);
    const data = JSON.parse(text.split('event: traces\ndata: ')[1]!.split('\n')[0]!) as { traceIds: string[] };
    expect(data.traceIds).toEqual([sc.traceId]);
    ac.abort();
  });

  it('persists accepted requests as OTLP JSON lines and loads them back at start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'svc-mesh-traces-'));
    const file = join(dir, 'traces.jsonl');
    const sc = scenarioSpans();
    {
      await using srv = await startTraceServer({ persistPath: file });
      await postJson(srv.url, otlpRequest(sc.traceId, sc.spans.slice(0, 3)));
      await postJson(srv.url, otlpRequest(sc.traceId, sc.spans.slice(3)));
    }
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    const first = JSON.parse(lines[0]!) as { resourceSpans: { scopeSpans: { spans: { traceId: string }[] }[] }[] };
    expect(first.resourceSpans[0]?.scopeSpans[0]?.spans[0]?.traceId).toBe(sc.traceId); // hex, as OTLP/JSON requires
    writeFileSync(file, `${readFileSync(file, 'utf8')}this line is garbage\n`);
    await using again = await startTraceServer({ persistPath: file });
    const detail = (await (await fetch(`${again.url}/api/traces/${sc.traceId}`)).json()) as { spans: unknown[] };
    expect(detail.spans).toHaveLength(7);
  });
});
