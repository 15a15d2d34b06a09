import { appendFileSync } from 'node:fs';
import { defineSubscriber } from 'svc-mesh';
import type { PlaceOrderInput, PlaceOrderOutput } from '../orders/handler.js';
import type { ChargeInput, ChargeOutput } from '../payments/handler.js';

/** One notification, as appended to `SHOP_OUTBOX`. */
export interface Notification {
  /** The lifecycle event id: SNS delivers at least once, so a resend is recognised by it. */
  eventId: string;
  to: string;
  subject: string;
  source: string;
  type: string;
}

/** Event ids already handled by this warm instance (a real service would use a table). */
const seen = new Set<string>();

function send(n: Notification): void {
  if (seen.has(n.eventId)) return; // a redelivery: already sent
  seen.add(n.eventId);
  const outbox = process.env['SHOP_OUTBOX'];
  if (outbox) appendFileSync(outbox, `${JSON.stringify(n)}\n`);
  console.log(`${process.env['FROM_ADDRESS'] ?? 'shop'} → ${n.to}: ${n.subject}`);
}

/** `payments:charge` failed: tell the customer. */
export const onPaymentFailed = defineSubscriber<ChargeInput, ChargeOutput>(async (event) => {
  send({
    eventId: event.id,
    to: `customer-of-${event.input.orderId}`,
    subject: `Your payment for ${event.input.orderId} did not go through (${event.error?.code ?? event.error?.type})`,
    source: event.source,
    type: event.type,
  });
});

/** `orders:placeOrder` succeeded: send the confirmation. */
export const onOrderPlaced = defineSubscriber<PlaceOrderInput, PlaceOrderOutput>(async (event) => {
  send({
    eventId: event.id,
    to: event.input.customerId,
    subject: `Order ${event.result?.orderId} confirmed: ${((event.result?.totalCents ?? 0) / 100).toFixed(2)} EUR`,
    source: event.source,
    type: event.type,
  });
});
