import { randomUUID } from 'node:crypto';
import { defineFunction } from 'svc-mesh';

export interface OrderLine {
  sku: string;
  qty: number;
}

export interface ReserveInput {
  orderId: string;
  items: OrderLine[];
}

export interface ReserveOutput {
  reservationId: string;
  /** Price of the reserved lines, in cents. */
  totalCents: number;
}

export interface ReleaseInput {
  reservationId: string;
}

export interface ReleaseOutput {
  released: boolean;
}

/** A tiny catalogue; a real service would read a table. */
const PRICES: Record<string, number> = { 'mug-blue': 1200, 'tee-m': 2500, sticker: 300 };
const OUT_OF_STOCK = new Set(['poster-xl']);

/** Thrown for an unknown or sold-out SKU. `code` travels to the caller as `remoteCode`. */
export class OutOfStockError extends Error {
  override readonly name = 'OutOfStockError';
  readonly code = 'OUT_OF_STOCK';
  readonly data: { sku: string };
  constructor(sku: string) {
    super(`SKU '${sku}' is out of stock`);
    this.data = { sku };
  }
}

export const reserve = defineFunction<ReserveInput, ReserveOutput>(async (input) => {
  let totalCents = 0;
  for (const line of input.items) {
    const price = PRICES[line.sku];
    if (price === undefined || OUT_OF_STOCK.has(line.sku)) throw new OutOfStockError(line.sku);
    totalCents += price * line.qty;
  }
  return { reservationId: `res_${randomUUID().slice(0, 8)}`, totalCents };
});

export const release = defineFunction<ReleaseInput, ReleaseOutput>(async (input) => {
  console.log(`released ${input.reservationId}`);
  return { released: true };
});
