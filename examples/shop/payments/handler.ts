import { randomUUID } from 'node:crypto';
import { defineFunction, sdk } from 'svc-mesh';
import type { RecordInput } from '../ledger/handler.js';

export interface ChargeInput {
  orderId: string;
  amountCents: number;
  /** A card token. `tok_visa` succeeds; `tok_decline` is declined, as a card network would. */
  card: string;
}

export interface ChargeOutput {
  chargeId: string;
  amountCents: number;
  /** The stage of the payments deployment that answered. */
  stage: string;
}

/** A declined card: a typed error whose `code` reaches the caller and the `failed` event. */
export class CardDeclinedError extends Error {
  override readonly name = 'CardDeclinedError';
  readonly code = 'CARD_DECLINED';
  readonly data: { orderId: string; reason: string };
  constructor(orderId: string, reason: string) {
    super(`card declined for order ${orderId}: ${reason}`);
    this.data = { orderId, reason };
  }
}

export const charge = defineFunction<ChargeInput, ChargeOutput>(async (input) => {
  const max = Number(process.env['MAX_CHARGE_CENTS'] ?? 50_000);
  if (input.card === 'tok_decline') throw new CardDeclinedError(input.orderId, 'insufficient funds');
  if (input.amountCents > max) throw new CardDeclinedError(input.orderId, `over the ${max} cent limit`);
  const chargeId = `ch_${randomUUID().slice(0, 8)}`;
  // Fire and forget (InvocationType Event): the ledger entry must not slow the checkout.
  await sdk.invokeAsync('ledger:record', {
    orderId: input.orderId,
    chargeId,
    amountCents: input.amountCents,
  } satisfies RecordInput);
  return { chargeId, amountCents: input.amountCents, stage: process.env['SHOP_STAGE'] ?? 'unknown' };
});
