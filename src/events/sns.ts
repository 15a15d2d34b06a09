/** SNS → Lambda event helpers, small enough for every cold start. @internal */
import { snsAttributesToCarrier } from '../tracing/propagation.js';

/** One SNS record as Lambda delivers it (the fields svc-mesh reads). */
export interface SnsRecordLike {
  EventSource?: string;
  Sns?: { Message?: string; MessageId?: string; MessageAttributes?: Record<string, unknown>; TopicArn?: string };
}

/** Is `event` an SNS → Lambda event (`{Records:[{EventSource:'aws:sns', Sns:{…}}]}`)? */
export function isSnsEvent(event: unknown): event is { Records: SnsRecordLike[] } {
  const r =
    typeof event === 'object' && event !== null && Object.hasOwn(event, 'Records')
      ? (event as { Records?: unknown }).Records
      : undefined;
  const first = Array.isArray(r) ? (r[0] as unknown) : undefined;
  return (
    typeof first === 'object' &&
    first !== null &&
    ((Object.hasOwn(first, 'EventSource') && (first as SnsRecordLike).EventSource === 'aws:sns') ||
      (Object.hasOwn(first, 'Sns') && typeof (first as SnsRecordLike).Sns === 'object'))
  );
}

/** The W3C trace carrier of an SNS record (from its message attributes, else the CloudEvent body). */
export function snsRecordCarrier(record: SnsRecordLike): Record<string, string> {
  const sns = Object.hasOwn(record, 'Sns') ? record.Sns : undefined;
  const attrs =
    sns !== undefined && sns !== null && Object.hasOwn(sns, 'MessageAttributes') ? sns.MessageAttributes : undefined;
  const carrier = snsAttributesToCarrier(attrs);
  if (carrier['traceparent'] === undefined && typeof record.Sns?.Message === 'string') {
    const m = /"traceparent":"([^"]{1,128})"/.exec(record.Sns.Message.slice(0, 2048));
    if (m?.[1]) carrier['traceparent'] = m[1];
  }
  return carrier;
}
