import { SpanKind } from '@opentelemetry/api';
import { InvalidConfigError } from '../errors/InvalidConfigError.js';
import { InvalidEventError } from '../errors/InvalidEventError.js';
import { runInvocation } from '../invoke/runInvocation.js';
import type { DefineFunctionOptions, HandlerContext, LambdaContext } from '../invoke/types.js';
import { type SnsRecordLike, isSnsEvent, snsRecordCarrier } from './sns.js';
import type { LifecycleEvent } from './types.js';

/** A subscriber body: receives one decoded lifecycle event. */
export type SubscriberHandler<I, O> = (event: LifecycleEvent<I, O>, ctx: HandlerContext) => Promise<void> | void;

/** A Lambda handler built by `defineSubscriber` (it receives SNS events). */
export interface MeshSubscriber<I, O> {
  (event: unknown, context: LambdaContext): Promise<void>;
  /** Types only; never set at run time. */
  readonly __svcmesh?: { readonly event: LifecycleEvent<I, O> };
}

/**
 * Wraps a subscriber of another function's lifecycle events (declared in serverless.yml as
 * `events: - function: {service, name, type}`). Each SNS record is decoded into a typed
 * {@link LifecycleEvent} and handled under a CONSUMER span, child of and linked to the
 * publisher's span. Deduplicate on `event.id`: SNS delivers at least once.
 *
 * @example
 * ```ts
 * import { defineSubscriber } from 'svc-mesh';
 * export const onPaymentFailed = defineSubscriber<ChargeInput, ChargeOutput>(async (event, ctx) => {
 *   if (event.type === 'failed') await notify(event.input.orderId, event.error?.message);
 * });
 * ```
 */
export function defineSubscriber<I = unknown, O = unknown>(
  handler: SubscriberHandler<I, O>,
  options: DefineFunctionOptions = {},
): MeshSubscriber<I, O> {
  if (typeof handler !== 'function')
    throw new InvalidConfigError(
      'defineSubscriber',
      'defineSubscriber(handler) needs an async function (event, ctx) => void.',
    );
  const fn = async (event: unknown, lambda: LambdaContext): Promise<void> => {
    const records: SnsRecordLike[] = isSnsEvent(event)
      ? event.Records
      : typeof event === 'object' && event !== null && Object.hasOwn(event, 'Sns')
        ? [event as SnsRecordLike]
        : [];
    if (records.length === 0)
      throw new InvalidEventError(
        `expected an SNS event ({"Records":[{"EventSource":"aws:sns",…}]}), got ${describe(event)}`,
      );
    // Loaded by subscribers only.
    const { decodeLifecycleEvent } = await import('./decode.js');
    // SNS delivers one record per invocation; handle more in order if a test passes them.
    for (const record of records) {
      const decoded = decodeLifecycleEvent<I, O>(record);
      await runInvocation(
        {
          hop: 'event',
          arg: decoded,
          input: decoded,
          carrier: snsRecordCarrier(record),
          kind: SpanKind.CONSUMER,
          link: true,
          spanName: (self) => `${self} <- ${decoded.source} ${decoded.type}`,
        },
        lambda,
        options,
        handler as (a: unknown, c: HandlerContext) => unknown,
      );
    }
  };
  return fn as MeshSubscriber<I, O>;
}

function describe(v: unknown): string {
  if (v === null || typeof v !== 'object') return String(v === null ? 'null' : typeof v);
  return `an object with keys ${Object.keys(v).slice(0, 5).join(', ') || '(none)'}`;
}
