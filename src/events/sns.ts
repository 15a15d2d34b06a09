/** SNS → Lambda event helpers, small enough for every cold start. @internal */
import { snsAttributesToCarrier } from '../tracing/propagation.js';

/** One SNS record as Lambda delivers it (the fields svc-mesh reads). */
export interface SnsRecordLike {
  EventSource?: string;
  Sns?: { Message?: string; MessageId?: string; MessageAttributes?: Record<string, unknown>; TopicArn?: string };
}

/** Is `event` an SNS → Lambda event (`{Records:[{EventSource:'aws:sns', Sns:{…}}]}`)? */
export function isSnsEvent(event: unknown): event is { Records: SnsRecordLike[] } {
  const r = (event as { Records?: unknown } | null)?.Records;
  return (
    Array.isArray(r) &&
    r.length > 0 &&
    typeof r[0] === 'object' &&
    r[0] !== null &&
    ((r[0] as SnsRecordLike).EventSource === 'aws:sns' || typeof (r[0] as SnsRecordLike).Sns === 'object')
  );
}

/** The W3C trace carrier of an SNS record (from its message attributes, else the CloudEvent body). */
export function snsRecordCarrier(record: SnsRecordLike): Record<string, string> {
  const carrier = snsAttributesToCarrier(record.Sns?.MessageAttributes);
  if (carrier['traceparent'] === undefined && typeof record.Sns?.Message === 'string') {
    const m = /"traceparent":"([^"]{1,128})"/.exec(record.Sns.Message.slice(0, 2048));
    if (m?.[1]) carrier['traceparent'] = m[1];
  }
  return carrier;
}
