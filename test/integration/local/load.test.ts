/**
 * Load and faults, bounded in count and time, on loopback: 10,000 sync invokes at
 * concurrency 64 across 3 functions, 1,000 publishes to 3 subscribers (with an injected
 * failure), and a graceful stop that drains.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateTopicCommand, PublishCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startLocalMesh } from '../../../tools/local/index.js';
import { collectGarbage } from '../../helpers/gc.js';
import { clients, decode, spec, until } from './helpers.js';

async function pool<T>(n: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < n; i = next++) out[i] = await fn(i);
    }),
  );
  return out;
}

describe('Local mesh under load', () => {
  it('answers 10,000 sync invokes at concurrency 64 across 3 functions, each matched, memory flat', async () => {
    await using mesh = await startLocalMesh({
      quiet: true,
      tracing: false,
      maxWorkersPerFunction: 4,
      functions: ['one', 'two', 'three'].map((k) => spec(k, 'echo.ts', 'handler')),
    });
    const lambda = new LambdaClient({
      endpoint: mesh.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: 64 }) }),
    });
    const names = ['fx-dev-one', 'fx-dev-two', 'fx-dev-three'];
    const call = async (i: number) => {
      const fn = names[i % 3]!;
      const out = await lambda.send(new InvokeCommand({ FunctionName: fn, Payload: JSON.stringify({ i }) }));
      const body = decode(out.Payload) as { event: { i: number }; functionName: string; requestId: string };
      return (
        out.FunctionError === undefined &&
        body.event.i === i &&
        body.functionName === fn &&
        body.requestId === out.$metadata.requestId
      );
    };
    await pool(1000, 64, call); // warm up
    // Retained memory, not garbage: collect before both readings (heapUsed alone counts
    // whatever the collector has not reached yet, which swings by tens of MB between runs).
    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    const results = await pool(10_000, 64, call);
    expect(results.filter((ok) => !ok)).toHaveLength(0);
    expect(results).toHaveLength(10_000);
    await mesh.idle();
    collectGarbage();
    const grown = process.memoryUsage().heapUsed - before;
    // A leak of 1 KB per invoke would show as 10 MB here.
    expect(grown).toBeLessThan(8 * 1024 * 1024);
    for (const n of names) {
      // Warm sandboxes were reused: never more than the cap, even when 64 calls arrive at once.
      expect(mesh.workerPids(n).length).toBeGreaterThan(0);
      expect(mesh.workerPids(n).length).toBeLessThanOrEqual(4);
    }
    lambda.destroy();
  }, 120_000);

  it('fans 1,000 publishes out to 3 subscribers exactly once each; an injected failure is retried then dead-lettered', async () => {
    const record = join(mkdtempSync(join(tmpdir(), 'svc-mesh-load-')), 'record.jsonl');
    await using mesh = await startLocalMesh({
      quiet: true,
      tracing: false,
      asyncRetryDelaysMs: [5, 5],
      functions: ['a', 'b', 'c'].map((k) => spec(k, 'record.ts', 'handler', { environment: { RECORD_FILE: record } })),
    });
    const { sns } = clients(mesh.endpoint);
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'fanout' }));
    for (const k of ['a', 'b', 'c']) {
      await sns.send(
        new SubscribeCommand({
          TopicArn,
          Protocol: 'lambda',
          Endpoint: `arn:aws:lambda:us-east-1:000000000000:function:fx-dev-${k}`,
        }),
      );
    }
    const ids = await pool(1000, 16, async (i) => {
      const failFor = i % 250 === 0 ? 'fx-dev-c' : undefined;
      const out = await sns.send(new PublishCommand({ TopicArn, Message: JSON.stringify({ i, failFor }) }));
      return out.MessageId!;
    });
    await until(() => mesh.deadLetters().length >= 4, 60_000);
    await mesh.idle();
    const lines = existsSync(record)
      ? readFileSync(record, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { fn: string; messageId: string; failed: boolean })
      : [];
    const injected = new Set(ids.filter((_, i) => i % 250 === 0));
    for (const fn of ['fx-dev-a', 'fx-dev-b', 'fx-dev-c']) {
      const counts = new Map<string, number>();
      for (const l of lines) if (l.fn === fn) counts.set(l.messageId, (counts.get(l.messageId) ?? 0) + 1);
      expect(counts.size, fn).toBe(1000);
      for (const id of ids) expect(counts.get(id), `${fn} ${id}`).toBe(fn === 'fx-dev-c' && injected.has(id) ? 3 : 1);
    }
    const dead = mesh.deadLetters();
    expect(dead).toHaveLength(4);
    expect(new Set(dead.map((d) => d.messageId))).toEqual(injected);
    expect(dead.every((d) => d.functionName === 'fx-dev-c' && d.attempts === 3)).toBe(true);
  }, 120_000);

  it('drains in-flight invocations on stop, then refuses new work', async () => {
    const mesh = await startLocalMesh({
      quiet: true,
      tracing: false,
      functions: [spec('slow', 'faults.ts', 'sleeps', { timeout: 10 })],
    });
    const { lambda } = clients(mesh.endpoint);
    const asyncDone: string[] = [];
    mesh.onInvoke((r) => {
      if (r.type === 'Event' && r.errorType === undefined) asyncDone.push(r.requestId);
    });
    const inFlight = lambda.send(
      new InvokeCommand({ FunctionName: 'fx-dev-slow', Payload: JSON.stringify({ ms: 800 }) }),
    );
    const queued = await lambda.send(
      new InvokeCommand({ FunctionName: 'fx-dev-slow', InvocationType: 'Event', Payload: JSON.stringify({ ms: 300 }) }),
    );
    await until(() => mesh.workerPids('fx-dev-slow').length > 0);
    await mesh.stop();
    const out = await inFlight;
    expect(decode(out.Payload)).toMatchObject({ slept: 800 });
    expect(asyncDone).toContain(queued.$metadata.requestId);
    await expect(lambda.send(new InvokeCommand({ FunctionName: 'fx-dev-slow', Payload: '{}' }))).rejects.toThrow();
    expect(mesh.workerPids('fx-dev-slow')).toEqual([]);
  }, 60_000);
});
