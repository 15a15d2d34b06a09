import { afterEach, describe, expect, it, vi } from 'vitest';
import { DiscoveryRecordError } from '../../../src/errors/DiscoveryRecordError.js';
import { InvalidConfigError } from '../../../src/errors/InvalidConfigError.js';
import { TargetNotFoundError } from '../../../src/errors/TargetNotFoundError.js';
import { createSdk } from '../../../src/invoke/Sdk.js';
import { exportName } from '../../../src/internal/names.js';
import type { SdkConfig } from '../../../src/internal/config.js';
import { type WireServer, type WireServerOptions, startWireServer } from '../../helpers/wire-server.js';

const rec = (ws: WireServer, name: string) => JSON.stringify({ v: 1, functionArn: ws.arn(name) });

async function setup(k: number, extra: WireServerOptions = {}, cfg: SdkConfig = {}) {
  const ws = await startWireServer(extra);
  for (let i = 0; i < k; i++) ws.parameters.set(`/svc-mesh/dev/s${i}/f`, rec(ws, `s${i}-dev-f`));
  const sdk = createSdk({ region: 'us-east-1', endpoint: ws.endpoint, env: {}, stage: 'dev', ...cfg });
  return { ws, sdk, resolver: sdk.resolver };
}

describe('Class: ServiceResolver', () => {
  afterEach(() => vi.useRealTimers());

  it('makes one request for 100 concurrent first lookups and none when warm', async () => {
    const { ws, resolver } = await setup(1);
    await using _ = ws;
    const all = await Promise.all(Array.from({ length: 100 }, () => resolver.resolve('s0:f')));
    expect(new Set(all.map((r) => r.functionArn))).toEqual(new Set([ws.arn('s0-dev-f')]));
    expect(ws.ssmRequests.length).toBe(1);
    await resolver.resolve('s0:f');
    expect(ws.ssmRequests.length).toBe(1);
    expect(resolver.cached('s0:f')?.source).toBe('ssm');
  });

  it('batches lookups of different targets in one turn, 10 names per GetParameters', async () => {
    const { ws, resolver } = await setup(23);
    await using _ = ws;
    await Promise.all(Array.from({ length: 23 }, (_x, i) => resolver.resolve(`s${i}:f`)));
    expect(ws.ssmRequests.map((r) => r.length).sort((a, b) => a - b)).toEqual([3, 10, 10]);
  });

  it('primes the declared targets with ceil(K/10) requests, then calls need none', async () => {
    const calling = Array.from({ length: 25 }, (_x, i) => `s${i}:f`);
    const { ws, sdk } = await setup(25, {}, { calling });
    await using _ = ws;
    await sdk.prime();
    expect(ws.ssmRequests.length).toBe(3);
    await Promise.all(calling.map((t) => sdk.resolve(t)));
    expect(ws.ssmRequests.length).toBe(3);
  });

  it('prefetches lazily on the first call when prime() was not called', async () => {
    const calling = Array.from({ length: 12 }, (_x, i) => `s${i}:f`);
    const { ws, sdk } = await setup(12, {}, { calling });
    await using _ = ws;
    await sdk.resolve('s3:f');
    await sdk.resolve('s11:f');
    expect(ws.ssmRequests.length).toBe(2);
  });

  it('makes no request for routed targets', async () => {
    const { ws, resolver } = await setup(
      0,
      {},
      { routes: { 'x:y': 'arn:aws:lambda:us-east-1:000000000000:function:xy' } },
    );
    await using _ = ws;
    expect((await resolver.resolve('x:y')).source).toBe('routes');
    expect(ws.ssmRequests.length + ws.exportsRequests).toBe(0);
  });

  it('expires records after the TTL and remembers "not found" briefly', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { ws, resolver } = await setup(1, {}, { cacheTtlMs: 1_000, negativeCacheTtlMs: 100, discovery: ['ssm'] });
    await using _ = ws;
    await resolver.resolve('s0:f');
    vi.advanceTimersByTime(999);
    await resolver.resolve('s0:f');
    expect(ws.ssmRequests.length).toBe(1);
    vi.advanceTimersByTime(2);
    await resolver.resolve('s0:f');
    expect(ws.ssmRequests.length).toBe(2);
    await expect(resolver.resolve('nope:f')).rejects.toBeInstanceOf(TargetNotFoundError);
    await expect(resolver.resolve('nope:f')).rejects.toBeInstanceOf(TargetNotFoundError);
    expect(ws.ssmRequests.length).toBe(3);
    vi.advanceTimersByTime(101);
    await expect(resolver.resolve('nope:f')).rejects.toBeInstanceOf(TargetNotFoundError);
    expect(ws.ssmRequests.length).toBe(4);
  });

  it('serves the stale record when SSM throttles', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    let throttle = false;
    const { ws, resolver } = await setup(
      1,
      { onSsm: () => (throttle ? { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' } : undefined) },
      { cacheTtlMs: 10, discovery: ['ssm'] },
    );
    await using _ = ws;
    const first = await resolver.resolve('s0:f');
    vi.advanceTimersByTime(20);
    throttle = true;
    expect(await resolver.resolve('s0:f')).toEqual(first);
    expect(resolver.stats.staleServed).toBe(1);
    expect(ws.ssmRequests.length).toBe(4); // 1 + the throttled read and its 2 retries
  });

  it('rejects a malformed record with DiscoveryRecordError naming it', async () => {
    const { ws, resolver } = await setup(0);
    await using _ = ws;
    for (const [v, why] of [
      ['{not json', /not JSON/],
      ['{"v":3,"functionArn":"x"}', /version 3/],
      ['{"v":2,"functionArn":"x"}', /version-2 record needs "service"/],
      ['{"v":1,"functionArn":"my-function"}', /not a Lambda function ARN/],
      [
        `{"v":1,"functionArn":"arn:aws:lambda:us-east-1:000000000000:function:${'x'.repeat(65)}"}`,
        /not a Lambda function ARN/,
      ],
    ] as const) {
      ws.parameters.set('/svc-mesh/dev/bad/f', v);
      resolver.clear();
      const err = await resolver.resolve('bad:f').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DiscoveryRecordError);
      expect((err as Error).message).toMatch(why);
      expect((err as Error).message).toContain('ssm:/svc-mesh/dev/bad/f');
    }
  });

  it('reads CloudFormation exports once, across pages, for every target', async () => {
    const { ws, resolver } = await setup(0, { exportsPageSize: 2 }, { discovery: ['exports'] });
    await using _ = ws;
    for (const s of ['a', 'b-c', 'd_e'.replace('_', '')])
      ws.exports.set(exportName('dev', s, 'f_n', 'FunctionArn'), ws.arn(`${s}-dev-f_n`));
    ws.exports.set(exportName('dev', 'a', 'f_n', 'TopicFailed'), 'arn:aws:sns:us-east-1:000000000000:a-dev-f_n-failed');
    ws.exports.set('other-stack-export', 'x');
    const a = await resolver.resolve('a:f_n');
    expect(a.topics).toEqual({ failed: 'arn:aws:sns:us-east-1:000000000000:a-dev-f_n-failed' });
    expect((await resolver.resolve('b-c:f_n')).functionArn).toBe(ws.arn('b-c-dev-f_n'));
    expect(ws.exportsRequests).toBe(3);
  });

  it('fails with a clear InvalidConfigError when no stage is configured', async () => {
    await using ws = await startWireServer();
    const s2 = createSdk({ region: 'us-east-1', endpoint: ws.endpoint, env: {} });
    await expect(s2.resolve('a:b')).rejects.toThrow(InvalidConfigError);
    await expect(s2.resolve('a:b')).rejects.toThrow(/SVC_MESH_STAGE/);
    await expect(s2.invoke('a:b', {})).rejects.toThrow(InvalidConfigError);
    expect(ws.ssmRequests.length).toBe(0);
  });
});
