/**
 * The lifecycle message codec field by field: exact attributes and body, limits at their
 * boundaries, and every refusal of decodeLifecycleEvent. Written against surviving mutants
 * (docs/mutation.md).
 */
import { describe, expect, it } from 'vitest';
import { MAX_CODE_ATTRIBUTE, MAX_ERROR_MESSAGE, SNS_MESSAGE_LIMIT } from '../../../src/events/constants.js';
import { decodeLifecycleEvent } from '../../../src/events/decode.js';
import { type LifecycleMessageInput, buildLifecycleMessage } from '../../../src/events/encode.js';

const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const base: LifecycleMessageInput = {
  type: 'failed',
  stage: 'dev',
  service: 'pay',
  function: 'charge',
  requestId: 'r-1',
  trace: {},
  id: 'e-1',
  time: '2026-01-01T00:00:00.000Z',
};
const S = (StringValue: string) => ({ DataType: 'String', StringValue });

describe('Function: buildLifecycleMessage', () => {
  it('writes the exact attributes and CloudEvents body, trace context included', () => {
    const m = buildLifecycleMessage({
      ...base,
      input: { o: 1 },
      error: { type: 'CardDeclinedError', message: 'declined', code: 'CARD_DECLINED' },
      durationMs: 1.23456,
      trace: { traceparent: tp, tracestate: 'k=v', baggage: 'b=1' },
    });
    expect(m.MessageAttributes).toEqual({
      svcmesh_type: S('failed'),
      svcmesh_code: S('CARD_DECLINED'),
      traceparent: S(tp),
      tracestate: S('k=v'),
      baggage: S('b=1'),
    });
    expect(JSON.parse(m.Message)).toEqual({
      specversion: '1.0',
      id: 'e-1',
      source: 'svc-mesh:dev:pay:charge',
      type: 'svc-mesh.function.failed',
      time: '2026-01-01T00:00:00.000Z',
      datacontenttype: 'application/json',
      data: {
        requestId: 'r-1',
        input: { o: 1 },
        error: { type: 'CardDeclinedError', message: 'declined', code: 'CARD_DECLINED' },
        durationMs: 1.235,
      },
      traceparent: tp,
      tracestate: 'k=v',
    });
    expect(m.body).toEqual(JSON.parse(m.Message));
  });

  it('leaves out what it does not have, and stamps id and time itself', () => {
    const before = Date.now();
    const m = buildLifecycleMessage({
      type: 'success',
      stage: 'dev',
      service: 'a',
      function: 'b',
      requestId: 'r',
      trace: {},
    });
    expect(m.MessageAttributes).toEqual({ svcmesh_type: S('success') });
    const body = JSON.parse(m.Message);
    expect(Object.keys(body).sort()).toEqual([
      'data',
      'datacontenttype',
      'id',
      'source',
      'specversion',
      'time',
      'type',
    ]);
    expect(body.data).toEqual({ requestId: 'r' });
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(body.time)).toBeGreaterThanOrEqual(before - 1);
    expect(Date.parse(body.time)).toBeLessThanOrEqual(Date.now());
  });

  it('carries the code attribute only on failed events, non-empty and at most 256 characters', () => {
    const code = (type: LifecycleMessageInput['type'], c: string) =>
      buildLifecycleMessage({ ...base, type, error: { type: 'E', message: 'm', code: c } }).MessageAttributes[
        'svcmesh_code'
      ]?.StringValue;
    expect(code('failed', 'X')).toBe('X');
    expect(code('success', 'X')).toBeUndefined();
    expect(code('failed', '')).toBeUndefined();
    expect(code('failed', 'c'.repeat(MAX_CODE_ATTRIBUTE))).toBe('c'.repeat(MAX_CODE_ATTRIBUTE));
    expect(code('failed', 'c'.repeat(MAX_CODE_ATTRIBUTE + 1))).toBeUndefined();
    expect(buildLifecycleMessage({ ...base }).MessageAttributes['svcmesh_code']).toBeUndefined();
  });

  it('cuts an error message at 4,096 characters and says so', () => {
    const at = (n: number) =>
      JSON.parse(buildLifecycleMessage({ ...base, error: { type: 'E', message: 'm'.repeat(n) } }).Message).data;
    expect(at(MAX_ERROR_MESSAGE).error.message).toHaveLength(MAX_ERROR_MESSAGE);
    expect(at(MAX_ERROR_MESSAGE).truncated).toBeUndefined();
    expect(at(MAX_ERROR_MESSAGE + 1).error.message).toHaveLength(MAX_ERROR_MESSAGE);
    expect(at(MAX_ERROR_MESSAGE + 1).truncated).toEqual(['error.message']);
  });

  it('counts the attributes in the 256 KiB, dropping the input and then the result to fit', () => {
    // The body alone fits; the body plus a large baggage attribute does not.
    const baggage = 'b'.repeat(20_000);
    const fill = (n: number) => ({ s: 'x'.repeat(n) });
    const m = buildLifecycleMessage({
      ...base,
      type: 'success',
      input: fill(SNS_MESSAGE_LIMIT - 15_000),
      trace: { baggage },
    });
    const body = JSON.parse(m.Message);
    expect(body.data.input).toBeUndefined();
    expect(body.data.truncated).toEqual(['input']);
    // Exactly at the limit (body + attribute names, types and values) it fits.
    const small = buildLifecycleMessage({ ...base, type: 'success', input: fill(0) });
    const attrs = 'svcmesh_type'.length + 'String'.length + 'success'.length;
    const exact = SNS_MESSAGE_LIMIT - attrs - Buffer.byteLength(small.Message);
    const atLimit = buildLifecycleMessage({ ...base, type: 'success', input: fill(exact) });
    expect(Buffer.byteLength(atLimit.Message) + attrs).toBe(SNS_MESSAGE_LIMIT);
    expect(JSON.parse(atLimit.Message).data.truncated).toBeUndefined();
    const over = buildLifecycleMessage({ ...base, type: 'success', input: fill(exact + 1) });
    expect(JSON.parse(over.Message).data.truncated).toEqual(['input']);
    // Both too big: the input goes first, then the result.
    const both = buildLifecycleMessage({
      ...base,
      type: 'success',
      input: fill(SNS_MESSAGE_LIMIT),
      result: fill(SNS_MESSAGE_LIMIT),
    });
    expect(JSON.parse(both.Message).data.truncated).toEqual(['input', 'result']);
    // A result alone too big leaves the (absent) input alone.
    const result = buildLifecycleMessage({ ...base, type: 'success', result: fill(SNS_MESSAGE_LIMIT) });
    expect(JSON.parse(result.Message).data.truncated).toEqual(['result']);
  });

  it('cuts the error message to 256 characters when nothing else can go', () => {
    const m = buildLifecycleMessage({
      ...base,
      error: { type: 'E', message: 'm'.repeat(3_000) },
      trace: { baggage: 'b'.repeat(SNS_MESSAGE_LIMIT - 1_000) },
    });
    const data = JSON.parse(m.Message).data;
    expect(data.error.message).toHaveLength(256);
    expect(data.truncated).toEqual(['error.message']);
    // Past saving (the attributes alone are over the limit): still a message, for SNS to refuse.
    const hopeless = buildLifecycleMessage({
      ...base,
      type: 'success',
      input: { a: 1 },
      trace: { baggage: 'b'.repeat(SNS_MESSAGE_LIMIT) },
    });
    expect(JSON.parse(hopeless.Message).data).toEqual({ requestId: 'r-1', truncated: ['input', 'error.message'] });
  });
});

describe('Function: decodeLifecycleEvent', () => {
  const rec = (Message: unknown) => ({ Sns: { Message } });
  const body = (over: Record<string, unknown> = {}) => ({
    specversion: '1.0',
    id: 'e-1',
    source: 'svc-mesh:dev:pay:charge',
    type: 'svc-mesh.function.failed',
    time: 't',
    data: { requestId: 'r' },
    ...over,
  });
  const refuses = (m: unknown, message: string) =>
    expect(() => decodeLifecycleEvent(rec(typeof m === 'string' ? m : JSON.stringify(m)))).toThrow(message);

  it('says exactly what is wrong', () => {
    expect(() => decodeLifecycleEvent({ Sns: {} })).toThrow('the record has no Sns.Message string');
    expect(() => decodeLifecycleEvent(undefined)).toThrow('the record has no Sns.Message string');
    refuses(
      `not json ${'z'.repeat(100)}`,
      `Sns.Message is not JSON (starts with ${JSON.stringify(`not json ${'z'.repeat(31)}`)})`,
    );
    for (const m of ['null', '5', '"s"', '[1]']) refuses(m, 'Sns.Message is not a JSON object');
    refuses(body({ specversion: undefined }), 'specversion is undefined, expected "1.0"');
    refuses(body({ specversion: '0.3' }), 'specversion is "0.3", expected "1.0"');
    refuses(body({ type: 5 }), 'type 5 is not svc-mesh.function.start|success|failed');
    refuses(body({ type: 'svc-mesh.function.other' }), 'type "svc-mesh.function.other" is not');
    refuses(body({ type: 'x.failed' }), 'type "x.failed" is not');
    refuses(body({ source: 5 }), 'source "" is not svc-mesh:{stage}:{service}:{function}');
    refuses(body({ id: 5 }), 'id is missing');
    refuses(body({ id: '' }), 'id is missing');
    refuses(body({ data: 'x' }), 'data is missing');
    refuses(body({ data: null }), 'data is missing');
  });

  it('reads optional fields only when they have the right type', () => {
    const ev = decodeLifecycleEvent(
      rec(
        JSON.stringify(
          body({
            time: 5,
            data: { requestId: 7, error: 'x', durationMs: '3', truncated: ['input', 5] },
          }),
        ),
      ),
    );
    expect(ev.time).toBe('');
    expect(ev.requestId).toBe('');
    expect('result' in ev).toBe(false);
    expect(ev.error).toBeUndefined();
    expect(ev.durationMs).toBeUndefined();
    expect(ev.truncated).toEqual(['input']);
    const full = decodeLifecycleEvent(
      rec(JSON.stringify(body({ data: { requestId: 'r', result: null, error: { code: 5 }, durationMs: 2 } }))),
    );
    expect(full.time).toBe('t');
    expect(full.requestId).toBe('r');
    expect('result' in full).toBe(true);
    expect(full.error).toEqual({ type: 'Error', message: '' });
    expect(full.durationMs).toBe(2);
    expect(full.truncated).toBeUndefined();
  });
});
