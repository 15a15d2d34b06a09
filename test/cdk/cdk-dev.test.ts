/**
 * `svc-mesh dev` for a CDK app: the local mesh reads the declarations from the cloud assembly
 * (svc-mesh.json) and runs them next to serverless.yml services. examples/cdk-shop declares
 * orders, payments and notifications in CDK; inventory and ledger stay in serverless.yml.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shopApp } from '../../examples/cdk-shop/shop.js';
import { isRemoteFunctionError } from '../../src/index.js';
import type { InvocationRecord, LocalMesh } from '../../tools/local/index.js';
import { type ExampleMesh, startExampleMesh } from '../helpers/example-mesh.js';

const ROOT = join(import.meta.dirname, '../..');
// Inside the checkout, so the workers resolve svc-mesh's dependencies as a CDK app's would.
const OUT = join(ROOT, `examples/cdk-shop/cdk.out.test-${process.pid}`);

describe('svc-mesh dev on a CDK app (cdk.out/svc-mesh.json)', () => {
  let mesh: LocalMesh;
  let invocations: InvocationRecord[];
  let sdk: ExampleMesh['sdk'];

  beforeAll(async () => {
    const app = new App({ outdir: OUT, context: { 'aws:cdk:bundling-stacks': [] } });
    shopApp(app, { stage: 'dev', types: false });
    app.synth();
    ({ mesh, sdk, invocations } = await startExampleMesh('cdk-shop', {
      paths: [OUT, join(ROOT, 'examples/shop/inventory'), join(ROOT, 'examples/shop/ledger')],
      maxWorkersPerFunction: 1,
    }));
  }, 120_000);
  afterAll(async () => {
    await mesh?.stop();
    rmSync(OUT, { recursive: true, force: true });
  });

  it('runs the CDK-declared functions with their own environment, calls, IAM and subscriptions', async () => {
    const ok = (await sdk.invoke('orders:placeOrder', {
      customerId: 'c1',
      items: [{ sku: 'mug-blue', qty: 1 }],
      card: 'tok_visa',
    })) as { servedBy: Record<string, string> };
    // SHOP_STAGE is the CDK function's own environment variable, carried by the manifest.
    expect(ok.servedBy).toEqual({ orders: 'dev', payments: 'dev' });
    const declined = await sdk
      .invoke('orders:placeOrder', { customerId: 'c2', items: [{ sku: 'mug-blue', qty: 1 }], card: 'tok_decline' })
      .catch((e: unknown) => e);
    await mesh.idle();
    expect(isRemoteFunctionError(declined)).toBe(true);
    const targets = invocations.map((r) => r.target);
    // A call into a serverless.yml service, an async call, and the filtered failure subscription.
    expect(targets).toContain('inventory:reserve');
    expect(targets).toContain('ledger:record');
    expect(invocations.filter((r) => r.target === 'notifications:onPaymentFailed').map((r) => r.source)).toEqual([
      'sns',
    ]);
    // onOrderPlaced filters on `traceparent: [{exists: true}]`; tracing is off here, so nothing arrives.
    expect(invocations.filter((r) => r.target === 'notifications:onOrderPlaced')).toHaveLength(0);
  });
});
