import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CLIENT_CONTEXT_LIMIT, ERROR_MARKER } from '../../../src/invoke/constants.js';
import {
  attachErrorMarker,
  encodeClientContext,
  isEnvelope,
  isTimeoutError,
  metaDeadline,
  parseFunctionError,
  readMeta,
} from '../../../src/invoke/wire.js';

const decode = (b64: string) =>
  JSON.parse(Buffer.from(b64, 'base64').toString('utf8')) as { custom: Record<string, string> };
const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('Function: encodeClientContext', () => {
  it('keeps everything when it fits', () => {
    const b64 = encodeClientContext({
      svcmesh: '1',
      caller: 'a:b',
      traceparent: tp,
      tracestate: 'x=1',
      baggage: 'k=v',
      deadline: '1',
    });
    expect(decode(b64).custom).toEqual({
      svcmesh: '1',
      caller: 'a:b',
      traceparent: tp,
      tracestate: 'x=1',
      baggage: 'k=v',
      deadline: '1',
    });
  });

  it('drops baggage first, then tracestate, and never exceeds 3,583 bytes', () => {
    const big = 'k=' + 'v'.repeat(3000);
    const onlyBaggage = decode(
      encodeClientContext({ svcmesh: '1', traceparent: tp, tracestate: 'x=1', baggage: big }),
    ).custom;
    expect(onlyBaggage).toEqual({ svcmesh: '1', traceparent: tp, tracestate: 'x=1' });
    const both = decode(encodeClientContext({ svcmesh: '1', traceparent: tp, tracestate: big, baggage: big })).custom;
    expect(both).toEqual({ svcmesh: '1', traceparent: tp });
    fc.assert(
      fc.property(
        fc.string({ maxLength: 5000 }),
        fc.string({ maxLength: 5000 }),
        fc.string({ maxLength: 256 }),
        (b, s, k) => {
          const b64 = encodeClientContext({
            svcmesh: '1',
            caller: 'svc:fn',
            traceparent: tp,
            tracestate: s,
            baggage: b,
            idempotencyKey: k || 'k',
            deadline: '1700000000000',
          });
          expect(b64.length).toBeLessThanOrEqual(CLIENT_CONTEXT_LIMIT);
          expect(decode(b64).custom['idempotencyKey']).toBe(k || 'k');
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('Function: attachErrorMarker / parseFunctionError', () => {
  it('carries code and data across the Lambda error body, leaving name and message unchanged', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 64 }),
        fc.string(),
        fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }),
        (code, message, data) => {
          const err = Object.assign(new Error(message), { code, data });
          attachErrorMarker(err);
          attachErrorMarker(err); // idempotent
          expect(err.message).toBe(message);
          expect(err.name).toBe('Error');
          // What the Node.js runtime sends (aws-wire.md §7).
          const body = JSON.stringify({
            errorType: err.name,
            errorMessage: err.message,
            trace: err.stack!.split('\n'),
          });
          const parsed = parseFunctionError(body);
          expect(parsed.code).toBe(code);
          if (data !== undefined && JSON.stringify(data).length <= 1024)
            expect(parsed.data).toEqual(JSON.parse(JSON.stringify(data)));
          expect(parsed.trace.some((l) => l.startsWith(ERROR_MARKER))).toBe(false);
          expect(parsed.errorMessage).toBe(message);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('leaves errors without a string code alone, and drops oversized data', () => {
    const plain = new Error('x');
    const before = plain.stack;
    attachErrorMarker(plain);
    expect(plain.stack).toBe(before);
    const big = Object.assign(new Error('y'), { code: 'BIG', data: 'z'.repeat(2000) });
    attachErrorMarker(big);
    const p = parseFunctionError(
      JSON.stringify({ errorType: 'Error', errorMessage: 'y', trace: big.stack!.split('\n') }),
    );
    expect(p).toMatchObject({ code: 'BIG' });
    expect(p.data).toBeUndefined();
    attachErrorMarker('not an error');
  });

  it('parses Python-style, timeout and garbage bodies without throwing', () => {
    expect(parseFunctionError('{"errorType":"ValueError","errorMessage":"bad","stackTrace":["a"]}')).toEqual({
      errorType: 'ValueError',
      errorMessage: 'bad',
      trace: ['a'],
    });
    // Timeout bodies: Lambda's own (Sandbox.Timedout, no trace) and the older message-only form.
    const timedOut = parseFunctionError(
      '{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: r-1 Error: Task timed out after 3.00 seconds"}',
    );
    expect(timedOut).toEqual({
      errorType: 'Sandbox.Timedout',
      errorMessage: 'RequestId: r-1 Error: Task timed out after 3.00 seconds',
      trace: [],
    });
    expect(isTimeoutError(timedOut)).toBe(true);
    const legacy = parseFunctionError('{"errorMessage":"2024-01-01T00:00:00Z r-2 Task timed out after 6.01 seconds"}');
    expect(legacy.errorType).toBe('Error');
    expect(isTimeoutError(legacy)).toBe(true);
    expect(
      isTimeoutError(parseFunctionError('{"errorType":"Error","errorMessage":"timed out talking to the DB"}')),
    ).toBe(false);
    expect(parseFunctionError('not json').errorType).toBe('Unknown');
    fc.assert(fc.property(fc.string(), (s) => void parseFunctionError(s)));
  });
});

describe('Function: readMeta', () => {
  it('accepts only svc-mesh metadata and sane values', () => {
    expect(readMeta({ custom: 1 })).toBeUndefined();
    expect(readMeta(null)).toBeUndefined();
    expect(readMeta({ svcmesh: '1', caller: 'a:b', deadline: 5, extra: 'x' })).toEqual({
      svcmesh: '1',
      caller: 'a:b',
      deadline: '5',
    });
    expect(metaDeadline({ svcmesh: '1', deadline: 'soon' })).toBeUndefined();
    expect(metaDeadline({ svcmesh: '1', deadline: '1700000000000' })).toBe(1700000000000);
    expect(isEnvelope({ svcmesh: 1, meta: {}, payload: null })).toBe(true);
    expect(isEnvelope({ svcmesh: 1, payload: 1 })).toBe(false);
    fc.assert(fc.property(fc.anything(), (v) => void readMeta(v)));
  });
});
