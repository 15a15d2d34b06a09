/**
 * The CLIENT span of a call, attribute by attribute, each written against a mutant that survived
 * the first mutation run of the invoke area (docs/mutation.md): what a trace backend shows for a
 * call (who called what, where it was found, how many attempts, the request id) and for a failed
 * one (status, exception, error code), and that the callee is handed this span as its parent.
 * Its own file: it registers a global tracer provider. Real Lambda/SSM clients, wire server.
 */
import { SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSdk } from '../../../src/invoke/Sdk.js';
import type { SdkConfig } from '../../../src/internal/config.js';
import { type WireServer, startWireServer } from '../../helpers/wire-server.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

describe('Sdk: the CLIENT span of a call', () => {
  let ws: WireServer;
  let throttle = 0;
  const base = (): SdkConfig => ({
    region: 'us-east-1',
    endpoint: ws.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    env: {},
    stage: 'dev',
    retryBaseMs: 1,
  });
  const client = (): ReadableSpan => {
    const spans = exporter.getFinishedSpans().filter((s) => s.name.startsWith('invoke '));
    expect(spans).toHaveLength(1);
    return spans[0]!;
  };

  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
    ws = await startWireServer({
      functions: { 'b-dev-g': async () => 'ok', plain: async () => 'plain' },
      onInvoke: () => (throttle-- > 0 ? { status: 429, type: 'TooManyRequestsException' } : undefined),
    });
    ws.parameters.set(
      '/svc-mesh/dev/b/g',
      JSON.stringify({ v: 2, service: 'b', function: 'g', stage: 'dev', functionArn: ws.arn('b-dev-g') }),
    );
  });
  afterAll(async () => {
    await ws.close();
    trace.disable();
    context.disable();
    propagation.disable();
  });
  beforeEach(() => {
    exporter.reset();
    throttle = 0;
  });

  it('names the call, the caller, where the target was found and the request id', async () => {
    const sdk = createSdk({ ...base(), service: 'orders', function: 'place' });
    await sdk.invoke('b:g', {});
    const s = client();
    expect(s.name).toBe('invoke b:g');
    expect(s.attributes).toEqual({
      'svcmesh.hop': 'sync',
      'svcmesh.target': 'b:g',
      'svcmesh.caller': 'orders:place',
      'rpc.system': 'aws-api',
      'rpc.service': 'Lambda',
      'rpc.method': 'Invoke',
      'faas.invoked_provider': 'aws',
      'cloud.provider': 'aws',
      'faas.invoked_name': 'b-dev-g',
      'faas.invoked_region': 'us-east-1',
      'svcmesh.discovery.source': 'ssm',
      'svcmesh.stage': 'dev',
      'svcmesh.attempts': 1,
      'aws.request_id': expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    // The callee gets this span as its parent.
    const cc = ws.invokes.at(-1)!.clientContext as { custom: { traceparent: string } };
    expect(cc.custom.traceparent).toBe(`00-${s.spanContext().traceId}-${s.spanContext().spanId}-01`);
  });

  it('an Event call by an unnamed function through a route: no caller, region or stage; attempts counted', async () => {
    const sdk = createSdk({ ...base(), routes: { 'a:f': 'plain' } });
    throttle = 2;
    await sdk.invokeAsync('a:f', {});
    const s = client();
    expect(s.attributes['svcmesh.hop']).toBe('async');
    expect(s.attributes['svcmesh.caller']).toBeUndefined();
    expect(s.attributes['faas.invoked_name']).toBe('plain');
    expect(s.attributes['faas.invoked_region']).toBeUndefined();
    expect(s.attributes['svcmesh.stage']).toBeUndefined();
    expect(s.attributes['svcmesh.discovery.source']).toBe('routes');
    expect(s.attributes['svcmesh.attempts']).toBe(3);
    expect(s.attributes['aws.request_id']).toMatch(/^[0-9a-f-]{36}$/);
    // Start attributes are cached per hop, target and caller: a named caller of the same target and
    // hop gets its own, and so does the other hop.
    exporter.reset();
    const named = createSdk({ ...base(), routes: { 'a:f': 'plain' }, service: 'x', function: 'y' });
    await named.invokeAsync('a:f', {});
    expect(client().attributes).toMatchObject({ 'svcmesh.hop': 'async', 'svcmesh.caller': 'x:y' });
    exporter.reset();
    await createSdk({ ...base(), routes: { 'a:f': 'plain' }, service: 'z', function: 'w' }).invokeAsync('a:f', {});
    expect(client().attributes).toMatchObject({ 'svcmesh.hop': 'async', 'svcmesh.caller': 'z:w' });
    exporter.reset();
    await named.invoke('a:f', {});
    expect(client().attributes).toMatchObject({ 'svcmesh.hop': 'sync', 'svcmesh.caller': 'x:y' });
  });

  it('a failed call: ERROR status with the message, the exception, the error code and the attempts', async () => {
    const sdk = createSdk({ ...base(), maxRetries: 1, routes: { 'a:f': 'plain' } });
    throttle = 5;
    const err = (await sdk.invoke('a:f', {}).catch((e: unknown) => e)) as Error & { code: string };
    expect(err.code).toBe('THROTTLED');
    const s = client();
    expect(s.status).toEqual({ code: SpanStatusCode.ERROR, message: err.message });
    expect(s.attributes['svcmesh.error.code']).toBe('THROTTLED');
    expect(s.attributes['svcmesh.attempts']).toBe(2);
    expect(s.attributes['faas.invoked_name']).toBe('plain');
    const ex = s.events.find((e) => e.name === 'exception');
    expect(ex?.attributes?.['exception.type']).toBe('THROTTLED');
    expect(ex?.attributes?.['exception.message']).toBe(err.message);
  });

  it('a call that never resolved its target: the attempts only', async () => {
    const sdk = createSdk(base());
    const err = (await sdk.invoke('nobody:here', {}).catch((e: unknown) => e)) as { code: string };
    expect(err.code).toBe('TARGET_NOT_FOUND');
    const s = client();
    expect(s.attributes['svcmesh.attempts']).toBe(0);
    expect(s.attributes['faas.invoked_name']).toBeUndefined();
    expect(s.attributes['svcmesh.error.code']).toBe('TARGET_NOT_FOUND');
  });
});
