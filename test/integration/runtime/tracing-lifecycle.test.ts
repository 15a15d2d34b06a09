import { SpanKind, context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  InMemorySpanExporter,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LifecycleEvent, type SdkConfig, createSdk, defineFunction, defineSubscriber } from 'svc-mesh';
import { type WireServer, startWireServer } from '../../helpers/wire-server.js';

const exporter = new InMemorySpanExporter();
// A long batch delay: spans only reach the exporter when defineFunction flushes them.
const provider = new BasicTracerProvider({
  spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 600_000 })],
});

const lambdaCtx = (name: string, ms = 5_000) => {
  const deadline = Date.now() + ms;
  return {
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
    memoryLimitInMB: '128',
    awsRequestId: crypto.randomUUID(),
    logGroupName: '',
    logStreamName: '',
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
};

describe('Tracing and lifecycle events end to end (real SDK clients, wire server)', () => {
  let ws: WireServer;
  const received: LifecycleEvent[] = [];
  let placeOrder: (e: unknown, c: ReturnType<typeof lambdaCtx>) => Promise<unknown>;
  const topic = (t: string) => `arn:aws:sns:us-east-1:000000000000:payments-dev-charge-${t}`;

  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
    ws = await startWireServer({
      subscriptions: { [topic('success')]: ['email-dev-onCharge'], [topic('failed')]: ['email-dev-onCharge'] },
    });
    const base: SdkConfig = { region: 'us-east-1', endpoint: ws.endpoint, env: {}, stage: 'dev', retryBaseMs: 1 };
    const payments = createSdk({
      ...base,
      service: 'payments',
      function: 'charge',
      subscribable: true,
      topics: { start: topic('start'), success: topic('success'), failed: topic('failed') },
    });
    ws.functions.set('payments-dev-charge', {
      timeout: 5,
      handler: defineFunction<
        { orderId: string; amountCents: number; big?: string; wait?: boolean },
        { chargeId: string }
      >(
        async (input) => {
          if (input.wait) {
            // Stay busy until the timer has published `failed` (deterministic, no sleeps).
            while (!ws.published.some((p) => p.message.includes('Sandbox.Timedout')))
              await new Promise((r) => setImmediate(r));
            return { chargeId: 'late' };
          }
          if (input.amountCents < 0)
            throw Object.assign(new Error('declined'), { name: 'CardDeclinedError', code: 'CARD_DECLINED' });
          return { chargeId: `ch-${input.orderId}` };
        },
        { sdk: payments },
      ) as never,
    });
    ws.functions.set('payments-dev-slowcharge', {
      timeout: 1,
      handler: defineFunction(
        async (input: { wait: boolean }) =>
          (await ws.functions
            .get('payments-dev-charge')!
            .handler({ ...input, orderId: 'w', amountCents: 1 }, lambdaCtx('x'))) as never,
        {
          sdk: payments,
        },
      ) as never,
    });
    ws.functions.set('email-dev-onCharge', {
      handler: defineSubscriber(
        async (event) => {
          received.push(event);
        },
        { sdk: createSdk({ ...base, service: 'email', function: 'onCharge' }) },
      ) as never,
    });
    const orders = createSdk({
      ...base,
      service: 'orders',
      function: 'placeOrder',
      calling: ['payments:charge'],
      routes: { 'payments:charge': ws.arn('payments-dev-charge') },
    });
    placeOrder = defineFunction(
      async (input: { id: string; amountCents?: number }) => {
        return orders.invoke('payments:charge', { orderId: input.id, amountCents: input.amountCents ?? 1200 });
      },
      { sdk: orders },
    ) as never;
  });
  afterAll(async () => {
    await ws.close();
    trace.disable();
    context.disable();
    propagation.disable();
  });

  it('connects SERVER → CLIENT → SERVER → PRODUCER → CONSUMER in one trace, flushed before returning', async () => {
    // Act
    exporter.reset();
    received.length = 0;
    await placeOrder({ id: 'o1' }, lambdaCtx('orders-dev-placeOrder'));
    await ws.settle();
    // Assess
    const spans = exporter.getFinishedSpans();
    const by = (name: string) => spans.find((s) => s.name === name) as ReadableSpan;
    const server = by('orders:placeOrder');
    const client = by('invoke payments:charge');
    const callee = by('payments:charge');
    const start = by('publish payments:charge start');
    const success = by('publish payments:charge success');
    const consumer = by('email:onCharge <- payments:charge success');
    for (const s of [server, client, callee, start, success, consumer])
      expect(s?.spanContext().traceId).toBe(server.spanContext().traceId);
    expect([server.kind, client.kind, callee.kind, start.kind, consumer.kind]).toEqual([
      SpanKind.SERVER,
      SpanKind.CLIENT,
      SpanKind.SERVER,
      SpanKind.PRODUCER,
      SpanKind.CONSUMER,
    ]);
    expect(client.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    expect(callee.parentSpanContext?.spanId).toBe(client.spanContext().spanId);
    expect(success.parentSpanContext?.spanId).toBe(callee.spanContext().spanId);
    expect(consumer.parentSpanContext?.spanId).toBe(success.spanContext().spanId);
    expect(consumer.links[0]?.context.spanId).toBe(success.spanContext().spanId);
    expect(client.attributes).toMatchObject({
      'svcmesh.hop': 'sync',
      'faas.invoked_name': 'payments-dev-charge',
      'faas.invoked_provider': 'aws',
      'rpc.system': 'aws-api',
      'rpc.method': 'Invoke',
      'svcmesh.discovery.source': 'routes',
    });
    expect(callee.attributes).toMatchObject({ 'svcmesh.hop': 'sync', 'svcmesh.caller': 'orders:placeOrder' });
    expect(start.attributes).toMatchObject({ 'messaging.system': 'aws_sns', 'svcmesh.hop': 'event' });
    expect(consumer.attributes).toMatchObject({ 'svcmesh.hop': 'event' });
    // The subscriber got a typed event.
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({
      type: 'success',
      source: 'payments:charge',
      stage: 'dev',
      input: { orderId: 'o1' },
      result: { chargeId: 'ch-o1' },
    });
  });

  it('publishes start and failed (with the error code) and rethrows the error unchanged', async () => {
    ws.published.length = 0;
    received.length = 0;
    const err = await placeOrder({ id: 'o2', amountCents: -1 }, lambdaCtx('orders-dev-placeOrder')).catch(
      (e: unknown) => e,
    );
    await ws.settle();
    expect((err as { remoteCode?: string }).remoteCode).toBe('CARD_DECLINED');
    expect(ws.published.map((p) => p.attributes['svcmesh_type']?.StringValue)).toEqual(['start', 'failed']);
    const body = JSON.parse(ws.published[1]!.message);
    expect(body).toMatchObject({
      specversion: '1.0',
      type: 'svc-mesh.function.failed',
      source: 'svc-mesh:dev:payments:charge',
      datacontenttype: 'application/json',
      data: {
        error: { type: 'CardDeclinedError', message: 'declined', code: 'CARD_DECLINED' },
        input: { orderId: 'o2' },
      },
    });
    expect(body.traceparent).toBe(ws.published[1]!.attributes['traceparent']?.StringValue);
    expect(received[0]?.error?.code).toBe('CARD_DECLINED');
  });

  it('publishes a provisional failed before the Lambda deadline, then the real outcome once', async () => {
    ws.published.length = 0;
    const mesh = createSdk({
      region: 'us-east-1',
      endpoint: ws.endpoint,
      env: {},
      routes: { 'p:c': 'payments-dev-slowcharge' },
    });
    // The wrapped callee has 1 s; `failed` goes out 500 ms before that while it is still running.
    await mesh.invoke('p:c', { wait: true });
    await ws.settle();
    // Assess: per run (requestId), the events in publish order. The outer run was about to time out:
    // start, the provisional failed, then (its handler returned inside its deadline) the real success.
    // The inner run (the wrapped charge, 5 s deadline) finished normally: start then success.
    const runs = new Map<string, string[]>();
    for (const p of ws.published) {
      const body = JSON.parse(p.message) as { data: { requestId: string } };
      const list = runs.get(body.data.requestId) ?? [];
      list.push(`${p.attributes['svcmesh_type']?.StringValue}`);
      runs.set(body.data.requestId, list);
    }
    const timedOut = JSON.parse(ws.published.find((p) => p.message.includes('Sandbox.Timedout'))!.message) as {
      data: { requestId: string };
    };
    expect(runs.get(timedOut.data.requestId)).toEqual(['start', 'failed', 'success']);
    expect(JSON.parse(ws.published.find((p) => p.message.includes('Sandbox.Timedout'))!.message).data.provisional).toBe(
      true,
    );
    expect([...runs.values()].sort()).toEqual([
      ['start', 'failed', 'success'],
      ['start', 'success'],
    ]);
  });

  it('leaves an oversized input out of the event and names it in data.truncated', async () => {
    ws.published.length = 0;
    const mesh = createSdk({
      region: 'us-east-1',
      endpoint: ws.endpoint,
      env: {},
      routes: { 'p:c': 'payments-dev-charge' },
    });
    await mesh.invoke('p:c', { orderId: 'big', amountCents: 1, big: 'x'.repeat(300_000) });
    const start = JSON.parse(ws.published[0]!.message);
    expect(start.data.truncated).toEqual(['input']);
    expect(start.data.input).toBeUndefined();
    expect(Buffer.byteLength(ws.published[0]!.message)).toBeLessThanOrEqual(262_144);
  });

  it('sends the X-Amzn-Trace-Id header only when X-Ray is in use, unless told always or never', async () => {
    // Prepare: a W3C propagator is registered (no X-Ray one) and no active-tracing header is set.
    const call = async (xrayHeader: 'auto' | 'always' | 'never', lambdaTraceId?: string) => {
      const before = process.env['_X_AMZN_TRACE_ID'];
      if (lambdaTraceId === undefined) delete process.env['_X_AMZN_TRACE_ID'];
      else process.env['_X_AMZN_TRACE_ID'] = lambdaTraceId;
      try {
        const mesh = createSdk({
          region: 'us-east-1',
          endpoint: ws.endpoint,
          env: {},
          routes: { 'p:c': 'payments-dev-charge' },
          xrayHeader,
        });
        const n = ws.invokes.length;
        const span = trace.getTracer('test').startSpan('parent');
        await context.with(trace.setSpan(context.active(), span), () =>
          mesh.invoke('p:c', { orderId: `x-${xrayHeader}`, amountCents: 1 }),
        );
        span.end();
        const sc = span.spanContext();
        const header = ws.invokes[n]!.headers['x-amzn-trace-id'];
        return { header, expected: `Root=1-${sc.traceId.slice(0, 8)}-${sc.traceId.slice(8)};Parent=` };
      } finally {
        if (before === undefined) delete process.env['_X_AMZN_TRACE_ID'];
        else process.env['_X_AMZN_TRACE_ID'] = before;
      }
    };
    // Act + Assess
    expect((await call('auto')).header).toBeUndefined();
    expect(
      (await call('never', 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1')).header,
    ).toBeUndefined();
    const always = await call('always');
    expect(always.header).toContain(always.expected);
    const active = await call('auto', 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1');
    expect(active.header).toContain(active.expected);
    expect(
      (await call('auto', 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0')).header,
    ).toBeUndefined();
  });

  it('refuses an unknown xrayHeader mode, naming the setting', () => {
    expect(() => createSdk({ region: 'us-east-1', env: { SVC_MESH_XRAY_HEADER: 'sometimes' } })).toThrow(
      /SVC_MESH_XRAY_HEADER must be auto, always or never \(got "sometimes"\)/,
    );
    expect(() => createSdk({ region: 'us-east-1', env: {}, xrayHeader: 'yes' as never })).toThrow(/xrayHeader option/);
  });
});
