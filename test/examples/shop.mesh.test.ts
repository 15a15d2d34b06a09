/**
 * examples/shop on the local mesh: notifications:onPaymentFailed subscribes to payments:charge's
 * `failed` events with `filterPolicy: { svcmesh_code: [CARD_DECLINED] }`, so a declined card
 * reaches it and any other failure of charge does not.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSdk, isRemoteFunctionError } from '../../src/index.js';
import { type InvocationRecord, type LocalMesh, startLocalMesh } from '../../src/local/index.js';

const dir = fileURLToPath(new URL('../../examples/shop', import.meta.url));

describe('examples/shop on the local mesh', () => {
  let mesh: LocalMesh;
  const invocations: InvocationRecord[] = [];
  let sdk: ReturnType<typeof createSdk>;

  beforeAll(async () => {
    mesh = await startLocalMesh({
      paths: [dir],
      stage: 'dev',
      port: 0,
      quiet: true,
      tracing: false,
      maxWorkersPerFunction: 1,
    });
    mesh.onInvoke((r) => invocations.push(r));
    sdk = createSdk({
      endpoint: mesh.endpoint,
      region: mesh.region,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      stage: 'dev',
      calling: null,
      env: {},
    });
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
  });
});
