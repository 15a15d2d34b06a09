/**
 * ServiceResolver behaviour a caller or a deployed service notices, each case written against a
 * mutant that survived the first mutation run (docs/mutation.md, discovery): where it looks and
 * in which order, what it caches and for how long, what it refetches after invalidate()/clear(),
 * which errors come out of a failing SSM or CloudFormation, and how lookups share requests.
 * Real @aws-sdk/client-ssm and client-cloudformation against the wire server (test/helpers).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AccessDeniedError } from '../../../src/errors/AccessDeniedError.js';
import { DiscoveryError } from '../../../src/errors/DiscoveryError.js';
import { DiscoveryRecordError } from '../../../src/errors/DiscoveryRecordError.js';
import { InvalidConfigError } from '../../../src/errors/InvalidConfigError.js';
import { InvalidDiscoveryRecordError } from '../../../src/errors/InvalidDiscoveryRecordError.js';
import { TargetNotFoundError } from '../../../src/errors/TargetNotFoundError.js';
import { createSdk } from '../../../src/invoke/Sdk.js';
import type { SdkConfig } from '../../../src/internal/config.js';
import { exportName } from '../../../src/internal/names.js';
import { type WireServer, type WireServerOptions, startWireServer } from '../../helpers/wire-server.js';
import { failure, wireSdk } from '../../helpers/sdk.js';

const rec = (ws: WireServer, name: string) => JSON.stringify({ v: 1, functionArn: ws.arn(name) });
const topic = (ws: WireServer, name: string) => ws.topicArn(name);

async function setup(extra: WireServerOptions = {}, cfg: SdkConfig = {}) {
  const ws = await startWireServer(extra);
  const sdk = wireSdk(ws, { stage: 'dev', ...cfg });
  return { ws, sdk, resolver: sdk.resolver };
}

describe('ServiceResolver: stage chains and the cache behind cached()', () => {
  afterEach(() => vi.useRealTimers());

  it('chain() puts an explicit stage first, followed by the fallback, without duplicates', async () => {
    const { ws, resolver } = await setup({}, { stage: 'alice', stageFallback: ['dev', 'alice', 'dev'] });
    await using _ = ws;
    expect(resolver.chain()).toEqual(['alice', 'dev']);
    expect(resolver.chain('prod')).toEqual(['prod', 'dev', 'alice']);
    expect(resolver.chain('dev')).toEqual(['dev', 'alice']);
  });

  it('cached() answers per stage chain, from what resolve() stored, and never throws', async () => {
    const { ws, resolver } = await setup({}, { stage: 'alice', stageFallback: ['dev'] });
    await using _ = ws;
    ws.parameters.set('/svc-mesh/dev/a/f', rec(ws, 'a-dev-f'));
    ws.parameters.set('/svc-mesh/prod/a/f', rec(ws, 'a-prod-f'));
    expect(resolver.cached('a:f')).toBeUndefined();
    expect(resolver.cached('nobody:f', 'prod')).toBeUndefined();
    const viaDefault = await resolver.resolve('a:f');
    expect(viaDefault).toMatchObject({ stage: 'dev', functionArn: ws.arn('a-dev-f') });
    expect(resolver.cached('a:f')).toEqual(viaDefault);
    // Another chain ('prod', then 'dev') has its own entry.
    expect(resolver.cached('a:f', 'prod')).toBeUndefined();
    const viaProd = await resolver.resolve('a:f', 'prod');
    expect(viaProd).toMatchObject({ stage: 'prod', functionArn: ws.arn('a-prod-f') });
    expect(resolver.cached('a:f', 'prod')).toEqual(viaProd);
    expect(resolver.cached('a:f')).toEqual(viaDefault);
    // A "not found" is remembered by resolve(), but cached() only ever returns a record.
    await expect(resolver.resolve('gone:f')).rejects.toBeInstanceOf(TargetNotFoundError);
    expect(resolver.cached('gone:f')).toBeUndefined();
  });

  it('without a configured stage: cached() is empty rather than throwing, and an explicit stage works', async () => {
    const ws = await startWireServer();
    await using _ = ws;
    const { resolver } = createSdk({
      region: 'us-east-1',
      endpoint: ws.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      env: {},
      routes: { 'r:f': 'arn:aws:lambda:us-east-1:000000000000:function:r-f' },
    });
    ws.parameters.set('/svc-mesh/dev/a/f', rec(ws, 'a-dev-f'));
    expect(resolver.cached('a:f')).toBeUndefined();
    // A route needs no stage, in cached() as in resolve().
    expect(resolver.cached('r:f')).toMatchObject({ source: 'routes', location: "routes['r:f']", stage: undefined });
    await expect(resolver.resolve('a:f')).rejects.toThrow(/No stage is configured, so targets cannot be resolved/);
    const hit = await resolver.resolve('a:f', 'dev');
    expect(resolver.cached('a:f', 'dev')).toEqual(hit);
    expect(resolver.cached('a:f')).toBeUndefined();
  });

  it('a record is fresh until exactly cacheTtlMs has passed, in cached() and resolve()', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { ws, resolver } = await setup({}, { cacheTtlMs: 1_000 });
    await using _ = ws;
    ws.parameters.set('/svc-mesh/dev/a/f', rec(ws, 'a-dev-f'));
    await resolver.resolve('a:f');
    vi.advanceTimersByTime(999);
    expect(resolver.cached('a:f')?.functionArn).toBe(ws.arn('a-dev-f'));
    vi.advanceTimersByTime(1);
    expect(resolver.cached('a:f')).toBeUndefined();
    await resolver.resolve('a:f');
    expect(ws.ssmRequests.length).toBe(2);
    expect(resolver.stats.ssmRequests).toBe(2);
  });
});

describe('ServiceResolver: sources and their order', () => {
  it('ignores routes when discovery does not list them, and names the route it used', async () => {
    const arn = 'arn:aws:lambda:us-east-1:000000000000:function:routed';
    const routes = { 'a:f': arn };
    const listed = await setup({}, { routes });
    await using _a = listed.ws;
    expect(await listed.resolver.resolve('a:f')).toEqual({
      target: 'a:f',
      functionArn: arn,
      topics: undefined,
      stage: undefined,
      source: 'routes',
      location: "routes['a:f']",
      contract: undefined,
    });
    const notListed = await setup({}, { routes, discovery: ['ssm'] });
    await using _b = notListed.ws;
    notListed.ws.parameters.set('/svc-mesh/dev/a/f', rec(notListed.ws, 'a-dev-f'));
    expect(notListed.resolver.cached('a:f')).toBeUndefined();
    expect(await notListed.resolver.resolve('a:f')).toMatchObject({
      source: 'ssm',
      functionArn: notListed.ws.arn('a-dev-f'),
    });
  });

  it('asks only the configured sources, and lists exactly those in "not found"', async () => {
    const ssmOnly = await setup({}, { discovery: ['ssm'], stageFallback: ['prod'] });
    await using _a = ssmOnly.ws;
    const e1 = (await failure(ssmOnly.resolver.resolve('x:f'))) as TargetNotFoundError;
    expect(e1).toBeInstanceOf(TargetNotFoundError);
    expect(e1.searched).toEqual([
      { stage: 'dev', source: 'ssm', name: '/svc-mesh/dev/x/f' },
      { stage: 'prod', source: 'ssm', name: '/svc-mesh/prod/x/f' },
    ]);
    expect(ssmOnly.ws.exportsRequests).toBe(0);

    const exportsOnly = await setup({}, { discovery: ['exports'] });
    await using _b = exportsOnly.ws;
    const e2 = (await failure(exportsOnly.resolver.resolve('x:f'))) as TargetNotFoundError;
    expect(e2).toBeInstanceOf(TargetNotFoundError);
    expect(e2.searched).toEqual([{ stage: 'dev', source: 'exports', name: 'svc-mesh:dev:x:f:FunctionArn' }]);
    expect(exportsOnly.ws.ssmRequests.length).toBe(0);

    const all = await setup({}, { discovery: ['routes', 'ssm', 'exports'] });
    await using _c = all.ws;
    const e3 = (await failure(all.resolver.resolve('x:f'))) as TargetNotFoundError;
    expect(e3.searched).toEqual([
      { stage: undefined, source: 'routes', name: "routes['x:f']" },
      { stage: 'dev', source: 'ssm', name: '/svc-mesh/dev/x/f' },
      { stage: 'dev', source: 'exports', name: 'svc-mesh:dev:x:f:FunctionArn' },
    ]);
  });

  it('reads a target from CloudFormation exports: ARN, topics, contract, and stage fallback', async () => {
    const { ws, resolver } = await setup({}, { discovery: ['exports'], stageFallback: ['prod'] });
    await using _ = ws;
    ws.exports.set(exportName('prod', 'a', 'f', 'FunctionArn'), ws.arn('a-prod-f'));
    ws.exports.set(exportName('prod', 'a', 'f', 'TopicStart'), topic(ws, 'a-prod-f-start'));
    ws.exports.set(exportName('prod', 'a', 'f', 'TopicSuccess'), topic(ws, 'a-prod-f-success'));
    ws.exports.set(exportName('prod', 'a', 'f', 'Contract'), 'sha256:abc');
    ws.exports.set(exportName('dev', 'b', 'f', 'FunctionArn'), ws.arn('b-dev-f'));
    expect(await resolver.resolve('a:f')).toEqual({
      target: 'a:f',
      functionArn: ws.arn('a-prod-f'),
      topics: { start: topic(ws, 'a-prod-f-start'), success: topic(ws, 'a-prod-f-success') },
      stage: 'prod',
      source: 'exports',
      location: 'svc-mesh:prod:a:f:FunctionArn',
      contract: 'sha256:abc',
    });
    // No topic exports: no topics at all (not an empty object, which would read as "subscribable").
    expect(await resolver.resolve('b:f')).toMatchObject({ stage: 'dev', topics: undefined, contract: undefined });
    expect(ws.exportsRequests).toBe(1);
    expect(resolver.stats.exportsRequests).toBe(1);
  });

  it('stops paging at an empty NextToken (it does not start over from the first page)', async () => {
    const { ws, resolver } = await setup(
      { exportsPageSize: 1, exportsEmptyLastToken: true },
      { discovery: ['exports'] },
    );
    await using _ = ws;
    ws.exports.set(exportName('dev', 'a', 'f', 'FunctionArn'), ws.arn('a-dev-f'));
    ws.exports.set(exportName('dev', 'b', 'f', 'FunctionArn'), ws.arn('b-dev-f'));
    await expect(resolver.resolve('x:f')).rejects.toBeInstanceOf(TargetNotFoundError);
    expect(ws.exportsRequests).toBe(2);
  }, 5_000);

  it('refuses an export that is not a Lambda ARN, or a topic export that is not an SNS ARN', async () => {
    const { ws, resolver } = await setup({}, { discovery: ['exports'] });
    await using _ = ws;
    ws.exports.set(exportName('dev', 'a', 'f', 'FunctionArn'), 'a-dev-f');
    ws.exports.set(exportName('dev', 'b', 'f', 'FunctionArn'), ws.arn('b-dev-f'));
    ws.exports.set(exportName('dev', 'b', 'f', 'TopicFailed'), ws.arn('not-a-topic'));
    const a = (await failure(resolver.resolve('a:f'))) as DiscoveryRecordError;
    expect(a).toBeInstanceOf(DiscoveryRecordError);
    expect(a.source).toBe('exports:svc-mesh:dev:a:f:FunctionArn');
    expect(a.message).toContain('value "a-dev-f" is not a Lambda function ARN');
    const b = (await failure(resolver.resolve('b:f'))) as DiscoveryRecordError;
    expect(b).toBeInstanceOf(DiscoveryRecordError);
    expect(b.source).toBe('exports:svc-mesh:dev:b:f:TopicFailed');
    expect(b.message).toContain(`value "${ws.arn('not-a-topic')}" is not an SNS topic ARN`);
  });
});

describe('ServiceResolver: whose record it is', () => {
  it("refuses a version-2 record of the same service's other function, or of another service's same function", async () => {
    const { ws, resolver } = await setup();
    await using _ = ws;
    const v2 = (service: string, fn: string) =>
      JSON.stringify({ v: 2, service, function: fn, stage: 'dev', functionArn: ws.arn(`${service}-dev-${fn}`) });
    ws.parameters.set('/svc-mesh/dev/payments/charge', v2('payments', 'refund'));
    ws.parameters.set('/svc-mesh/dev/billing/refund', v2('payments', 'refund'));
    ws.parameters.set('/svc-mesh/dev/payments/refund', v2('payments', 'refund'));
    for (const t of ['payments:charge', 'billing:refund']) {
      const err = (await failure(resolver.resolve(t))) as InvalidDiscoveryRecordError;
      expect(err).toBeInstanceOf(InvalidDiscoveryRecordError);
      expect(err.message).toContain("it is the record of payments:refund in stage 'dev'");
    }
    expect((await resolver.resolve('payments:refund')).functionArn).toBe(ws.arn('payments-dev-refund'));
  });
});

describe('ServiceResolver: invalidate() and clear()', () => {
  it('invalidate() forgets one target (and the exports read it came from), nothing else', async () => {
    const { ws, resolver } = await setup({}, { discovery: ['ssm', 'exports'] });
    await using _ = ws;
    ws.parameters.set('/svc-mesh/dev/s/f', rec(ws, 's-dev-f'));
    ws.parameters.set('/svc-mesh/dev/xs/f', rec(ws, 'xs-dev-f'));
    ws.exports.set(exportName('dev', 'e', 'f', 'FunctionArn'), ws.arn('e-dev-f'));
    ws.exports.set(exportName('dev', 'e2', 'f', 'FunctionArn'), ws.arn('e2-dev-f'));
    ws.exports.set(exportName('dev', 'e3', 'f', 'FunctionArn'), ws.arn('e3-dev-f'));
    await Promise.all([resolver.resolve('s:f'), resolver.resolve('xs:f'), resolver.resolve('e:f')]);
    await expect(resolver.resolve('gone:f')).rejects.toBeInstanceOf(TargetNotFoundError);
    const ssm0 = ws.ssmRequests.length;
    const cfn0 = ws.exportsRequests;
    expect(cfn0).toBe(1);

    // An SSM target: only its own entry goes; the exports read stays.
    ws.parameters.set('/svc-mesh/dev/s/f', rec(ws, 's-dev-f'));
    resolver.invalidate('s:f');
    expect(resolver.cached('s:f')).toBeUndefined();
    expect(resolver.cached('xs:f')?.functionArn).toBe(ws.arn('xs-dev-f'));
    await resolver.resolve('s:f');
    expect(ws.ssmRequests.length).toBe(ssm0 + 1);
    await resolver.resolve('e2:f'); // from the exports read made before
    expect(ws.exportsRequests).toBe(cfn0);

    // An exports target: the function was replaced; its new ARN is read again.
    ws.exports.set(exportName('dev', 'e', 'f', 'FunctionArn'), ws.arn('e-dev-f-v2'));
    resolver.invalidate('e:f');
    expect((await resolver.resolve('e:f')).functionArn).toBe(ws.arn('e-dev-f-v2'));
    expect(ws.exportsRequests).toBe(cfn0 + 1);

    // A remembered "not found" can be forgotten too: the target is looked up again.
    ws.parameters.set('/svc-mesh/dev/gone/f', rec(ws, 'gone-dev-f'));
    resolver.invalidate('gone:f');
    expect((await resolver.resolve('gone:f')).functionArn).toBe(ws.arn('gone-dev-f'));
  });

  it('clear() drops every record and the exports read', async () => {
    const { ws, resolver } = await setup({}, { discovery: ['ssm', 'exports'] });
    await using _ = ws;
    ws.parameters.set('/svc-mesh/dev/s/f', rec(ws, 's-dev-f'));
    ws.exports.set(exportName('dev', 'e', 'f', 'FunctionArn'), ws.arn('e-dev-f'));
    await resolver.resolve('s:f');
    await resolver.resolve('e:f');
    // Redeployed (same function name, another account): clear() must read the new ARNs.
    const moved = 'arn:aws:lambda:us-east-1:111111111111:function:s-dev-f';
    ws.parameters.set('/svc-mesh/dev/s/f', JSON.stringify({ v: 1, functionArn: moved }));
    ws.exports.set(exportName('dev', 'e', 'f', 'FunctionArn'), ws.arn('e-dev-f2'));
    resolver.clear();
    expect(resolver.cached('s:f')).toBeUndefined();
    expect((await resolver.resolve('s:f')).functionArn).toBe(moved);
    expect((await resolver.resolve('e:f')).functionArn).toBe(ws.arn('e-dev-f2'));
  });
});

describe('ServiceResolver: failing discovery', () => {
  afterEach(() => vi.useRealTimers());

  it('SSM access denied: AccessDeniedError naming ssm:GetParameters and the parameter, not retried', async () => {
    const { ws, resolver } = await setup(
      {
        onSsm: () => ({
          status: 400,
          type: 'AccessDeniedException',
          message: 'not authorized to perform ssm:GetParameters',
        }),
      },
      { service: 'orders', function: 'place' },
    );
    await using _ = ws;
    const err = (await failure(resolver.resolve('a:f'))) as AccessDeniedError;
    expect(err).toBeInstanceOf(AccessDeniedError);
    expect(err.action).toBe('ssm:GetParameters');
    expect(err.resource).toBe('/svc-mesh/dev/a/f');
    expect(err.message).toContain("'orders:place' may not ssm:GetParameters on /svc-mesh/dev/a/f");
    expect((err.cause as Error).name).toBe('AccessDeniedException');
    expect(ws.ssmRequests.length).toBe(1);
  });

  it('ListExports access denied: AccessDeniedError naming cloudformation:ListExports on *', async () => {
    const { ws, resolver } = await setup(
      { onExports: () => ({ status: 403, type: 'AccessDenied', message: 'not authorized' }) },
      { discovery: ['exports'] },
    );
    await using _ = ws;
    const err = (await failure(resolver.resolve('a:f'))) as AccessDeniedError;
    expect(err).toBeInstanceOf(AccessDeniedError);
    expect(err.action).toBe('cloudformation:ListExports');
    expect(err.resource).toBe('*');
    expect(ws.exportsRequests).toBe(1);
  });

  it('a failing SSM is retried twice, then DiscoveryError(ssm) with the AWS error; nothing is cached', async () => {
    let fail = true;
    const { ws, resolver } = await setup({
      onSsm: () => (fail ? { status: 500, type: 'InternalServerError', message: 'boom' } : undefined),
    });
    await using _ = ws;
    ws.parameters.set('/svc-mesh/dev/a/f', rec(ws, 'a-dev-f'));
    const err = (await failure(resolver.resolve('a:f'))) as DiscoveryError;
    expect(err).toBeInstanceOf(DiscoveryError);
    expect(err.source).toBe('ssm');
    expect(err.message).toContain('SSM GetParameters failed (InternalServerError: boom)');
    expect((err.cause as Error).name).toBe('InternalServerError');
    expect(ws.ssmRequests.length).toBe(3);
    expect(resolver.stats.staleServed).toBe(0);
    // The failed flight is gone: the next call asks again and succeeds.
    fail = false;
    expect((await resolver.resolve('a:f')).functionArn).toBe(ws.arn('a-dev-f'));
  });

  it('a failing ListExports: DiscoveryError(exports); the next call reads the exports again', async () => {
    let fail = true;
    const { ws, resolver } = await setup(
      { onExports: () => (fail ? { status: 500, type: 'InternalFailure', message: 'down' } : undefined) },
      { discovery: ['exports'] },
    );
    await using _ = ws;
    ws.exports.set(exportName('dev', 'a', 'f', 'FunctionArn'), ws.arn('a-dev-f'));
    const err = (await failure(resolver.resolve('a:f'))) as DiscoveryError;
    expect(err).toBeInstanceOf(DiscoveryError);
    expect(err.source).toBe('exports');
    expect(err.message).toContain('CloudFormation ListExports failed (InternalFailure: down)');
    fail = false;
    expect((await resolver.resolve('a:f')).functionArn).toBe(ws.arn('a-dev-f'));
  });

  it('no region: the InvalidConfigError itself, not a retryable DiscoveryError', async () => {
    const { ws } = await setup();
    await using _ = ws;
    const sdk = createSdk({ endpoint: ws.endpoint, env: {}, stage: 'dev' });
    const err = await failure(sdk.resolver.resolve('a:f'));
    expect(err).toBeInstanceOf(InvalidConfigError);
    expect(ws.ssmRequests.length).toBe(0);
  });

  it('the exports read expires with the cache TTL, exactly', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { ws, resolver } = await setup({}, { discovery: ['exports'], cacheTtlMs: 1_000 });
    await using _ = ws;
    ws.exports.set(exportName('dev', 'a', 'f', 'FunctionArn'), ws.arn('a-dev-f'));
    ws.exports.set(exportName('dev', 'b', 'f', 'FunctionArn'), ws.arn('b-dev-f'));
    await resolver.resolve('a:f');
    vi.advanceTimersByTime(1_000);
    // 'b:f' was never resolved: only the exports read could answer it, and it is stale now.
    ws.exports.set(exportName('dev', 'b', 'f', 'FunctionArn'), ws.arn('b-dev-f-v2'));
    expect((await resolver.resolve('b:f')).functionArn).toBe(ws.arn('b-dev-f-v2'));
    expect(ws.exportsRequests).toBe(2);
  });

  it('stale-on-failure: serves the last record for 5 s, then asks again; never for access denied', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    let answer: 'ok' | 'fail' | 'deny' = 'ok';
    const { ws, resolver } = await setup(
      {
        onSsm: () =>
          answer === 'fail'
            ? { status: 500, type: 'InternalServerError', message: 'boom' }
            : answer === 'deny'
              ? { status: 400, type: 'AccessDeniedException', message: 'denied' }
              : undefined,
      },
      { cacheTtlMs: 10 },
    );
    await using _ = ws;
    ws.parameters.set('/svc-mesh/dev/a/f', rec(ws, 'a-dev-f'));
    const first = await resolver.resolve('a:f');
    vi.advanceTimersByTime(10);
    answer = 'fail';
    expect(await resolver.resolve('a:f')).toEqual(first);
    expect(resolver.stats.staleServed).toBe(1);
    const n = ws.ssmRequests.length;
    vi.advanceTimersByTime(4_999);
    expect(await resolver.resolve('a:f')).toEqual(first);
    expect(ws.ssmRequests.length).toBe(n); // within the grace period: no request
    vi.advanceTimersByTime(1);
    answer = 'deny';
    expect(await failure(resolver.resolve('a:f'))).toBeInstanceOf(AccessDeniedError);
    expect(resolver.stats.staleServed).toBe(1);
  });

  it('nothing stale to serve: the DiscoveryError, also after an expired "not found"', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    let fail = false;
    const { ws, resolver } = await setup(
      { onSsm: () => (fail ? { status: 500, type: 'InternalServerError', message: 'boom' } : undefined) },
      { negativeCacheTtlMs: 10 },
    );
    await using _ = ws;
    await expect(resolver.resolve('a:f')).rejects.toBeInstanceOf(TargetNotFoundError);
    vi.advanceTimersByTime(10);
    fail = true;
    expect(await failure(resolver.resolve('a:f'))).toBeInstanceOf(DiscoveryError);
    expect(await failure(resolver.resolve('b:f'))).toBeInstanceOf(DiscoveryError);
    expect(resolver.stats.staleServed).toBe(0);
  });
});

describe('ServiceResolver: shared requests', () => {
  afterEach(() => vi.useRealTimers());

  it('20 lookups in one turn: two requests of 10 names, and no empty one', async () => {
    const { ws, resolver } = await setup();
    await using _ = ws;
    for (let i = 0; i < 20; i++) ws.parameters.set(`/svc-mesh/dev/s${i}/f`, rec(ws, `s${i}-dev-f`));
    await Promise.all(Array.from({ length: 20 }, (_x, i) => resolver.resolve(`s${i}:f`)));
    expect(ws.ssmRequests.map((r) => r.length)).toEqual([10, 10]);
    expect(resolver.stats.ssmRequests).toBe(2);
  });

  it('the first lookup of a declared target fetches every declared target, in the same request', async () => {
    const calling = ['a:f', 'b:f', 'c:f'];
    const { ws, resolver } = await setup({}, { calling });
    await using _ = ws;
    for (const t of calling)
      ws.parameters.set(`/svc-mesh/dev/${t.replace(':', '/')}`, rec(ws, t.replace(':', '-dev-')));
    await resolver.resolve('b:f');
    expect(ws.ssmRequests.map((r) => [...r].sort())).toEqual([
      ['/svc-mesh/dev/a/f', '/svc-mesh/dev/b/f', '/svc-mesh/dev/c/f'],
    ]);
    await resolver.resolve('a:f');
    await resolver.resolve('c:f');
    expect(ws.ssmRequests.length).toBe(1);
  });

  it('a lookup of an undeclared target, or in another stage, does not prefetch the declared ones', async () => {
    const { ws, resolver } = await setup({}, { calling: ['a:f', 'b:f'] });
    await using _ = ws;
    ws.parameters.set('/svc-mesh/prod/a/f', rec(ws, 'a-prod-f'));
    ws.parameters.set('/svc-mesh/dev/x/f', rec(ws, 'x-dev-f'));
    await resolver.resolve('x:f');
    await resolver.resolve('a:f', 'prod');
    expect(ws.ssmRequests).toEqual([['/svc-mesh/dev/x/f'], ['/svc-mesh/prod/a/f']]);
  });

  it('two chains asking for the same parameter in one batch both get the answer', async () => {
    // alice → dev looks up /alice/a/f, then /dev/a/f; a lookup in stage dev asks for /dev/a/f in that second batch.
    const { ws, resolver } = await setup({}, { stage: 'alice', stageFallback: ['dev'] });
    await using _ = ws;
    ws.parameters.set('/svc-mesh/dev/a/f', rec(ws, 'a-dev-f'));
    vi.useFakeTimers({ toFake: ['setImmediate'] });
    const viaAlice = resolver.resolve('a:f');
    vi.runOnlyPendingTimers(); // sends the /alice/a/f batch
    while (vi.getTimerCount() === 0) await new Promise((r) => setTimeout(r, 1)); // /dev/a/f is queued
    const viaDev = resolver.resolve('a:f', 'dev');
    vi.runOnlyPendingTimers();
    vi.useRealTimers();
    const [x, y] = await Promise.all([viaAlice, viaDev]);
    expect(x.functionArn).toBe(ws.arn('a-dev-f'));
    expect(y.functionArn).toBe(ws.arn('a-dev-f'));
    expect(ws.ssmRequests).toEqual([['/svc-mesh/alice/a/f'], ['/svc-mesh/dev/a/f']]);
  }, 5_000);
});
