/**
 * Typed clients built by svc-codegen from contracts (golden output of test/fixtures/codegen/typed,
 * kept fresh by test/codegen/golden.test.ts): a wrong input must fail `tsc`.
 */
import { sdk } from 'svc-mesh';
import { describe, expectTypeOf, it } from 'vitest';
import { clients } from '../codegen/__golden__/generated/typed/clients.js';
import type { TypedBillingTypes } from '../codegen/__golden__/generated/typed/clients/index.js';

describe('Types: generated clients', () => {
  it('types input and output from the contract', () => {
    expectTypeOf(clients.typedBilling.chargeCard).parameter(0).toEqualTypeOf<TypedBillingTypes.ChargeCardInput>();
    expectTypeOf(
      clients.typedBilling.chargeCard({ amountCents: 100, currency: 'EUR', card: 'tok' }),
    ).resolves.toEqualTypeOf<{ chargeId: string; status: 'paid' | 'declined' }>();
    expectTypeOf(clients.typedBilling.refund({ chargeId: 'c' })).resolves.toEqualTypeOf<{ refunded: boolean }>();
  });

  it('rejects a wrong input', () => {
    // @ts-expect-error amountCents must be a number
    void clients.typedBilling.chargeCard({ amountCents: '100', currency: 'EUR', card: 'tok' });
    // @ts-expect-error currency is 'EUR' | 'USD'
    void clients.typedBilling.chargeCard({ amountCents: 100, currency: 'GBP', card: 'tok' });
    // @ts-expect-error card is required
    void clients.typedBilling.chargeCard({ amountCents: 100, currency: 'EUR' });
    // @ts-expect-error no such function in the contract
    void clients.typedBilling.charge;
    // @ts-expect-error Event invokes are typed the same way
    void clients.typedBilling.chargeCard.async({ amountCents: 1 });
  });

  it('types sdk.invoke through the SvcMeshTargets augmentation', () => {
    expectTypeOf(
      sdk.invoke('typedBilling:chargeCard', { amountCents: 1, currency: 'USD', card: 'x' }),
    ).resolves.toEqualTypeOf<TypedBillingTypes.ChargeCardOutput>();
    // @ts-expect-error wrong input for a generated target
    void sdk.invoke('typedBilling:chargeCard', { amountCents: 1 });
    // @ts-expect-error wrong input for a generated target
    void sdk.invoke('typedAccounts:topUp', { accountId: 1, amountCents: 1 });
  });
});
