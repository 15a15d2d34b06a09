import { defineFunction, sdk } from 'svc-mesh';

export interface PayInput {
  orderId: string;
  amountCents: number;
}

export interface PayOutput {
  orderId: string;
  /** `charged` (sync answer), `queued` (the breaker is open: sent as an Event), `failed`. */
  status: 'charged' | 'queued' | 'failed';
  error?: string;
  /** The payments:charge breaker of this execution environment after the call. */
  breaker: string;
}

export const pay = defineFunction<PayInput, PayOutput>(async (input) => {
  const breaker = () => sdk.health().breakers['payments:charge']?.state ?? 'none';
  try {
    const out = (await sdk.invoke('payments:charge', input)) as { svcmesh?: string };
    return { orderId: input.orderId, status: out?.svcmesh === 'queued' ? 'queued' : 'charged', breaker: breaker() };
  } catch (err) {
    return {
      orderId: input.orderId,
      status: 'failed',
      error: (err as { code?: string }).code ?? 'Error',
      breaker: breaker(),
    };
  }
});
