/**
 * examples/shop on the local mesh: notifications:onPaymentFailed subscribes to payments:charge's
 * `failed` events with `filterPolicy: { svcmesh_code: [CARD_DECLINED] }`, so a declined card
 * reaches it and any other failure of charge does not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRemoteFunctionError } from '../../src/index.js';
import type { InvocationRecord, LocalMesh } from '../../tools/local/index.js';
import { type ExampleMesh, startExampleMesh } from '../helpers/example-mesh.js';

describe('examples/shop on the local mesh', () => {
  let mesh: LocalMesh;
  let invocations: InvocationRecord[];
  let sdk: ExampleMesh['sdk'];
  let logs: string[];

  beforeAll(async () => {
    ({ mesh, sdk, invocations, logs } = await startExampleMesh('shop', { maxWorkersPerFunction: 1 }));
  });
  afterAll(async () => {
    await mesh?.stop();
  });

  it('delivers a CARD_DECLINED failure to onPaymentFailed and filters out an uncoded one', async () => {
    // Act: a declined card (CardDeclinedError, code CARD_DECLINED), then input charge cannot read
    // (a TypeError, no code): both publish `failed`.
    const declined = await sdk
      .invoke('payments:charge', { orderId: 'o-declined', amountCents: 100, card: 'tok_decline' })
      .catch((e: unknown) => e);
    const broken = await sdk.invoke('payments:charge', null).catch((e: unknown) => e);
    await mesh.idle();

    // Assess
    expect(isRemoteFunctionError(declined) && declined.remoteCode).toBe('CARD_DECLINED');
    expect(isRemoteFunctionError(broken) && [broken.errorType, broken.remoteCode]).toEqual(['TypeError', undefined]);
    const deliveries = invocations.filter((r) => r.target === 'notifications:onPaymentFailed');
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]?.source).toBe('sns');
    // ...and it was the declined card's event, not the uncoded failure's.
    expect(logs.filter((l) => l.startsWith('[notifications:onPaymentFailed]'))).toEqual([
      '[notifications:onPaymentFailed] shop-dev@example.com → customer-of-o-declined: Your payment for o-declined did not go through (CARD_DECLINED)',
    ]);
  });
});
