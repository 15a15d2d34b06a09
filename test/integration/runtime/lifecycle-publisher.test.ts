/**
 * LifecyclePublisher on its own: the PRODUCER span and its attributes, opt-in payloads on spans,
 * retries with one event id, failures as PublishError, and finding its own topics. Real SNS and
 * SSM clients against the wire server. Written against surviving mutants (docs/mutation.md).
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type SdkConfig, createSdk } from 'svc-mesh';
import { LifecyclePublisher } from '../../../src/events/LifecyclePublisher.js';
import { type InjectedError, type WireServer, startWireServer } from '../../helpers/wire-server.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const topic = (t: string) => `arn:aws:sns:us-east-1:000000000000:pay-dev-charge-${t}`;
const topics = { start: topic('start'), success: topic('success'), failed: topic('failed') };

describe('LifecyclePublisher', () => {
  let ws: WireServer;
  let inject: ((attempt: number) => InjectedError | undefined) | undefined;
  let base: SdkConfig;
  /** A publisher for pay:charge; `undefined` in `extra` removes a setting. */
  const publisher = (extra: Record<string, unknown> = {}) => {
    const cfg: Record<string, unknown> = { ...base, service: 'pay', function: 'charge', subscribable: true, topics };
    for (const [k, v] of Object.entries(extra)) {
      if (v === undefined) delete cfg[k];
      else cfg[k] = v;
    }
    return new LifecyclePublisher(createSdk(cfg as SdkConfig) as never);
  };
  const producer = () => exporter.getFinishedSpans().find((s) => s.kind === SpanKind.PRODUCER) as ReadableSpan;
  const saved = { ...process.env };

  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
    ws = await startWireServer({ onPublish: (_t, n) => inject?.(n) });
    base = { region: 'us-east-1', endpoint: ws.endpoint, env: {}, stage: 'dev', retryBaseMs: 1 };
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
    inject = undefined;
    delete process.env['SVC_MESH_TRACE_PAYLOADS'];
    delete process.env['SVC_MESH_LOCAL'];
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  it('publishes under a PRODUCER span with the messaging attributes and the trace context', async () => {
    await publisher().publish('success', { requestId: 'r-1', result: { ok: true }, durationMs: 3 }, ROOT_CONTEXT);
    const s = producer();
    expect(s.name).toBe('publish pay:charge success');
    expect(s.attributes).toEqual({
      'messaging.system': 'aws_sns',
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'publish',
      'svcmesh.hop': 'event',
      'svcmesh.target': 'pay:charge',
      'svcmesh.event.type': 'success',
      'messaging.destination.name': 'pay-dev-charge-success',
      'messaging.message.id': expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(s.status.code).toBe(SpanStatusCode.UNSET);
    expect(s.events).toEqual([]);
    const [p] = ws.published;
    expect(p!.topicArn).toBe(topic('success'));
    expect(p!.attributes['traceparent']?.StringValue).toBe(
      `00-${s.spanContext().traceId}-${s.spanContext().spanId}-01`,
    );
    expect(JSON.parse(p!.message)).toMatchObject({
      source: 'svc-mesh:dev:pay:charge',
      data: { requestId: 'r-1', result: { ok: true }, durationMs: 3 },
    });
  });

  it('puts the message body on the span only when asked, or under the local mesh, cut at 8 KiB', async () => {
    const body = () =>
      producer().events.find((e) => e.name === 'svcmesh.lifecycle.message')?.attributes?.['svcmesh.event.body'] as
        | string
        | undefined;
    const run = async (env: Record<string, string>, input: unknown = { n: 1 }) => {
      exporter.reset();
      ws.published.length = 0;
      delete process.env['SVC_MESH_TRACE_PAYLOADS'];
      delete process.env['SVC_MESH_LOCAL'];
      Object.assign(process.env, env);
      await publisher().publish('start', { requestId: 'r', input }, ROOT_CONTEXT);
      return body();
    };
    expect(await run({})).toBeUndefined();
    expect(await run({ SVC_MESH_TRACE_PAYLOADS: '1' })).toBe(ws.published[0]!.message);
    expect(await run({ SVC_MESH_TRACE_PAYLOADS: 'TRUE' })).toBe(ws.published[0]!.message);
    expect(await run({ SVC_MESH_TRACE_PAYLOADS: '0', SVC_MESH_LOCAL: '1' })).toBeUndefined();
    expect(await run({ SVC_MESH_TRACE_PAYLOADS: 'yes' })).toBeUndefined();
    expect(await run({ SVC_MESH_LOCAL: '1' })).toBe(ws.published[0]!.message);
    expect(await run({ SVC_MESH_TRACE_PAYLOADS: '', SVC_MESH_LOCAL: '1' })).toBe(ws.published[0]!.message);
    expect(await run({ SVC_MESH_LOCAL: '0' })).toBeUndefined();
    const big = await run({ SVC_MESH_TRACE_PAYLOADS: '1' }, { s: 'x'.repeat(20_000) });
    expect(big).toBe(`${ws.published[0]!.message.slice(0, 8_192)}…`);
    const exact = 'y'.repeat(8_192 - (await run({ SVC_MESH_TRACE_PAYLOADS: '1' }, { s: '' }))!.length);
    expect(await run({ SVC_MESH_TRACE_PAYLOADS: '1' }, { s: exact })).toBe(ws.published[0]!.message);
    expect(ws.published[0]!.message.length).toBe(8_192);
  });

  it('retries a failure SNS may recover from, with the same event id, and not a refusal', async () => {
    let attempts = 0;
    inject = () => (++attempts === 1 ? { status: 500, type: 'InternalError', message: 'try again' } : undefined);
    await publisher().publish('start', { requestId: 'r' }, ROOT_CONTEXT);
    expect(attempts).toBe(2);
    expect(ws.published).toHaveLength(1);

    attempts = 0;
    exporter.reset();
    inject = () => {
      attempts++;
      return { status: 403, type: 'AuthorizationError', message: 'not allowed' };
    };
    const err = (await publisher()
      .publish('failed', { requestId: 'r', error: { type: 'E', message: 'm' } }, ROOT_CONTEXT)
      .catch((e: unknown) => e)) as Error & { code: string; topicArn: string; cause: unknown };
    expect(attempts).toBe(1);
    expect(err.name).toBe('PublishError');
    expect(err.code).toBe('PUBLISH_FAILED');
    expect(err.topicArn).toBe(topic('failed'));
    expect(err.message).toContain(`to ${topic('failed')}: access denied: AuthorizationErrorException: not allowed.`);
    expect(err.cause).toBeDefined();
    const s = producer();
    expect(s.status).toEqual({ code: SpanStatusCode.ERROR, message: err.message });
    expect(s.events.map((e) => e.name)).toEqual(['exception']);
    expect(s.attributes['messaging.message.id']).toBeUndefined();

    // Not a refusal: a 400 that is not access denied is still not retried, and says so without "access denied".
    attempts = 0;
    inject = () => {
      attempts++;
      return { status: 400, type: 'InvalidParameter', message: 'bad' };
    };
    const bad = (await publisher()
      .publish('start', { requestId: 'r' }, ROOT_CONTEXT)
      .catch((e: unknown) => e)) as Error;
    expect(attempts).toBe(1);
    expect(bad.message).toMatch(/: InvalidParameter(Exception)?: bad\./);
    expect(bad.message).not.toContain('access denied');
  });

  it('refuses to publish without its own name, stage or a topic for the event type', async () => {
    const noName = new LifecyclePublisher(createSdk({ ...base, subscribable: true, topics }) as never);
    await expect(noName.publish('start', { requestId: 'r' }, ROOT_CONTEXT)).rejects.toThrow(
      "Could not publish the 'start' lifecycle event of '(unknown)': SVC_MESH_SERVICE and SVC_MESH_FUNCTION are not set.",
    );
    expect(producer().name).toBe('publish (unknown) start');
    const noStage = publisher({ stage: undefined });
    await expect(noStage.publish('start', { requestId: 'r' }, ROOT_CONTEXT)).rejects.toThrow(
      'No stage is configured, so the lifecycle events of pay:charge cannot be resolved.',
    );
    await expect(publisher({ stage: undefined, topics: undefined }).topics()).rejects.toThrow(
      'No stage is configured, so the lifecycle topics of pay:charge cannot be resolved.',
    );
    // Half a name is no name.
    for (const missing of ['service', 'function'])
      await expect(
        publisher({ [missing]: undefined, self: undefined }).publish('start', { requestId: 'r' }, ROOT_CONTEXT),
      ).rejects.toThrow(/SVC_MESH_SERVICE and SVC_MESH_FUNCTION are not set\./);
    const partial = publisher({ topics: { start: topic('start') } });
    await expect(partial.publish('failed', { requestId: 'r' }, ROOT_CONTEXT)).rejects.toThrow(
      "no topic ARN for 'failed' (SVC_MESH_TOPICS / discovery record)",
    );
    expect(ws.published).toEqual([]);
  });

  it('does not keep a failed lookup of its topics: the next publish looks again', async () => {
    let ssmCalls = 0;
    await using flaky = await startWireServer({
      onSsm: () => (++ssmCalls === 1 ? { status: 400, type: 'AccessDeniedException', message: 'no' } : undefined),
    });
    flaky.parameters.set(
      '/svc-mesh/dev/pay/charge',
      JSON.stringify({ v: 1, functionArn: flaky.arn('pay-dev-charge'), topics }),
    );
    const p = new LifecyclePublisher(
      createSdk({ ...base, endpoint: flaky.endpoint, service: 'pay', function: 'charge', subscribable: true }) as never,
    );
    await expect(p.topics()).rejects.toThrow();
    expect(await p.topics()).toEqual(topics);
  });

  it('finds its topics in its own discovery record, and tries again after a failure', async () => {
    const name = '/svc-mesh/dev/pay/charge';
    const p = publisher({ topics: undefined });
    ws.parameters.set(name, JSON.stringify({ v: 1, functionArn: ws.arn('pay-dev-charge') }));
    await expect(p.topics()).rejects.toThrow(
      /^Could not publish the 'start' lifecycle event of 'pay:charge': its discovery record \(.*\) has no topics; is it subscribable: true\?/,
    );
    ws.parameters.set(name, JSON.stringify({ v: 1, functionArn: ws.arn('pay-dev-charge'), topics }));
    // The failure was not cached (the resolver's own cache aside, a new publisher sees the record).
    const fresh = publisher({ topics: undefined });
    expect(await fresh.topics()).toEqual(topics);
    expect(await fresh.topics()).toBe(await fresh.topics());
    await fresh.publish('start', { requestId: 'r' }, ROOT_CONTEXT);
    expect(ws.published.map((x) => x.topicArn)).toEqual([topic('start')]);
    ws.parameters.delete(name);

    // Found through a route (no stage to compare): the record has no topics, and says so.
    await expect(
      publisher({ topics: undefined, routes: { 'pay:charge': ws.arn('pay-dev-charge') } }).topics(),
    ).rejects.toThrow(/has no topics; is it subscribable: true\?/);

    const anonymous = new LifecyclePublisher(createSdk({ ...base, subscribable: true }) as never);
    await expect(anonymous.topics()).rejects.toThrow(
      "Could not publish the 'start' lifecycle event of '(unknown)': SVC_MESH_SERVICE and SVC_MESH_FUNCTION are not set, so the function cannot find its own topics",
    );

    // A record found only in a fallback stage is not this stage's.
    ws.parameters.set(
      '/svc-mesh/shared/pay/charge',
      JSON.stringify({ v: 1, functionArn: ws.arn('pay-shared-charge'), topics }),
    );
    const fallback = publisher({ topics: undefined, stageFallback: ['shared'] });
    await expect(fallback.topics()).rejects.toThrow(
      "Could not publish the 'start' lifecycle event of 'pay:charge': its discovery record exists only in stage shared, not dev",
    );
    ws.parameters.delete('/svc-mesh/shared/pay/charge');
  });
});
