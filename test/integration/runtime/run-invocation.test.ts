/**
 * The callee side (runInvocation through defineFunction) in detail: the SERVER span and its
 * attributes, the handler's context and deadline, lifecycle event contents, the timeout event's
 * timer, and publish failures. Real SNS client against the wire server; spans in memory.
 * Written against the mutants StrykerJS left alive (docs/mutation.md).
 */
import { SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type HandlerContext, createSdk, defineFunction } from 'svc-mesh';
import { type WireServer, startWireServer } from '../../helpers/wire-server.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const topic = (t: string) => `arn:aws:sns:us-east-1:000000000000:pay-dev-charge-${t}`;
const topics = { start: topic('start'), success: topic('success'), failed: topic('failed') };

const lambdaCtx = (remaining: number, extra: Record<string, unknown> = {}) => {
  const deadline = Date.now() + remaining;
  return {
    functionName: 'pay-dev-charge',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:pay-dev-charge',
    memoryLimitInMB: '128',
    awsRequestId: `req-${Math.random().toString(36).slice(2)}`,
    logGroupName: '',
    logStreamName: '',
    getRemainingTimeInMillis: () => deadline - Date.now(),
    ...extra,
  };
};

type Event = { type: string; data: Record<string, any> };
const events = (ws: WireServer): Event[] =>
  ws.published.map((p) => {
    const b = JSON.parse(p.message) as { type: string; data: Record<string, any> };
    return { type: b.type.replace('svc-mesh.function.', ''), data: b.data };
  });

describe('runInvocation', () => {
  let ws: WireServer;
  let mesh: ReturnType<typeof createSdk>;
  const spans = () => exporter.getFinishedSpans();
  const server = () => spans().find((s) => s.kind === SpanKind.SERVER) as ReadableSpan;

  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
    ws = await startWireServer();
    mesh = createSdk({
      region: 'us-east-1',
      endpoint: ws.endpoint,
      env: {},
      stage: 'dev',
      service: 'pay',
      function: 'charge',
      subscribable: true,
      topics,
      retryBaseMs: 1,
      defaultTimeoutMs: 7_000,
    });
  });
  afterAll(async () => {
    await ws.close();
    trace.disable();
    context.disable();
    propagation.disable();
  });
  beforeEach(() => {
    exporter.reset();
    ws.published.length = 0;
  });

  it('opens a SERVER span with the Lambda attributes; only the first invocation is a cold start', async () => {
    const h = defineFunction(async () => 'ok', { sdk: mesh });
    const lambda = lambdaCtx(5_000);
    expect(await h({}, lambda)).toBe('ok');
    const first = server();
    expect(first.name).toBe('pay:charge');
    expect(first.attributes).toEqual({
      'svcmesh.hop': 'direct',
      'svcmesh.target': 'pay:charge',
      'faas.trigger': 'other',
      'faas.invocation_id': lambda.awsRequestId,
      'faas.coldstart': true,
      'cloud.provider': 'aws',
      'cloud.resource_id': lambda.invokedFunctionArn,
      'faas.name': 'pay-dev-charge',
    });
    expect(first.status.code).toBe(SpanStatusCode.UNSET);
    exporter.reset();
    await h({}, lambdaCtx(5_000, { invokedFunctionArn: '', functionName: '' }));
    expect(server().attributes['faas.coldstart']).toBe(false);
    expect(server().attributes['cloud.resource_id']).toBeUndefined();
    expect(server().attributes['faas.name']).toBeUndefined();
  });

  it("gives the handler its context: request id, caller, the earlier of its own and the caller's deadline", async () => {
    let seen: HandlerContext | undefined;
    let remaining = -1;
    const h = defineFunction(
      async (_i, ctx) => {
        seen = ctx;
        remaining = ctx.remainingMs();
        return 1;
      },
      { sdk: mesh },
    );
    const callerDeadline = Date.now() + 2_000;
    const lambda = lambdaCtx(5_000, {
      clientContext: { custom: { svcmesh: '1', caller: 'orders:place', deadline: String(callerDeadline) } },
    });
    await h({ a: 1 }, lambda);
    expect(seen?.requestId).toBe(lambda.awsRequestId);
    expect(seen?.caller).toBe('orders:place');
    expect(seen?.hop).toBe('sync');
    expect(seen?.deadline).toBe(callerDeadline);
    expect(seen?.lambda).toBe(lambda);
    expect(remaining).toBeGreaterThan(0);
    expect(remaining).toBeLessThanOrEqual(2_000);
    expect(server().attributes['svcmesh.caller']).toBe('orders:place');
    expect(server().attributes['svcmesh.hop']).toBe('sync');
    // A later caller deadline does not extend the function's own.
    const later = lambdaCtx(3_000, {
      clientContext: { custom: { svcmesh: '1', deadline: String(Date.now() + 60_000) } },
    });
    await h({}, later);
    expect(seen?.deadline).toBeLessThanOrEqual(Date.now() + 3_000);
    expect(seen?.deadline).toBeGreaterThan(Date.now() + 2_000);
    expect(seen?.caller).toBeUndefined();
    expect(seen && 'caller' in seen).toBe(false);
    expect(seen && 'idempotencyKey' in seen).toBe(false);
    expect(server().links).toEqual([]);
    // Past the deadline, remainingMs() says 0, never a negative number.
    await h({}, lambdaCtx(1));
    await new Promise((r) => setTimeout(r, 5));
    expect(seen?.remainingMs()).toBe(0);
  });

  it('passes the idempotency key, and links no span for a plain call with a trace context', async () => {
    let seen: HandlerContext | undefined;
    const h = defineFunction(
      async (_i, ctx) => {
        seen = ctx;
      },
      { sdk: mesh },
    );
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await h({}, lambdaCtx(5_000, { clientContext: { custom: { svcmesh: '1', idempotencyKey: 'k-1', traceparent } } }));
    expect(seen?.idempotencyKey).toBe('k-1');
    expect(server().parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(server().links).toEqual([]);
  });

  it('treats an SNS event as an event hop: a CONSUMER span triggered by pubsub', async () => {
    const h = defineFunction(async () => 'ok', { sdk: mesh });
    const sns = {
      Records: [
        {
          EventSource: 'aws:sns',
          EventVersion: '1.0',
          EventSubscriptionArn: `${topic('start')}:sub`,
          Sns: {
            Type: 'Notification',
            MessageId: 'm-1',
            TopicArn: topic('start'),
            Message: '{}',
            MessageAttributes: {},
          },
        },
      ],
    };
    await h(sns, lambdaCtx(5_000));
    const s = spans().find((x) => x.name === 'pay:charge')!;
    expect(s.kind).toBe(SpanKind.CONSUMER);
    expect(s.attributes['faas.trigger']).toBe('pubsub');
    expect(s.attributes['svcmesh.hop']).toBe('event');
    expect(s.links).toEqual([]);
  });

  it('is named after the Lambda function, or "handler", when the sdk does not name it', async () => {
    const anon = createSdk({ region: 'us-east-1', endpoint: ws.endpoint, env: {} });
    const h = defineFunction(async () => 1, { sdk: anon });
    await h({}, lambdaCtx(5_000));
    expect(server().name).toBe('pay-dev-charge');
    exporter.reset();
    await h({}, undefined as never);
    expect(server().name).toBe('handler');
  });

  it('waits for the span flush at most until shortly before its own deadline, and at most 2 s', async () => {
    const h = defineFunction(async () => 1, { sdk: mesh });
    const delays = async (remaining: number) => {
      const spy = vi.spyOn(globalThis, 'setTimeout');
      try {
        await h({}, lambdaCtx(remaining));
        return spy.mock.calls.map((c) => c[1] as number);
      } finally {
        spy.mockRestore();
      }
    };
    // The flush's timer is the last one set before the handler returns.
    const short = (await delays(1_000)).at(-1)!;
    expect(short).toBeLessThanOrEqual(950);
    expect(short).toBeGreaterThan(700);
    expect((await delays(60_000)).at(-1)).toBe(2_000);
  });

  it('makes up a Lambda context outside Lambda, with the default timeout as deadline', async () => {
    let seen: HandlerContext | undefined;
    const h = defineFunction(
      async (_i, ctx) => {
        seen = ctx;
      },
      { sdk: mesh },
    );
    const before = Date.now();
    const savedName = process.env['AWS_LAMBDA_FUNCTION_NAME'];
    const savedMem = process.env['AWS_LAMBDA_FUNCTION_MEMORY_SIZE'];
    delete process.env['AWS_LAMBDA_FUNCTION_NAME'];
    delete process.env['AWS_LAMBDA_FUNCTION_MEMORY_SIZE'];
    try {
      await h({}, undefined as never);
    } finally {
      if (savedName !== undefined) process.env['AWS_LAMBDA_FUNCTION_NAME'] = savedName;
      if (savedMem !== undefined) process.env['AWS_LAMBDA_FUNCTION_MEMORY_SIZE'] = savedMem;
    }
    expect(seen?.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen?.deadline).toBeGreaterThanOrEqual(before + 7_000);
    expect(seen?.deadline).toBeLessThanOrEqual(Date.now() + 7_000);
    expect(seen?.lambda).toMatchObject({
      functionName: 'local',
      functionVersion: '$LATEST',
      invokedFunctionArn: '',
      memoryLimitInMB: '128',
      awsRequestId: seen?.requestId,
      logGroupName: '',
      logStreamName: '',
    });
    const left = seen!.lambda.getRemainingTimeInMillis();
    expect(left).toBeGreaterThan(6_000);
    expect(left).toBeLessThanOrEqual(7_000);
    expect(server().attributes['faas.invocation_id']).toBe(seen?.requestId);
    process.env['AWS_LAMBDA_FUNCTION_NAME'] = 'from-env';
    process.env['AWS_LAMBDA_FUNCTION_MEMORY_SIZE'] = '512';
    try {
      await h({}, undefined as never);
    } finally {
      if (savedName === undefined) delete process.env['AWS_LAMBDA_FUNCTION_NAME'];
      else process.env['AWS_LAMBDA_FUNCTION_NAME'] = savedName;
      if (savedMem === undefined) delete process.env['AWS_LAMBDA_FUNCTION_MEMORY_SIZE'];
      else process.env['AWS_LAMBDA_FUNCTION_MEMORY_SIZE'] = savedMem;
    }
    expect(seen?.lambda.functionName).toBe('from-env');
    expect(seen?.lambda.memoryLimitInMB).toBe('512');
    // A context whose getRemainingTimeInMillis is missing also falls back to the default timeout.
    await h({}, lambdaCtx(0, { getRemainingTimeInMillis: undefined }));
    expect(seen?.deadline).toBeGreaterThan(Date.now() + 6_000);
  });

  it('publishes start then success with the input, result and a duration, in order', async () => {
    const h = defineFunction(async (i: { n: number }) => ({ doubled: i.n * 2 }), { sdk: mesh });
    const lambda = lambdaCtx(5_000);
    const t0 = performance.now();
    await h({ n: 4 }, lambda);
    const took = performance.now() - t0;
    const ev = events(ws);
    expect(ev.map((e) => e.type)).toEqual(['start', 'success']);
    expect(ws.published.map((p) => p.topicArn)).toEqual([topic('start'), topic('success')]);
    expect(ev[0]!.data).toEqual({ requestId: lambda.awsRequestId, input: { n: 4 } });
    expect(ev[1]!.data).toMatchObject({ requestId: lambda.awsRequestId, input: { n: 4 }, result: { doubled: 8 } });
    expect(ev[1]!.data['durationMs']).toBeGreaterThanOrEqual(0);
    expect(ev[1]!.data['durationMs']).toBeLessThanOrEqual(took);
    expect(ev[1]!.data['error']).toBeUndefined();
  });

  it('marks the span failed, publishes failed with the error, and rethrows the same error', async () => {
    const boom = Object.assign(new TypeError('bad card'), { code: 'CARD_DECLINED' });
    const h = defineFunction(
      async () => {
        throw boom;
      },
      { sdk: mesh },
    );
    const err = await h({ o: 1 }, lambdaCtx(5_000)).catch((e: unknown) => e);
    expect(err).toBe(boom);
    const s = server();
    expect(s.status).toEqual({ code: SpanStatusCode.ERROR, message: 'bad card' });
    expect(s.attributes['svcmesh.error.code']).toBe('CARD_DECLINED');
    expect(s.events.map((e) => e.name)).toEqual(['exception']);
    const ev = events(ws);
    expect(ev.map((e) => e.type)).toEqual(['start', 'failed']);
    expect(ev[1]!.data['error']).toEqual({ type: 'TypeError', message: 'bad card', code: 'CARD_DECLINED' });
    expect(ev[1]!.data['input']).toEqual({ o: 1 });
    expect(ev[1]!.data['durationMs']).toBeGreaterThanOrEqual(0);
    expect(ev[1]!.data['durationMs']).toBeLessThan(60_000);
    expect(ws.published[1]!.attributes['svcmesh_code']?.StringValue).toBe('CARD_DECLINED');

    // A thrown non-Error: its type and text, no code, no exception event.
    exporter.reset();
    ws.published.length = 0;
    const odd = defineFunction(
      async () => {
        throw 'plain';
      },
      { sdk: mesh },
    );
    expect(await odd({}, lambdaCtx(5_000)).catch((e: unknown) => e)).toBe('plain');
    expect(server().status).toEqual({ code: SpanStatusCode.ERROR, message: 'plain' });
    expect(server().events).toEqual([]);
    expect(server().attributes['svcmesh.error.code']).toBeUndefined();
    expect(events(ws)[1]!.data['error']).toEqual({ type: 'string', message: 'plain' });
  });

  it('takes only a string code from an error', async () => {
    const h = defineFunction(
      async () => {
        throw Object.assign(new Error('numeric'), { code: 42 });
      },
      { sdk: mesh },
    );
    await h({}, lambdaCtx(5_000)).catch(() => undefined);
    expect(server().attributes['svcmesh.error.code']).toBeUndefined();
    expect(events(ws)[1]!.data['error']).toEqual({ type: 'Error', message: 'numeric' });
  });

  it('after the provisional timeout event, publishes the real failure once, with the same requestId', async () => {
    const h = defineFunction(
      async () => {
        while (events(ws).length < 2) await new Promise((r) => setTimeout(r, 5));
        throw new Error('gave up late');
      },
      { sdk: mesh, timeoutEventMarginMs: 900 },
    );
    const err = await h({}, lambdaCtx(1_000)).catch((e: unknown) => e);
    expect((err as Error).message).toBe('gave up late');
    const ev = events(ws);
    // One forecast, then the one real terminal event (it threw inside its deadline), nothing more.
    expect(ev.map((e) => e.type)).toEqual(['start', 'failed', 'failed']);
    expect(ev[1]!.data['error'].type).toBe('Sandbox.Timedout');
    expect(ev[1]!.data['provisional']).toBe(true);
    expect(ev[2]!.data['error'].message).toBe('gave up late');
    expect(ev[2]!.data['provisional']).toBeUndefined();
    expect(new Set(ev.map((e) => e.data['requestId'])).size).toBe(1);
  });

  it('publishes a provisional failed a margin before its own Lambda deadline, then the real success', async () => {
    const h = defineFunction(
      async () => {
        while (events(ws).length < 2) await new Promise((r) => setTimeout(r, 5));
        return 'late';
      },
      { sdk: mesh, timeoutEventMarginMs: 900 },
    );
    const lambda = lambdaCtx(1_000);
    const t0 = performance.now();
    expect(await h({}, lambda)).toBe('late');
    const took = performance.now() - t0;
    const ev = events(ws);
    expect(ev.map((e) => e.type)).toEqual(['start', 'failed', 'success']);
    expect(ev[1]!.data['provisional']).toBe(true);
    expect(ev[2]!.data['provisional']).toBeUndefined();
    expect(ev[2]!.data['requestId']).toBe(lambda.awsRequestId);
    expect(ev[1]!.data['error']).toEqual({
      type: 'Sandbox.Timedout',
      message: 'pay:charge is about to time out (900 ms before its deadline)',
    });
    expect(ev[1]!.data['requestId']).toBe(lambda.awsRequestId);
    expect(ev[1]!.data['durationMs']).toBeGreaterThanOrEqual(0);
    expect(ev[1]!.data['durationMs']).toBeLessThanOrEqual(took);
  });

  it('publishes nothing after the provisional failed once the Lambda deadline has passed (the sandbox is gone)', async () => {
    const lambda = lambdaCtx(400);
    const deadline = Date.now() + 400;
    const h = defineFunction(
      async () => {
        while (events(ws).length < 2) await new Promise((r) => setTimeout(r, 5));
        // Lambda would have stopped the sandbox here; a handler that still returns speaks for nobody.
        while (Date.now() <= deadline + 20) await new Promise((r) => setTimeout(r, 10));
        return 'too late';
      },
      { sdk: mesh, timeoutEventMarginMs: 300 },
    );
    expect(await h({}, lambda)).toBe('too late');
    const ev = events(ws);
    expect(ev.map((e) => e.type)).toEqual(['start', 'failed']);
    expect(ev[1]!.data['provisional']).toBe(true);
    // Nor a failure thrown that late: the provisional failed stays the only terminal event.
    ws.published.length = 0;
    const late = Date.now() + 400;
    const thrower = defineFunction(
      async () => {
        while (events(ws).length < 2) await new Promise((r) => setTimeout(r, 5));
        while (Date.now() <= late + 20) await new Promise((r) => setTimeout(r, 10));
        throw new Error('too late');
      },
      { sdk: mesh, timeoutEventMarginMs: 300 },
    );
    expect(((await thrower({}, lambdaCtx(400)).catch((e: unknown) => e)) as Error).message).toBe('too late');
    expect(events(ws).map((e) => e.type)).toEqual(['start', 'failed']);
    expect(events(ws)[1]!.data['provisional']).toBe(true);
  });

  it("does not publish a timeout when only the caller's deadline is near, nor past Node's timer range", async () => {
    const h = defineFunction(
      async () => {
        await new Promise((r) => setTimeout(r, 100));
        return 'done';
      },
      { sdk: mesh, timeoutEventMarginMs: 50 },
    );
    const near = lambdaCtx(60_000, {
      clientContext: { custom: { svcmesh: '1', deadline: String(Date.now() + 20) } },
    });
    expect(await h({}, near)).toBe('done');
    expect(events(ws).map((e) => e.type)).toEqual(['start', 'success']);
    ws.published.length = 0;
    expect(await h({}, lambdaCtx(3_000_000_000))).toBe('done');
    expect(events(ws).map((e) => e.type)).toEqual(['start', 'success']);
  });

  it('logs a failed publish as one JSON line and keeps the result, or throws it when asked', async () => {
    await using bad = await startWireServer({
      onPublish: () => ({ status: 403, type: 'AuthorizationError', message: 'not allowed' }),
    });
    const failing = createSdk({
      region: 'us-east-1',
      endpoint: bad.endpoint,
      env: {},
      stage: 'dev',
      service: 'pay',
      function: 'charge',
      subscribable: true,
      topics,
    });
    const logged: string[] = [];
    const orig = console.error;
    console.error = (line: string) => void logged.push(line);
    try {
      expect(await defineFunction(async () => 'kept', { sdk: failing })({}, lambdaCtx(5_000))).toBe('kept');
      expect(logged).toHaveLength(2);
      const line = JSON.parse(logged[0]!);
      expect(Object.keys(line)).toEqual(['level', 'source', 'name', 'code', 'message']);
      expect(line).toMatchObject({ level: 'ERROR', source: 'svc-mesh', name: 'PublishError', code: 'PUBLISH_FAILED' });
      expect(line.message).toContain('AuthorizationError');
      const strict = defineFunction(async () => 'kept', { sdk: failing, onPublishError: 'throw' });
      const err = await strict({}, lambdaCtx(5_000)).catch((e: unknown) => e);
      expect((err as Error).name).toBe('PublishError');
      // The handler's own error wins over a publish failure.
      const both = defineFunction(
        async () => {
          throw new Error('handler failed');
        },
        { sdk: failing, onPublishError: 'throw' },
      );
      expect(((await both({}, lambdaCtx(5_000)).catch((e: unknown) => e)) as Error).message).toBe('handler failed');
    } finally {
      console.error = orig;
    }
  });

  it("returns the result with onPublishError: 'throw' when every event was published", async () => {
    expect(await defineFunction(async () => 'fine', { sdk: mesh, onPublishError: 'throw' })({}, lambdaCtx(5_000))).toBe(
      'fine',
    );
    expect(events(ws).map((e) => e.type)).toEqual(['start', 'success']);
  });

  it("ignores the caller's deadline on an Event invocation, however plausible (its caller is not waiting)", async () => {
    let seen: HandlerContext | undefined;
    const h = defineFunction(
      async (_i, ctx) => {
        seen = ctx;
      },
      { sdk: mesh },
    );
    const t0 = Date.now();
    const callerDeadline = t0 + 2_000;
    const envelope = {
      svcmesh: 1,
      meta: { svcmesh: '1', caller: 'orders:place', deadline: String(callerDeadline) },
      payload: {},
    };
    await h(envelope, lambdaCtx(5_000));
    expect(seen?.hop).toBe('async');
    expect(seen?.caller).toBe('orders:place');
    expect(seen?.deadline).toBeGreaterThanOrEqual(t0 + 5_000);
    // The same deadline on a synchronous call is honoured.
    await h({}, lambdaCtx(5_000, { clientContext: { custom: { svcmesh: '1', deadline: String(callerDeadline) } } }));
    expect(seen?.deadline).toBe(callerDeadline);
  });

  it("ignores a caller's deadline already past when the invocation starts", async () => {
    let seen: HandlerContext | undefined;
    const h = defineFunction(
      async (_i, ctx) => {
        seen = ctx;
      },
      { sdk: mesh },
    );
    const t0 = Date.now();
    await h({}, lambdaCtx(5_000, { clientContext: { custom: { svcmesh: '1', deadline: String(t0 - 1_000) } } }));
    expect(seen?.deadline).toBeGreaterThanOrEqual(t0 + 5_000);
    // One that ends at the very millisecond the invocation starts is over too (a frozen clock).
    const now = vi.spyOn(Date, 'now').mockReturnValue(t0);
    try {
      await h({}, lambdaCtx(5_000, { clientContext: { custom: { svcmesh: '1', deadline: String(t0) } } }));
    } finally {
      now.mockRestore();
    }
    expect(seen?.deadline).toBe(t0 + 5_000);
  });

  it('without a provisional failed, publishes the outcome even when the handler ran past its deadline', async () => {
    // A synchronous handler blocks the timer: no forecast went out, so the real outcome is the only terminal event.
    const h = defineFunction(
      async () => {
        const end = Date.now() + 80;
        while (Date.now() <= end) {
          /* busy */
        }
        return 'slow';
      },
      { sdk: mesh, timeoutEventMarginMs: 10 },
    );
    expect(await h({}, lambdaCtx(30))).toBe('slow');
    expect(events(ws).map((e) => e.type)).toEqual(['start', 'success']);
  });

  it('puts SVC_MESH_ATTEMPT on every event when it is a number from 1 to 999, and nothing otherwise', async () => {
    const saved = process.env['SVC_MESH_ATTEMPT'];
    const h = defineFunction(async () => 'ok', { sdk: mesh });
    const attempts = async (value: string | undefined) => {
      ws.published.length = 0;
      if (value === undefined) delete process.env['SVC_MESH_ATTEMPT'];
      else process.env['SVC_MESH_ATTEMPT'] = value;
      await h({}, lambdaCtx(5_000));
      const ev = events(ws);
      expect(ev.map((e) => e.type)).toEqual(['start', 'success']);
      return ev.map((e) => e.data['attempt']);
    };
    try {
      expect(await attempts('3')).toEqual([3, 3]);
      expect(await attempts('1')).toEqual([1, 1]);
      expect(await attempts('999')).toEqual([999, 999]);
      expect(await attempts('10')).toEqual([10, 10]);
      for (const bad of [undefined, '', '0', '03', '1000', 'x3', '3x', '-1', '1.5', ' 2', 'a'])
        expect(await attempts(bad), `SVC_MESH_ATTEMPT=${String(bad)}`).toEqual([undefined, undefined]);
    } finally {
      if (saved === undefined) delete process.env['SVC_MESH_ATTEMPT'];
      else process.env['SVC_MESH_ATTEMPT'] = saved;
    }
  });

  it('publishes nothing for a function that is not subscribable', async () => {
    const plain = createSdk({ region: 'us-east-1', endpoint: ws.endpoint, env: {}, service: 'pay', function: 'x' });
    expect(await defineFunction(async () => 1, { sdk: plain })({}, lambdaCtx(5_000))).toBe(1);
    expect(await defineFunction(async () => 2, { sdk: mesh, subscribable: false })({}, lambdaCtx(5_000))).toBe(2);
    expect(ws.published).toEqual([]);
  });
});
