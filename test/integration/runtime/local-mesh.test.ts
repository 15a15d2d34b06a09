import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteFunctionError, TargetNotFoundError, UndeclaredCallError, createSdk } from 'svc-mesh';
import { type LocalMesh, startLocalMesh } from '../../../tools/local/index.js';

const shop = fileURLToPath(new URL('../../../examples/shop', import.meta.url));

describe('Runtime against the local mesh (examples/shop, real workers, IAM enforced)', () => {
  let mesh: LocalMesh;
  beforeAll(async () => {
    mesh = await startLocalMesh({ paths: [shop], stage: 'dev', port: 0, quiet: true, tracing: false });
  }, 60_000);
  afterAll(async () => {
    await mesh?.stop();
  });
  const sdkFor = (extra: Parameters<typeof createSdk>[0] = {}) =>
    createSdk({
      stage: 'dev',
      region: 'us-east-1',
      endpoint: mesh.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      env: {},
      ...extra,
    });

  it('resolves through the seeded SSM records and calls a chain of functions', async () => {
    const s = sdkFor();
    const where = await s.resolve('orders:placeOrder');
    expect(where).toMatchObject({ source: 'ssm', stage: 'dev' });
    expect(where.functionArn).toMatch(/:function:orders-dev-placeOrder$/);
    const out = (await s.invoke('orders:placeOrder', {
      customerId: 'c-1',
      items: [{ sku: 'mug-blue', qty: 1 }],
      card: 'tok_visa',
    })) as { status: string; chargeId: string };
    expect(out.status).toBe('confirmed');
    expect(out.chargeId).toMatch(/^ch_/);
  });

  it("rebuilds a callee's error code across two hops (payments → orders → caller)", async () => {
    const s = sdkFor();
    const err = await s
      .invoke('orders:placeOrder', { customerId: 'c-2', items: [{ sku: 'mug-blue', qty: 1 }], card: 'tok_decline' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteFunctionError);
    expect((err as RemoteFunctionError).errorType).toBe('OrderRejectedError');
    expect((err as RemoteFunctionError).remoteCode).toBe('PAYMENT_DECLINED');
  });

  it('reports unknown targets with the stages searched, and refuses undeclared calls', async () => {
    const err = await sdkFor()
      .invoke('payments:refund', {})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetNotFoundError);
    expect((err as Error).message).toContain('/svc-mesh/dev/payments/refund');
    const scoped = sdkFor({ service: 'orders', function: 'placeOrder', calling: ['payments:charge'] });
    await expect(scoped.invoke('ledger:record', {})).rejects.toBeInstanceOf(UndeclaredCallError);
  });
});
