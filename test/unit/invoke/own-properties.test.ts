/**
 * Untrusted keys are read as own properties only (issue 12 item 8, runtime side): ClientContext
 * `custom`, the Event envelope, SNS message attributes and the lifecycle event body. A value on
 * Object.prototype (polluted by some other library in the same process) must never be taken as a
 * caller claim, a payload, a trace parent or an event field; and attribute names such as
 * `__proto__`, `toString` or `constructor` are ordinary names.
 */
import { trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeLifecycleEvent } from '../../../src/events/decode.js';
import { isSnsEvent, snsRecordCarrier } from '../../../src/events/sns.js';
import { prepareEvent } from '../../../src/invoke/defineFunction.js';
import { isEnvelope, readMeta } from '../../../src/invoke/wire.js';
import { extractTraceContext, snsAttributesToCarrier } from '../../../src/tracing/propagation.js';

const TP = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const proto = Object.prototype as Record<string, unknown>;
const polluted: string[] = [];
/** Sets `Object.prototype[k] = v` for this test only. */
function pollute(k: string, v: unknown): void {
  Object.defineProperty(proto, k, { value: v, configurable: true, writable: true, enumerable: false });
  polluted.push(k);
}
afterEach(() => {
  for (const k of polluted.splice(0)) delete proto[k];
});

const lambdaCtx = (custom: unknown) =>
  ({
    functionName: 'f',
    functionVersion: '$LATEST',
    invokedFunctionArn: '',
    memoryLimitInMB: '128',
    awsRequestId: 'r',
    logGroupName: '',
    logStreamName: '',
    clientContext: { custom },
    getRemainingTimeInMillis: () => 1000,
  }) as never;

const snsRecord = (message: unknown, attrs?: Record<string, unknown>) => ({
  EventSource: 'aws:sns',
  Sns: { Message: JSON.stringify(message), MessageAttributes: attrs ?? {} },
});
const startEvent = {
  specversion: '1.0',
  id: 'e1',
  type: 'svc-mesh.function.start',
  source: 'svc-mesh:dev:payments:charge',
  data: { requestId: 'r1', input: { a: 1 } },
};

describe('ClientContext and envelopes', () => {
  it('an inherited svcmesh/caller does not make a plain event a mesh call', () => {
    pollute('svcmesh', '1');
    pollute('caller', 'admin:root');
    pollute('idempotencyKey', 'k');
    expect(readMeta({})).toBeUndefined();
    const p = prepareEvent({ orderId: 1 }, lambdaCtx({}));
    expect(p.hop).toBe('direct');
    expect(p.meta).toBeUndefined();
  });

  it('an inherited caller is not read from a real ClientContext', () => {
    pollute('caller', 'admin:root');
    expect(readMeta({ svcmesh: '1' })).toEqual({ svcmesh: '1' });
  });

  it('a __proto__ key in ClientContext JSON is an ordinary (ignored) key', () => {
    const custom = JSON.parse('{"svcmesh":"1","__proto__":{"caller":"admin:root"}}');
    expect(readMeta(custom)).toEqual({ svcmesh: '1' });
  });

  it('an inherited payload does not make an object an envelope', () => {
    pollute('payload', { evil: true });
    expect(isEnvelope({ svcmesh: 1, meta: {} })).toBe(false);
    expect(prepareEvent({ svcmesh: 1, meta: {} }, undefined).hop).toBe('direct');
  });
});

describe('SNS events and message attributes', () => {
  it('inherited Records do not make any object an SNS event', () => {
    pollute('Records', [{ EventSource: 'aws:sns', Sns: {} }]);
    expect(isSnsEvent({})).toBe(false);
  });

  it('attribute names like __proto__, toString and constructor are ordinary keys', () => {
    const attrs = JSON.parse(
      '{"__proto__":{"Type":"String","Value":"p"},"toString":{"Type":"String","Value":"t"},"constructor":{"Type":"String","Value":"c"},"traceparent":{"Type":"String","Value":"' +
        TP +
        '"}}',
    );
    const carrier = snsAttributesToCarrier(attrs);
    expect(Object.keys(carrier).sort()).toEqual(['__proto__', 'constructor', 'toString', 'traceparent']);
    expect(Object.getOwnPropertyDescriptor(carrier, '__proto__')?.value).toBe('p');
    expect(carrier['toString']).toBe('t');
  });

  it('an inherited traceparent is never a parent', () => {
    pollute('traceparent', TP);
    const carrier = snsRecordCarrier(snsRecord(startEvent) as never);
    expect(Object.hasOwn(carrier, 'traceparent')).toBe(false);
    expect(trace.getSpanContext(extractTraceContext(carrier, undefined))).toBeUndefined();
    expect(trace.getSpanContext(extractTraceContext({}, undefined))).toBeUndefined();
  });

  it('the lifecycle decoder reads only the event its publisher sent', () => {
    pollute('result', 'forged result');
    pollute('error', { type: 'Forged', message: 'forged' });
    const e = decodeLifecycleEvent(snsRecord(startEvent));
    expect(e.type).toBe('start');
    expect(Object.hasOwn(e, 'result')).toBe(false);
    expect(Object.hasOwn(e, 'error')).toBe(false);
  });
});
