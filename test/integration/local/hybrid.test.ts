/**
 * Hybrid mesh (issue 15, docs/hybrid.md): alice runs only `orders` locally at stage `alice`;
 * everything else is the team's deployed `dev` stage, stood in for by a second local mesh
 * behind a counting proxy (the independent witness of what went out).
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InvocationRecord, LocalMesh, RemoteHop } from '../../../tools/local/index.js';
import { startLocalMesh } from '../../../tools/local/index.js';
import { type CountingProxy, startCountingProxy } from '../../helpers/counting-proxy.js';

const SHOP = 'examples/shop';
const AWS_HANDLERS = 'test/fixtures/local/handlers/aws.ts';
const creds = { accessKeyId: 'test', secretAccessKey: 'test' };
const order = (card: string) => ({ customerId: 'c1', items: [{ sku: 'mug-blue', qty: 1 }], card });

function client(endpoint: string): LambdaClient {
  return new LambdaClient({ endpoint, region: 'us-east-1', credentials: creds, maxAttempts: 1 });
}
async function invoke(c: LambdaClient, name: string, payload: unknown, type?: 'Event' | 'DryRun') {
  const out = await c.send(
    new InvokeCommand({
      FunctionName: name,
      Payload: JSON.stringify(payload),
      ...(type ? { InvocationType: type } : {}),
    }),
  );
  const text = out.Payload ? new TextDecoder().decode(out.Payload) : '';
  return {
    status: out.StatusCode,
    error: out.FunctionError,
    body: text ? (JSON.parse(text) as Record<string, any>) : undefined,
  };
}

describe('svc-mesh dev --remote: local orders on top of the deployed dev stage', () => {
  let dev: LocalMesh;
  let proxy: CountingProxy;
  let alice: LocalMesh;
  const devCalls: InvocationRecord[] = [];
  const hops: RemoteHop[] = [];

  beforeAll(async () => {
    dev = await startLocalMesh({ paths: [SHOP], stage: 'dev', port: 0, quiet: true, asyncRetryDelaysMs: [10, 10] });
    dev.onInvoke((r) => devCalls.push(r));
    proxy = await startCountingProxy(dev.endpoint);
    // The overlay function's generated policy, to give a probe function exactly orders' rights.
    const plain = await startLocalMesh({
      paths: [`${SHOP}/orders`],
      context: [SHOP],
      stage: 'alice',
      stageFallback: ['dev'],
      port: 0,
      quiet: true,
    });
    const ordersPolicies = plain.fn('orders:placeOrder', 'alice')!.policies;
    await plain.stop();
    alice = await startLocalMesh({
      paths: [`${SHOP}/orders`],
      context: [SHOP],
      stage: 'alice',
      stageFallback: ['dev'],
      port: 0,
      quiet: true,
      log: () => {},
      functions: [
        {
          service: 'orders',
          key: 'probe',
          stage: 'alice',
          file: AWS_HANDLERS,
          export: 'attempt',
          policies: ordersPolicies,
        },
      ],
      remote: { endpoint: proxy.endpoint, devId: 'alice-test1', traceLink: 'https://traces.example.com/t/{traceId}' },
    });
    alice.remote!.onHop((h) => hops.push(h));
  }, 60_000);
  afterAll(async () => {
    await alice?.stop();
    await proxy?.close();
    await dev?.stop();
  });

  it('runs only orders locally and calls the deployed payments and inventory', async () => {
    // Arrange
    const before = proxy.count('ssm', 'GetParameters');

    // Act
    const out = await invoke(client(alice.endpoint), 'orders-alice-placeOrder', order('tok_visa'));

    // Assess: alice's orders answered, dev's payments charged, through the remote endpoint.
    expect(alice.functions.map((f) => f.name).sort()).toEqual(['orders-alice-placeOrder', 'orders-alice-probe']);
    expect(out.error).toBeUndefined();
    expect(out.body?.['servedBy']).toEqual({ orders: 'alice', payments: 'dev' });
    const remoteFns = proxy.seen.filter((s) => s.kind === 'lambda').map((s) => s.detail);
    expect(remoteFns).toEqual(
      expect.arrayContaining([
        'arn:aws:lambda:us-east-1:000000000000:function:inventory-dev-reserve',
        'arn:aws:lambda:us-east-1:000000000000:function:payments-dev-charge',
      ]),
    );
    expect(devCalls.map((r) => r.functionName)).toEqual(
      expect.arrayContaining(['inventory-dev-reserve', 'payments-dev-charge']),
    );
    // Cold: 3 targets, looked up at alice then dev: one GetParameters (≤ 10 names) per stage.
    expect(proxy.count('ssm', 'GetParameters') - before).toBeLessThanOrEqual(2);
    // The origin marker and the caller's trace context travel on.
    const charge = proxy.seen.find((s) => s.kind === 'lambda' && s.detail.endsWith('payments-dev-charge'))!;
    const cc = JSON.parse(Buffer.from(String(charge.headers['x-amz-client-context']), 'base64').toString('utf8'));
    expect(cc.custom.baggage).toContain('svcmesh.origin=alice-test1');
    expect(cc.custom.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    expect(cc.custom.caller).toBe('orders:placeOrder');
    // The remote hop is reported as such.
    const hop = hops.find((h) => h.functionName.endsWith('payments-dev-charge'))!;
    expect(hop).toMatchObject({
      caller: 'orders:placeOrder',
      where: proxy.endpoint,
      region: 'us-east-1',
      status: 200,
      outcome: undefined,
    });
    expect(hop.stages).toEqual(['alice', 'dev']);
    expect(hop.traceparent).toBe(cc.custom.traceparent);
  });

  it('shows the remote hop in the trace viewer (where, region, stages, outcome, link)', async () => {
    // Arrange: a traced call
    await invoke(client(alice.endpoint), 'orders-alice-placeOrder', order('tok_visa'));
    const hop = hops.filter((h) => h.functionName.endsWith('payments-dev-charge')).at(-1)!;
    const traceId = hop.traceparent!.split('-')[1]!;

    // Act: the viewer's API (the span is posted as the call answers)
    let spans: { name: string; attributes: Record<string, unknown>; parentSpanId?: string }[] = [];
    for (let i = 0; i < 50 && !spans.some((s) => s.name.startsWith('remote ')); i++) {
      const res = await fetch(`${alice.endpoint}/api/traces/${traceId}`);
      if (res.ok) spans = ((await res.json()) as { spans: typeof spans }).spans;
      await new Promise((r) => setTimeout(r, 100));
    }

    // Assess
    const remote = spans.filter((s) => s.name === 'remote payments-dev-charge (alice → dev)');
    expect(remote).toHaveLength(1);
    expect(remote[0]!.attributes).toMatchObject({
      'svcmesh.remote.where': proxy.endpoint,
      'cloud.region': 'us-east-1',
      'svcmesh.remote.stages': 'alice,dev',
      'svcmesh.remote.outcome': 'ok',
      'svcmesh.remote.link': `https://traces.example.com/t/${traceId}`,
    });
    expect(remote[0]!.parentSpanId).toBe(hop.traceparent!.split('-')[2]);
  });

  it('serves warm discovery from the cache: no remote SSM request', async () => {
    // Arrange: one order resolves every target (runtime and mesh caches).
    const probe = client(alice.endpoint);
    await invoke(probe, 'orders-alice-placeOrder', order('tok_visa'));
    const before = proxy.count('ssm');

    // Act: another local function reads a deployed record through the mesh (its runtime cache is cold).
    const read = await invoke(probe, 'orders-alice-probe', { kind: 'ssm', target: '/svc-mesh/dev/payments/charge' });
    await invoke(probe, 'orders-alice-placeOrder', order('tok_visa'));

    // Assess
    expect(read.body).toEqual({ ok: true });
    expect(proxy.count('ssm') - before).toBe(0);
  });

  it('returns a deployed function error as AWS returns it (declined card)', async () => {
    const out = await invoke(client(alice.endpoint), 'orders-alice-placeOrder', order('tok_decline'));
    expect(out.error).toBe('Unhandled');
    expect(out.body?.['errorType']).toBe('OrderRejectedError');
    expect(JSON.stringify(out.body?.['trace'])).toContain('PAYMENT_DECLINED');
    expect(hops.some((h) => h.functionName.endsWith('payments-dev-charge') && h.outcome === 'Unhandled')).toBe(true);
  });

  it("refuses locally a call outside the function's calling: (nothing goes out)", async () => {
    // Arrange
    const before = proxy.seen.length;

    // Act: the probe has orders:placeOrder's generated policy; ledger:record is not in its calling:.
    const out = await invoke(client(alice.endpoint), 'orders-alice-probe', {
      kind: 'invoke',
      target: 'ledger-dev-record',
    });
    const ssm = await invoke(client(alice.endpoint), 'orders-alice-probe', {
      kind: 'ssm',
      target: '/svc-mesh/dev/ledger/record',
    });

    // Assess
    expect(out.body).toMatchObject({ ok: false, name: 'AccessDeniedException', status: 403 });
    expect(out.body?.['message']).toContain('orders-alice-probe is not authorized to perform: lambda:InvokeFunction');
    expect(ssm.body).toMatchObject({ ok: false, name: 'AccessDeniedException' });
    expect(proxy.seen.length - before).toBe(0);
  });

  it('forwards a call its policy allows (same probe, declared target)', async () => {
    const before = proxy.count('lambda');
    const out = await invoke(client(alice.endpoint), 'orders-alice-probe', {
      kind: 'invoke',
      target: 'payments-dev-charge',
    });
    // charge rejects '{}' as input: a function error from the deployed side, not a denial.
    expect(out.body).toEqual({ ok: true });
    expect(proxy.count('lambda') - before).toBe(1);
  });

  it('forwards Event and DryRun, and returns the remote service errors', async () => {
    // Arrange
    const c = client(alice.endpoint);
    const ledgerBefore = devCalls.filter((r) => r.functionName === 'ledger-dev-record').length;

    // Act
    const ev = await invoke(c, 'ledger-dev-record', { chargeId: 'ch_1', orderId: 'o1', amountCents: 1 }, 'Event');
    const dry = await invoke(c, 'payments-dev-charge', {}, 'DryRun');
    const missing = await invoke(c, 'payments-dev-nosuch', {}).catch(
      (e: Error & { $metadata?: { httpStatusCode?: number } }) => e,
    );
    await dev.idle();

    // Assess
    expect(ev.status).toBe(202);
    expect(dry.status).toBe(204);
    expect((missing as Error).name).toBe('ResourceNotFoundException');
    expect((missing as Error).message).toContain('payments-dev-nosuch');
    expect(devCalls.filter((r) => r.functionName === 'ledger-dev-record').length).toBe(ledgerBefore + 1);
  });

  it('keeps serving local functions when the remote endpoint goes away, with a typed error for remote calls', async () => {
    // Arrange
    await proxy.close();
    const c = client(alice.endpoint);

    // Act
    const remote = await invoke(c, 'payments-dev-charge', {}).catch(
      (e: Error & { $metadata?: { httpStatusCode?: number } }) => e,
    );
    const local = await invoke(c, 'orders-alice-probe', { kind: 'invoke', target: 'ledger-dev-record' });

    // Assess
    expect((remote as Error).name).toBe('ServiceException');
    expect((remote as Error).message).toContain('could not reach');
    expect((remote as Error).message).toContain('Local functions keep serving');
    expect(local.body).toMatchObject({ ok: false, name: 'AccessDeniedException' });
    expect(hops.at(-1)?.outcome).toBe('Unreachable');
  });
});
