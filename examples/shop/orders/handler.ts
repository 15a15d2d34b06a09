import { randomUUID } from 'node:crypto';
import { defineFunction, isRemoteFunctionError, sdk } from 'svc-mesh';
import type { OrderLine, ReleaseInput, ReserveInput, ReserveOutput } from '../inventory/handler.js';
import type { ChargeInput, ChargeOutput } from '../payments/handler.js';

// Within one repository the callee's types can be imported directly (types only, erased at
// build time). Across repositories, use the clients svc-codegen builds from contracts instead.

export interface PlaceOrderInput {
  customerId: string;
  items: OrderLine[];
  /** Card token: `tok_visa` pays, `tok_decline` is declined. */
  card: string;
}

export interface PlaceOrderOutput {
  orderId: string;
  status: 'confirmed';
  reservationId: string;
  chargeId: string;
  totalCents: number;
  /** Which stage answered each hop: shows the per-developer stage falling back to `dev`. */
  servedBy: { orders: string; payments: string };
}

/** The order could not be paid for; the reservation has been released. */
export class PaymentDeclinedError extends Error {
  override readonly name = 'PaymentDeclinedError';
  readonly code = 'PAYMENT_DECLINED';
  readonly data: { orderId: string };
  constructor(orderId: string, cause: unknown) {
    super(`order ${orderId} was not placed: the payment was declined`, { cause });
    this.data = { orderId };
  }
}

export const placeOrder = defineFunction<PlaceOrderInput, PlaceOrderOutput>(async (input) => {
  const orderId = `ord_${randomUUID().slice(0, 8)}`;

  // 1. Sync call: reserve the stock (an OUT_OF_STOCK error propagates to our caller as is).
  const reservation = (await sdk.invoke('inventory:reserve', {
    orderId,
    items: input.items,
  } satisfies ReserveInput)) as ReserveOutput;

  // 2. Sync call: charge the card. The idempotency key makes a retry after a timeout safe.
  const chargeInput: ChargeInput = { orderId, amountCents: reservation.totalCents, card: input.card };
  let charge: ChargeOutput;
  try {
    charge = (await sdk.invoke('payments:charge', chargeInput, {
      idempotencyKey: `charge-${orderId}`,
      timeoutMs: 5_000,
    })) as ChargeOutput;
  } catch (err) {
    if (isRemoteFunctionError(err) && err.remoteCode === 'CARD_DECLINED') {
      // Compensate, then fail with our own typed error.
      await sdk.invoke('inventory:release', { reservationId: reservation.reservationId } satisfies ReleaseInput);
      throw new PaymentDeclinedError(orderId, err);
    }
    throw err;
  }

  return {
    orderId,
    status: 'confirmed',
    reservationId: reservation.reservationId,
    chargeId: charge.chargeId,
    totalCents: reservation.totalCents,
    servedBy: { orders: process.env['SHOP_STAGE'] ?? 'unknown', payments: charge.stage },
  };
});
