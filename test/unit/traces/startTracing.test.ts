import { context, propagation, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { getTracing, resolveTracesEndpoint, startTracing } from '../../../src/tracing/sdk/index.js';
import { startTraceServer } from './traceServer.js';

afterEach(async () => {
  await getTracing()?.shutdown();
});

describe('Function: startTracing', () => {
  it('exports spans over OTLP/HTTP with the Lambda resource attributes', async () => {
    // Prepare
    await using srv = await startTraceServer();
    const t = startTracing({
      endpoint: srv.url,
      env: {
        SVC_MESH_SERVICE: 'payments',
        SVC_MESH_FUNCTION: 'charge',
        SVC_MESH_STAGE: 'dev',
        AWS_LAMBDA_FUNCTION_NAME: 'payments-dev-charge',
        AWS_REGION: 'eu-west-1',
      },
    });
    expect(startTracing()).toBe(t); // idempotent
    expect(t.endpoint).toBe(`${srv.url}/v1/traces`);
    // Act
    const span = trace.getTracer('test').startSpan('payments:charge', { kind: SpanKind.SERVER });
    const traceId = span.spanContext().traceId;
    span.end();
    await t.forceFlush();
    // Assess
    const d = srv.traces.store.get(traceId);
    expect(d?.spans).toHaveLength(1);
    expect(d?.spans[0]?.kind).toBe('server');
    expect(d?.spans[0]?.resource).toMatchObject({
      'service.name': 'payments',
      'faas.name': 'payments-dev-charge',
      'cloud.provider': 'aws',
      'cloud.region': 'eu-west-1',
      'cloud.platform': 'aws_lambda',
      'svcmesh.function': 'charge',
      'deployment.environment.name': 'dev',
    });
  });

  it('injects W3C traceparent, tracestate, baggage and the X-Ray header, and extracts either', async () => {
    startTracing({ exporter: new InMemorySpanExporter(), env: {} });
    const tracer = trace.getTracer('test');
    const parentCtx = propagation.extract(ROOT_CONTEXT, {
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      tracestate: 'svcmesh=abc,vendor=1',
      baggage: 'tenant=t1',
    });
    const span = tracer.startSpan('x', undefined, parentCtx);
    const carrier: Record<string, string> = {};
    propagation.inject(trace.setSpan(parentCtx, span), carrier);
    span.end();
    expect(carrier['traceparent']).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
    expect(carrier['tracestate']).toBe('svcmesh=abc,vendor=1');
    expect(carrier['baggage']).toBe('tenant=t1');
    expect(carrier['x-amzn-trace-id']).toMatch(
      /^Root=1-0af76519-16cd43dd8448eb211c80319c;Parent=[0-9a-f]{16};Sampled=1$/,
    );
    // an X-Ray header alone joins the X-Ray trace
    const xctx = propagation.extract(ROOT_CONTEXT, {
      'x-amzn-trace-id': 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
    });
    expect(trace.getSpanContext(xctx)?.traceId).toBe('5759e988bd862e3fe1be46a994272793');
    // a malformed traceparent starts a new trace, never throws
    const bad = propagation.extract(ROOT_CONTEXT, { traceparent: '00-zzz-1-01' });
    expect(trace.getSpanContext(bad)).toBeUndefined();
    const fresh = tracer.startSpan('y', undefined, bad);
    expect(fresh.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
    fresh.end();
    expect(context.active()).toBe(ROOT_CONTEXT);
  });

  it('resolves the endpoint: option, OTEL variables, local mesh, then the OTLP default', () => {
    expect(resolveTracesEndpoint('http://h:1/', {})).toBe('http://h:1/v1/traces');
    expect(resolveTracesEndpoint('http://h:1/v1/traces', {})).toBe('http://h:1/v1/traces');
    expect(resolveTracesEndpoint(undefined, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t/x' })).toBe('http://t/x');
    expect(resolveTracesEndpoint(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toBe(
      'http://c:4318/v1/traces',
    );
    expect(resolveTracesEndpoint(undefined, { AWS_ENDPOINT_URL: 'http://127.0.0.1:4710' })).toBe(
      'http://127.0.0.1:4710/v1/traces',
    );
    expect(resolveTracesEndpoint(undefined, { AWS_ENDPOINT_URL: 'https://lambda.eu-west-1.amazonaws.com' })).toBe(
      'http://localhost:4318/v1/traces',
    );
  });

  it('records console output as log events on the active span when asked, and restores console at shutdown', async () => {
    const exporter = new InMemorySpanExporter();
    const original = console.warn;
    const t = startTracing({ exporter, captureConsole: true, env: {} });
    expect(console.warn).not.toBe(original);
    const span = trace.getTracer('t').startSpan('handler');
    context.with(trace.setSpan(context.active(), span), () => console.warn('charge %s failed: %d', 'o-1', 402));
    console.warn('outside any span'); // no active span: nothing recorded, still printed
    span.end();
    await t.forceFlush();
    const events = exporter.getFinishedSpans()[0]?.events ?? [];
    expect(events.map((e) => [e.name, e.attributes?.['log.severity'], e.attributes?.['log.message']])).toEqual([
      ['log', 'warn', 'charge o-1 failed: 402'],
    ]);
    await t.shutdown();
    expect(console.warn).toBe(original);
  });

  it('registers nothing when OTEL_SDK_DISABLED=true', () => {
    const t = startTracing({ env: { OTEL_SDK_DISABLED: 'true' } });
    expect(t.provider).toBeUndefined();
    expect(trace.getTracer('x').startSpan('y').spanContext().traceId).toBe('00000000000000000000000000000000');
  });
});

describe('Module: svc-mesh/tracing/register', () => {
  it('starts tracing before the app loads and flushes its spans when the process exits', async () => {
    const { spawn } = await import('node:child_process');
    await using srv = await startTraceServer();
    const code = `import { trace } from '@opentelemetry/api';
const s = trace.getTracer('app').startSpan('job');
console.log(s.spanContext().traceId);
s.end();`;
    const child = spawn(
      process.execPath,
      [
        '--conditions=source',
        '--import',
        'tsx',
        '--import',
        'svc-mesh/tracing/register',
        '--input-type=module',
        '-e',
        code,
      ],
      {
        cwd: new URL('../../../', import.meta.url),
        env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: srv.url, SVC_MESH_SERVICE: 'worker-job', NODE_OPTIONS: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    const exit = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(exit, err).toBe(0);
    const traceId = out.trim();
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    const d = srv.traces.store.get(traceId);
    expect(d?.spans.map((s) => [s.name, s.service])).toEqual([['job', 'worker-job']]);
  });
});
