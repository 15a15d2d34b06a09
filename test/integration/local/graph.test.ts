/**
 * A multi-service graph loaded from serverless.yml files through codegen, using the
 * runtime API (defineFunction, sdk.invoke, defineSubscriber) inside the workers.
 */
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalMesh, startLocalMesh } from '../../../tools/local/index.js';
import { FIXTURES, clients, decode, until } from './helpers.js';

const GRAPH = join(FIXTURES, 'graph');
const record = join(mkdtempSync(join(tmpdir(), 'svc-mesh-graph-')), 'record.jsonl');
let mesh: LocalMesh;
let lambda: ReturnType<typeof clients>['lambda'];

const lines = (): { fn: string; [k: string]: unknown }[] =>
  existsSync(record)
    ? readFileSync(record, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];

beforeAll(async () => {
  process.env['SVC_MESH_TEST_RECORD'] = record;
  mesh = await startLocalMesh({
    paths: [GRAPH],
    stage: 'dev',
    deployments: [{ paths: [join(GRAPH, 'pricing')], stage: 'alice', stageFallback: ['dev'] }],
    quiet: true,
    tracing: false,
    asyncRetryDelaysMs: [10, 10],
  });
  lambda = clients(mesh.endpoint).lambda;
});
afterAll(async () => {
  await mesh?.stop();
});

const invoke = async (FunctionName: string, payload: unknown) => {
  const out = await lambda.send(new InvokeCommand({ FunctionName, Payload: JSON.stringify(payload) }));
  return { out, body: decode(out.Payload) as any };
};

describe('Local mesh: a multi-service graph from serverless.yml', () => {
  it('loads every function of both deployments', () => {
    const names = mesh.functions.map((f) => f.name).sort();
    expect(names).toEqual([
      'audit-dev-onReserveFailed',
      'gateway-dev-checkout',
      'gateway-dev-enqueue',
      'gateway-dev-sneaky',
      'pricing-alice-quote',
      'pricing-dev-quote',
      'stock-dev-reserve',
      'stock-dev-restock',
    ]);
    expect(mesh.fn('pricing:quote', 'alice')?.environment['SVC_MESH_STAGE']).toBe('alice');
  });

  it('runs a sync chain of 3 hops through discovery', async () => {
    const { out, body } = await invoke('gateway-dev-checkout', { sku: 'abc' });
    expect(out.FunctionError, JSON.stringify(body)).toBeUndefined();
    expect(body).toEqual({
      hop: 'gateway',
      quote: { hop: 'pricing@dev', price: 42, reservation: { hop: 'stock', sku: 'abc', reserved: true } },
    });
  });

  it('runs an async invoke in the background', async () => {
    const { body } = await invoke('gateway-dev-enqueue', { sku: 'later' });
    expect(body).toEqual({ queued: true });
    await until(() => lines().some((l) => l.fn === 'restock' && (l['input'] as any)?.sku === 'later'));
  });

  it('delivers a failed event to a subscriber in another service', async () => {
    const { out, body } = await invoke('stock-dev-reserve', { sku: 'none' });
    expect(out.FunctionError).toBe('Unhandled');
    expect(body.errorType).toBe('OutOfStock');
    await until(() => lines().some((l) => l.fn === 'onReserveFailed'));
    const ev = lines().find((l) => l.fn === 'onReserveFailed')!;
    expect(ev['type']).toBe('failed');
    expect(ev['input']).toEqual({ sku: 'none' });
    expect((ev['error'] as any).message).toBe('no stock for none');
  });

  it('falls back from a developer stage to dev', async () => {
    const { out, body } = await invoke('pricing-alice-quote', { sku: 'x' });
    expect(out.FunctionError, JSON.stringify(body)).toBeUndefined();
    expect(body).toEqual({ hop: 'pricing@alice', price: 42, reservation: { hop: 'stock', sku: 'x', reserved: true } });
  });

  it('denies an undeclared call with AccessDeniedException naming the permission', async () => {
    const { body } = await invoke('gateway-dev-sneaky', { functionName: 'stock-dev-reserve' });
    expect(body.denied).toBe(true);
    expect(body.name).toBe('AccessDeniedException');
    expect(body.message).toBe(
      'User: arn:aws:sts::000000000000:assumed-role/gateway-dev-sneaky/gateway-dev-sneaky is not authorized to perform: ' +
        'lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:000000000000:function:stock-dev-reserve ' +
        'because no identity-based policy allows the lambda:InvokeFunction action',
    );
    // The declared target is allowed for the same function.
    const ok = await invoke('gateway-dev-sneaky', { functionName: 'pricing-dev-quote' });
    expect(ok.body.denied).toBe(false);
  });
});
