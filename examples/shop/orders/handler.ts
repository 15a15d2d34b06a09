import { randomUUID } from 'node:crypto';
import { defineFunction, isRemoteFunctionError, type RemoteFunctionError, sdk } from 'svc-mesh';
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

/**
 * The order was not placed. `code` says why (`OUT_OF_STOCK`, `PAYMENT_DECLINED`); it reaches
 * the caller as `RemoteFunctionError.remoteCode`, and subscribers of the `failed` event as
 * `event.error.code`.
 */
export class OrderRejectedError extends Error {
  override readonly name = 'OrderRejectedError';
  readonly code: 'OUT_OF_STOCK' | 'PAYMENT_DECLINED';
  readonly data: { orderId: string; detail: unknown };
  constructor(code: 'OUT_OF_STOCK' | 'PAYMENT_DECLINED', orderId: string, cause: RemoteFunctionError) {
    super(`order ${orderId} was not placed: ${cause.errorMessage}`, { cause });
    this.code = code;
    this.data = { orderId, detail: cause.remoteData };
  }
}

export const placeOrder = defineFunction<PlaceOrderInput, PlaceOrderOutput>(async (input) => {
  const orderId = `ord_${randomUUID().slice(0, 8)}`;

  // 1. Sync call: reserve the stock.
  let reservation: ReserveOutput;
  try {
    reservation = (await sdk.invoke('inventory:reserve', {
      orderId,
      items: input.items,
    } satisfies ReserveInput)) as ReserveOutput;
  } catch (err) {
    if (isRemoteFunctionError(err) && err.remoteCode === 'OUT_OF_STOCK')
      throw new OrderRejectedError('OUT_OF_STOCK', orderId, err);
    throw err;
  }

  // 2. Sync call: charge the card. No idempotency key: svc-mesh then never retries a call that
  // reached payments, so a declined card is charged (and reported) exactly once.
  const chargeInput: ChargeInput = { orderId, amountCents: reservation.totalCents, card: input.card };
  let charge: ChargeOutput;
  try {
    charge = (await sdk.invoke('payments:charge', chargeInput, { timeoutMs: 5_000 })) as ChargeOutput;
  } catch (err) {
    if (isRemoteFunctionError(err) && err.remoteCode === 'CARD_DECLINED') {
      // Compensate, then fail with our own typed error.
      await sdk.invoke('inventory:release', { reservationId: reservation.reservationId } satisfies ReleaseInput);
      throw new OrderRejectedError('PAYMENT_DECLINED', orderId, err);
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
