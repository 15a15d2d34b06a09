/**
 * Three of the shop's services (examples/shop) declared in AWS CDK instead of serverless.yml, one
 * stack each; inventory and ledger stay in serverless.yml and are read as references. The
 * handlers are the shop's own. svc-mesh gives each function the same role policy, topics,
 * subscriptions, discovery record and SVC_MESH_* environment as the serverless.yml version
 * (test/cdk/construct.test.ts compares them).
 */
import { join } from 'node:path';
import { type App, Duration, Stack } from 'aws-cdk-lib';
import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import { SvcMesh, SvcMeshFunction } from 'svc-mesh-tools/cdk';

const SHOP = join(import.meta.dirname, '../shop');

export interface ShopOptions {
  stage: string;
  stageFallback?: string[];
  /** Derive contracts at synth (default true; see docs/cdk.md). */
  types?: boolean;
}

export function shopApp(app: App, { stage, stageFallback = [], types = true }: ShopOptions) {
  const mesh = new SvcMesh(app, 'SvcMesh', {
    stage,
    stageFallback,
    types,
    // Declared in serverless.yml: read for their names and flags, deployed on their own.
    references: [join(SHOP, 'inventory'), join(SHOP, 'ledger')],
  });
  /** A NodejsFunction for `service`'s handler export, and the `handler` svc-codegen reads types from. */
  const handler = (stack: Stack, id: string, service: string, exported: string, props: NodejsFunctionProps = {}) => ({
    function: new NodejsFunction(stack, id, {
      entry: join(SHOP, service, 'handler.ts'),
      handler: exported,
      runtime: Runtime.NODEJS_22_X,
      // In this checkout 'svc-mesh' resolves to its TypeScript sources (the "source" condition).
      bundling: { esbuildArgs: { '--conditions': 'source' } },
      ...props,
    }),
    handler: join(SHOP, service, `handler.${exported}`),
  });

  const orders = new Stack(app, `shop-orders-${stage}`);
  new SvcMeshFunction(orders, 'PlaceOrderMesh', {
    mesh,
    ...handler(orders, 'PlaceOrder', 'orders', 'placeOrder', {
      memorySize: 512,
      timeout: Duration.seconds(15),
      environment: { SHOP_STAGE: stage },
    }),
    service: 'orders',
    name: 'placeOrder',
    subscribable: true, // notifications listens to its success events
    calling: ['inventory:reserve', 'inventory:release', 'payments:charge'],
  });

  const payments = new Stack(app, `shop-payments-${stage}`);
  new SvcMeshFunction(payments, 'ChargeMesh', {
    mesh,
    ...handler(payments, 'Charge', 'payments', 'charge', {
      memorySize: 256,
      timeout: Duration.seconds(10),
      environment: { SHOP_STAGE: stage, MAX_CHARGE_CENTS: '50000' },
    }),
    service: 'payments',
    name: 'charge',
    subscribable: true,
    calling: ['ledger:record'],
  });

  const notifications = new Stack(app, `shop-notifications-${stage}`);
  const env = { SHOP_OUTBOX: '', FROM_ADDRESS: `shop-${stage}@example.com` };
  new SvcMeshFunction(notifications, 'OnPaymentFailedMesh', {
    mesh,
    ...handler(notifications, 'OnPaymentFailed', 'notifications', 'onPaymentFailed', { environment: env }),
    service: 'notifications',
    name: 'onPaymentFailed',
    // Only declined cards: failed events carry the error's code as svcmesh_code.
    events: [
      {
        function: {
          service: 'payments',
          name: 'charge',
          type: 'failed',
          filterPolicy: { svcmesh_code: ['CARD_DECLINED'] },
        },
      },
    ],
  });
  new SvcMeshFunction(notifications, 'OnOrderPlacedMesh', {
    mesh,
    ...handler(notifications, 'OnOrderPlaced', 'notifications', 'onOrderPlaced', { environment: env }),
    service: 'notifications',
    name: 'onOrderPlaced',
    events: [
      {
        function: {
          service: 'orders',
          name: 'placeOrder',
          type: 'success',
          filterPolicy: { traceparent: [{ exists: true }] },
        },
      },
    ],
  });
  return { mesh, stacks: { orders, payments, notifications } };
}
