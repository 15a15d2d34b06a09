/**
 * The mesh records a span for every invocation it runs, like Lambda's own X-Ray segment: plain
 * handlers, timeouts, crashes, Event retries, SNS deliveries and dead letters appear in their
 * trace, continuing the caller's context; svc-mesh handlers' spans are the invocation's spans
 * (one per invocation, never two); a trace without an incoming context has no phantom parent.
 */
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { CreateTopicCommand, PublishCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalMesh, startLocalMesh } from '../../../tools/local/index.js';
import type { TraceDetail, TraceSpan } from '../../../tools/local/traces/index.js';
import { clients, decode, spec, until } from './helpers.js';

let mesh: LocalMesh;
let c: ReturnType<typeof clients>;
const lines: string[] = [];

beforeAll(async () => {
  mesh = await startLocalMesh({
    functions: [
      spec('plain', 'echo.ts', 'logs'),
      spec('throws', 'faults.ts', 'throws'),
      spec('slow', 'faults.ts', 'sleeps', { timeout: 1 }),
      spec('flushes', 'flushes.ts', 'flushThenHangs', { timeout: 1 }),
      spec('exits', 'faults.ts', 'exits'),
      spec('defined', 'defined.ts', 'ok'),
      spec('definedFails', 'defined.ts', 'fails'),
      spec('sub', 'record.ts', 'handler'),
    ],
    iam: false,
    asyncRetryDelaysMs: [0, 0],
    quiet: false,
    log: (l) => lines.push(l),
  });
  c = clients(mesh.endpoint);
}, 60_000);
afterAll(async () => {
  await mesh?.stop();
});

async function invoke(name: string, payload: unknown, extra: { custom?: Record<string, string>; type?: 'Event' } = {}) {
  return c.lambda.send(
    new InvokeCommand({
      FunctionName: `fx-dev-${name}`,
      Payload: JSON.stringify(payload),
      ...(extra.type ? { InvocationType: extra.type } : {}),
      ...(extra.custom
        ? { ClientContext: Buffer.from(JSON.stringify({ custom: extra.custom })).toString('base64') }
        : {}),
    }),
  );
}

async function trace(traceId: string, ready: (d: TraceDetail) => boolean = () => true): Promise<TraceDetail> {
  let d: TraceDetail | undefined;
  await until(async () => {
    const res = await fetch(`${mesh.endpoint}/api/traces/${traceId}`);
    if (res.status !== 200) return false;
    d = (await res.json()) as TraceDetail;
    return ready(d);
  });
  return d!;
}

/** Spans of the invocation with this request id. */
const ofRequest = (d: TraceDetail, requestId: string): TraceSpan[] =>
  d.spans.filter((s) => s.attributes['faas.invocation_id'] === requestId);

const newContext = () => {
  const traceId = randomBytes(16).toString('hex');
  const parent = randomBytes(8).toString('hex');
  return { traceId, parent, traceparent: `00-${traceId}-${parent}-01` };
};

describe('Local mesh: a span for every invocation', () => {
  it('records a plain handler under the caller’s context, with its duration, outcome and logs', async () => {
    const ctx = newContext();
    const out = await invoke('plain', { lines: 2 }, { custom: { traceparent: ctx.traceparent } });
    const d = await trace(ctx.traceId, (x) => ofRequest(x, out.$metadata.requestId!).length > 0);
    const [s] = ofRequest(d, out.$metadata.requestId!);
    expect(s).toMatchObject({ name: 'fx:plain', kind: 'server', service: 'fx', parentSpanId: ctx.parent, hop: 'sync' });
    expect(s!.status.code).toBe('unset');
    expect(s!.durationMs).toBeGreaterThan(0);
    expect(s!.events.filter((e) => e.name === 'log').map((e) => e.attributes['log.message'])).toContain('line 1');
  });

  it('keeps the last lines a handler printed before returning, however much came before them', async () => {
    // stdout and the result travel on different channels: the mesh must not close the span
    // (or print the result) before the lines written ahead of the result have been read
    for (let round = 0; round < 3; round++) {
      const ctx = newContext();
      const out = await invoke(
        'plain',
        { lines: 2, padBytes: 512 * 1024 },
        { custom: { traceparent: ctx.traceparent } },
      );
      const d = await trace(ctx.traceId, (x) => ofRequest(x, out.$metadata.requestId!).length > 0);
      const [s] = ofRequest(d, out.$metadata.requestId!);
      const logged = s!.events.filter((e) => e.name === 'log').map((e) => e.attributes['log.message']);
      expect(logged.slice(-2)).toEqual(['line 0', 'line 1']);
    }
  });

  it('starts a new trace (no invented parent) when the caller sends no context', async () => {
    const out = await invoke('plain', { lines: 0 });
    const traced = lines.length;
    expect(traced).toBeGreaterThanOrEqual(0);
    const list = async () =>
      (
        (await (await fetch(`${mesh.endpoint}/api/traces?q=${out.$metadata.requestId}`)).json()) as {
          traces: { traceId: string; orphanCount: number }[];
        }
      ).traces;
    await until(async () => (await list()).length > 0);
    const [t] = await list();
    const d = await trace(t!.traceId);
    const [s] = ofRequest(d, out.$metadata.requestId!);
    expect(s!.parentSpanId).toBeNull();
    expect(s!.hop).toBe('direct');
    expect(d.summary.orphanCount).toBe(0);
  });

  it('closes the span with the Lambda error when the function times out, and prints one line', async () => {
    const ctx = newContext();
    const out = await invoke('slow', { ms: 5_000 }, { custom: { traceparent: ctx.traceparent } });
    expect(out.FunctionError).toBe('Unhandled');
    const d = await trace(ctx.traceId, (x) => ofRequest(x, out.$metadata.requestId!).length > 0);
    const [s] = ofRequest(d, out.$metadata.requestId!);
    expect(s!.status.code).toBe('error');
    expect(s!.events.find((e) => e.name === 'exception')?.attributes['exception.type']).toBe('Sandbox.Timedout');
    const line = lines.find((l) => l.includes(out.$metadata.requestId!));
    expect(line).toMatch(/^✗ fx:slow@dev Task timed out after 1\.00 seconds \(request \S+, trace [0-9a-f]{32}\)$/);
    expect(line).toContain(ctx.traceId);
  }, 30_000);

  it('keeps spans a handler flushed before it timed out, in the invocation’s trace (a root span takes the mesh’s ids)', async () => {
    const ctx = newContext();
    const out = await invoke('flushes', { ms: 5_000 }, { custom: { traceparent: ctx.traceparent } });
    expect(out.FunctionError).toBe('Unhandled');
    const d = await trace(ctx.traceId, (x) => ofRequest(x, out.$metadata.requestId!).length > 0);
    const [s] = ofRequest(d, out.$metadata.requestId!);
    expect(s!.events.find((e) => e.name === 'exception')?.attributes['exception.type']).toBe('Sandbox.Timedout');
    const early = d.spans.find((x) => x.name === 'flushed early');
    expect(early?.parentSpanId).toBe(s!.spanId);
  }, 30_000);

  it('closes the span with Runtime.ExitError when the worker dies', async () => {
    const ctx = newContext();
    const out = await invoke('exits', { code: 7 }, { custom: { traceparent: ctx.traceparent } });
    const d = await trace(ctx.traceId, (x) => ofRequest(x, out.$metadata.requestId!).length > 0);
    expect(ofRequest(d, out.$metadata.requestId!)[0]!.status).toEqual({
      code: 'error',
      message: expect.stringContaining('Runtime exited with error: exit status 7'),
    });
  });

  it('keeps one span per svc-mesh invocation: the handler’s own, with the ids the mesh chose', async () => {
    const ctx = newContext();
    const out = await invoke('definedFails', {}, { custom: { traceparent: ctx.traceparent } });
    expect(out.FunctionError).toBe('Unhandled');
    const d = await trace(ctx.traceId, (x) => ofRequest(x, out.$metadata.requestId!).length > 0);
    const spans = ofRequest(d, out.$metadata.requestId!);
    expect(spans).toHaveLength(1);
    // defineFunction's span (it knows the caller hop and the error code), not the mesh's stand-in
    expect(spans[0]!.attributes['svcmesh.recorded_by']).toBeUndefined();
    expect(spans[0]!.attributes['svcmesh.error.code']).toBe('NOT_FOUND_HERE');
    expect(spans[0]!.parentSpanId).toBe(ctx.parent);
    const line = lines.find((l) => l.includes(out.$metadata.requestId!));
    expect(line).toContain('NotFoundHere [NOT_FOUND_HERE]: nothing under that id');
  });

  it('records each Event attempt and the dead letter, and the dead letter shows the user’s input', async () => {
    const ctx = newContext();
    const envelope = {
      svcmesh: 1,
      meta: { traceparent: ctx.traceparent, caller: 'fx:caller' },
      payload: { message: 'x' },
    };
    const out = await invoke('throws', envelope, { type: 'Event' });
    await mesh.idle();
    const requestId = out.$metadata.requestId!;
    const d = await trace(ctx.traceId, (x) => ofRequest(x, requestId).length >= 4);
    const spans = ofRequest(d, requestId);
    const attempts = spans.filter((s) => s.name === 'fx:throws').map((s) => s.attributes['svcmesh.attempt']);
    expect(attempts.sort()).toEqual([1, 2, 3]);
    expect(spans.every((s) => s.parentSpanId === ctx.parent)).toBe(true);
    expect(spans.some((s) => s.name === 'dead letter fx:throws')).toBe(true);
    const dead = mesh.deadLetters().find((x) => x.requestId === requestId);
    expect(dead?.payload).toEqual({ message: 'x' });
    expect(dead?.meta).toMatchObject({ caller: 'fx:caller' });
    // the summary counts the one failure, not its echoes
    expect(d.summary.errorCount).toBeLessThan(spans.length);
  });

  it('keeps every attempt and the dead letter of a context-less Event invoke in one trace', async () => {
    const out = await invoke('throws', { message: 'alone' }, { type: 'Event' });
    await mesh.idle();
    const requestId = out.$metadata.requestId!;
    let traces: { traceId: string }[] = [];
    await until(async () => {
      const res = await fetch(`${mesh.endpoint}/api/traces?q=${requestId}`);
      traces = ((await res.json()) as { traces: { traceId: string }[] }).traces;
      return traces.length > 0;
    });
    expect(traces).toHaveLength(1);
    const d = await trace(traces[0]!.traceId, (x) => ofRequest(x, requestId).length >= 4);
    expect(
      ofRequest(d, requestId)
        .map((s) => s.name)
        .sort(),
    ).toEqual(['dead letter fx:throws', 'fx:throws', 'fx:throws', 'fx:throws']);
  });

  it('records a plain SNS subscriber under the publisher’s context', async () => {
    const ctx = newContext();
    const topic = await c.sns.send(new CreateTopicCommand({ Name: 'spans-topic' }));
    const sub = mesh.fn('fx:sub')!;
    await c.sns.send(new SubscribeCommand({ TopicArn: topic.TopicArn!, Protocol: 'lambda', Endpoint: sub.arn }));
    await c.sns.send(
      new PublishCommand({
        TopicArn: topic.TopicArn!,
        Message: '{"hello":1}',
        MessageAttributes: { traceparent: { DataType: 'String', StringValue: ctx.traceparent } },
      }),
    );
    await mesh.idle();
    // the publisher's own PRODUCER span, as an instrumented publisher exports it
    const now = BigInt(Date.now()) * 1_000_000n;
    const producer = {
      traceId: ctx.traceId,
      spanId: ctx.parent,
      name: 'publish spans-topic',
      kind: 4,
      startTimeUnixNano: String(now - 1_000_000n),
      endTimeUnixNano: String(now),
      attributes: [{ key: 'svcmesh.hop', value: { stringValue: 'event' } }],
    };
    await fetch(`${mesh.endpoint}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'publisher' } }] },
            scopeSpans: [{ spans: [producer] }],
          },
        ],
      }),
    });
    const d = await trace(ctx.traceId, (x) => x.spans.some((s) => s.service === 'fx') && x.spans.length >= 2);
    const s = d.spans.find((x) => x.service === 'fx')!;
    expect(s).toMatchObject({
      kind: 'consumer',
      hop: 'event',
      parentSpanId: ctx.parent,
      name: 'fx:sub <- spans-topic',
    });
    // the service map draws the SNS delivery, as the waterfall does
    expect(d.graph.edges).toContainEqual(expect.objectContaining({ from: 'publisher', to: 'fx', hop: 'event' }));
  });

  it('delivers every span under load (counted)', async () => {
    const n = 40;
    const ctx = newContext();
    const outs = await Promise.all(
      Array.from({ length: n }, (_, i) => invoke('defined', { n: i }, { custom: { traceparent: ctx.traceparent } })),
    );
    for (const o of outs) expect(o.FunctionError).toBeUndefined();
    expect(outs.map((o) => (decode(o.Payload) as { n: number }).n).sort((a, b) => a - b)).toEqual(
      Array.from({ length: n }, (_, i) => i),
    );
    // spans arrive over IPC before each invocation's answer: all are there once the calls returned
    const res = await fetch(`${mesh.endpoint}/api/traces/${ctx.traceId}`);
    const d = (await res.json()) as TraceDetail;
    const ids = new Set(outs.map((o) => o.$metadata.requestId));
    expect(d.spans.filter((s) => ids.has(String(s.attributes['faas.invocation_id'])))).toHaveLength(n);
  }, 60_000);
});

describe('Local mesh: --quiet', () => {
  it('prints no failure line when quiet', async () => {
    const quietLines: string[] = [];
    await using m = await startLocalMesh({
      functions: [spec('throws', 'faults.ts', 'throws')],
      iam: false,
      tracing: false,
      quiet: true,
      log: (l) => quietLines.push(l),
    });
    const out = await clients(m.endpoint).lambda.send(
      new InvokeCommand({ FunctionName: 'fx-dev-throws', Payload: '{}' }),
    );
    expect(out.FunctionError).toBe('Unhandled');
    expect(quietLines).toEqual([]);
  });
});
