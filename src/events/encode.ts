/**
 * Builds the SNS message of a lifecycle event: CloudEvents JSON body and message attributes,
 * within SNS's 256 KiB (oversized input/result are left out and named in `data.truncated`).
 * @internal
 */
import { randomUUID } from 'node:crypto';
import type { LifecycleType } from '../internal/names.js';
import type { SnsPublishAttributes, TraceCarrier } from '../tracing/propagation.js';
import {
  ATTR_CODE,
  ATTR_ORIGIN,
  BAGGAGE_ORIGIN_KEY,
  ATTR_TYPE,
  EVENT_SOURCE_PREFIX,
  EVENT_TYPE_PREFIX,
  MAX_CODE_ATTRIBUTE,
  MAX_ERROR_MESSAGE,
  MAX_ORIGIN_ATTRIBUTE,
  SNS_MESSAGE_LIMIT,
} from './constants.js';
import type { CloudEventBody, LifecycleError } from './types.js';

export interface LifecycleMessageInput {
  type: LifecycleType;
  stage: string;
  service: string;
  function: string;
  requestId: string;
  input?: unknown;
  result?: unknown;
  error?: LifecycleError;
  durationMs?: number;
  attempt?: number;
  provisional?: boolean;
  trace: TraceCarrier;
  /** For tests: fixed id and time. */
  id?: string;
  time?: string;
}

export interface SnsMessage {
  Message: string;
  MessageAttributes: SnsPublishAttributes;
  body: CloudEventBody;
}

function safeJson(v: unknown): string | undefined {
  try {
    return JSON.stringify(v);
  } catch {
    return undefined;
  }
}

function attrBytes(a: SnsPublishAttributes): number {
  let n = 0;
  for (const [k, v] of Object.entries(a))
    n += Buffer.byteLength(k) + Buffer.byteLength(v.DataType) + Buffer.byteLength(v.StringValue ?? '');
  return n;
}

const ORIGIN_RE = /^[A-Za-z0-9._-]+$/;

/**
 * The `svcmesh.origin` entry of a W3C baggage header (`k=v;props, k2=v2`), if well-formed:
 * `[A-Za-z0-9._-]`, at most 64 characters. Anything else is ignored, never thrown.
 */
export function originOf(baggage: string): string | undefined {
  for (const member of baggage.split(',')) {
    const eq = member.indexOf('=');
    if (eq < 0 || member.slice(0, eq).trim() !== BAGGAGE_ORIGIN_KEY) continue;
    let v = member
      .slice(eq + 1)
      .split(';')[0]!
      .trim();
    try {
      v = decodeURIComponent(v);
    } catch {
      return undefined;
    }
    return v.length > 0 && v.length <= MAX_ORIGIN_ATTRIBUTE && ORIGIN_RE.test(v) ? v : undefined;
  }
  return undefined;
}

/** Builds the message; never throws for unserialisable input/result (they are left out and named). */
export function buildLifecycleMessage(m: LifecycleMessageInput): SnsMessage {
  const attrs: SnsPublishAttributes = { [ATTR_TYPE]: { DataType: 'String', StringValue: m.type } };
  // A failed event's error code lets a subscription filter on it (`svcmesh_code: [CARD_DECLINED]`).
  const code = m.type === 'failed' ? m.error?.code : undefined;
  if (typeof code === 'string' && code.length > 0 && code.length <= MAX_CODE_ATTRIBUTE)
    attrs[ATTR_CODE] = { DataType: 'String', StringValue: code };
  if (m.trace.traceparent) attrs['traceparent'] = { DataType: 'String', StringValue: m.trace.traceparent };
  if (m.trace.tracestate) attrs['tracestate'] = { DataType: 'String', StringValue: m.trace.tracestate };
  if (m.trace.baggage) {
    attrs['baggage'] = { DataType: 'String', StringValue: m.trace.baggage };
    const origin = originOf(m.trace.baggage);
    if (origin !== undefined) attrs[ATTR_ORIGIN] = { DataType: 'String', StringValue: origin };
  }
  const body: CloudEventBody = {
    specversion: '1.0',
    id: m.id ?? randomUUID(),
    source: `${EVENT_SOURCE_PREFIX}${m.stage}:${m.service}:${m.function}`,
    type: `${EVENT_TYPE_PREFIX}${m.type}`,
    time: m.time ?? new Date().toISOString(),
    datacontenttype: 'application/json',
    data: { requestId: m.requestId },
  };
  if (m.trace.traceparent) body.traceparent = m.trace.traceparent;
  if (m.trace.tracestate) body.tracestate = m.trace.tracestate;
  const truncated: string[] = [];
  for (const k of ['input', 'result'] as const) {
    if (m[k] === undefined) continue;
    if (safeJson(m[k]) === undefined) truncated.push(k);
    else body.data[k] = m[k];
  }
  if (m.error) {
    body.data.error = { ...m.error, message: m.error.message.slice(0, MAX_ERROR_MESSAGE) };
    if (m.error.message.length > MAX_ERROR_MESSAGE) truncated.push('error.message');
  }
  if (m.durationMs !== undefined) body.data.durationMs = Math.round(m.durationMs * 1000) / 1000;
  if (m.attempt !== undefined) body.data.attempt = m.attempt;
  if (m.provisional === true) body.data.provisional = true;
  const fixed = attrBytes(attrs);
  const fits = () => {
    if (truncated.length) body.data.truncated = truncated;
    const s = JSON.stringify(body);
    return Buffer.byteLength(s) + fixed <= SNS_MESSAGE_LIMIT ? s : undefined;
  };
  let msg = fits();
  // Leave out the biggest parts first: the input (the subscriber can refetch it), then the result.
  for (const k of ['input', 'result'] as const) {
    if (msg !== undefined) break;
    if (body.data[k] !== undefined) {
      delete body.data[k];
      truncated.push(k);
      msg = fits();
    }
  }
  if (msg === undefined) {
    if (body.data.error) body.data.error.message = body.data.error.message.slice(0, 256);
    truncated.push('error.message');
    msg = fits() ?? JSON.stringify(body);
  }
  return { Message: msg, MessageAttributes: attrs, body };
}
