import { defineFunction } from 'svc-mesh';

export interface RecordInput {
  orderId: string;
  chargeId: string;
  amountCents: number;
}

export interface RecordOutput {
  entryId: string;
}

/**
 * Called with InvocationType Event, so nobody waits for the result; Lambda retries a failure
 * (`maximumRetryAttempts`). Keyed by chargeId, so a retried event writes the same entry.
 */
export const record = defineFunction<RecordInput, RecordOutput>(async (input, ctx) => {
  const entryId = `le_${input.chargeId}`;
  console.log(`ledger: ${entryId} ${input.amountCents} cents for ${input.orderId} (from ${ctx.caller ?? 'unknown'})`);
  return { entryId };
});
