import { defineFunction } from 'svc-mesh';

export const charge = defineFunction<{ orderId: string; amountCents: number }, { chargeId: string }>(async (input) => ({
  chargeId: `ch_${input.orderId}`,
}));
