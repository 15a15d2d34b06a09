import { InvalidConfigError } from '../errors/InvalidConfigError.js';
import { isSnsEvent, snsRecordCarrier } from '../events/sns.js';
import { type Prepared, runInvocation } from './runInvocation.js';
import type { DefineFunctionOptions, HandlerContext, LambdaContext, MeshFunction, MeshHandler } from './types.js';
import { isEnvelope, readMeta } from './wire.js';

/**
 * Wraps a Lambda handler for the mesh. It accepts sync calls (trace and caller in ClientContext),
 * Event calls (the svc-mesh envelope is unwrapped), SNS events and plain events from callers
 * that are not svc-mesh; runs a SERVER span; holds the deadline for nested calls; publishes
 * `start`/`success`/`failed` when subscribable; rethrows errors unchanged (plus a marker line
 * in the stack carrying `err.code`); and flushes spans before returning.
 *
 * @example
 * ```ts
 * import { defineFunction, sdk } from 'svc-mesh';
 * export const placeOrder = defineFunction<PlaceOrderInput, PlaceOrderOutput>(async (input, ctx) => {
 *   const charge = await sdk.invoke('payments:charge', { orderId: input.id, amountCents: 1200 });
 *   await sdk.invokeAsync('ledger:record', { orderId: input.id });
 *   return { orderId: input.id, chargeId: charge.chargeId };
 * });
 * ```
 */
export function defineFunction<I = unknown, O = unknown>(
  handler: MeshHandler<I, O>,
  options: DefineFunctionOptions = {},
): MeshFunction<I, O> {
  if (typeof handler !== 'function')
    throw new InvalidConfigError(
      'defineFunction',
      `defineFunction(handler) needs an async function (input, ctx) => result; got ${handler === null ? 'null' : typeof handler}.`,
    );
  const fn = (event: unknown, lambda: LambdaContext): Promise<O> =>
    runInvocation(
      prepareEvent(event, lambda),
      lambda,
      options,
      handler as (a: unknown, c: HandlerContext) => unknown,
    ) as Promise<O>;
  return fn as MeshFunction<I, O>;
}

/** Works out how an event arrived and what the handler gets. @internal */
export function prepareEvent(event: unknown, lambda: LambdaContext | undefined): Prepared {
  if (isEnvelope(event)) {
    const meta = readMeta(event.meta);
    return { hop: 'async', arg: event.payload, input: event.payload, meta, carrier: meta };
  }
  if (isSnsEvent(event)) {
    const record = event.Records[0]!;
    return { hop: 'event', arg: event, input: event, carrier: snsRecordCarrier(record) };
  }
  const custom = lambda?.clientContext?.custom;
  const meta = readMeta(custom);
  return {
    hop: meta ? 'sync' : 'direct',
    arg: event,
    input: event,
    meta,
    carrier: meta ?? (typeof custom === 'object' && custom !== null ? custom : undefined),
  };
}
