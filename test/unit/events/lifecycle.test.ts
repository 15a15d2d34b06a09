import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidEventError } from '../../../src/errors/InvalidEventError.js';
import { SNS_MESSAGE_LIMIT } from '../../../src/events/constants.js';
import { decodeLifecycleEvent } from '../../../src/events/decode.js';
import { buildLifecycleMessage } from '../../../src/events/encode.js';

const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
/** What SNS hands Lambda for a Publish of `msg` (aws-wire.md §2). */
const asRecord = (msg: ReturnType<typeof buildLifecycleMessage>) => ({
  EventSource: 'aws:sns',
  Sns: {
    Message: msg.Message,
    MessageId: 'm-1',
    MessageAttributes: Object.fromEntries(
      Object.entries(msg.MessageAttributes).map(([k, v]) => [k, { Type: v.DataType, Value: v.StringValue }]),
    ),
  },
});

describe('Lifecycle events: encode → SNS → decode', () => {
  it('round-trips every field', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('start', 'success', 'failed' as const),
        fc.jsonValue({ maxDepth: 3 }),
        fc.jsonValue({ maxDepth: 3 }),
        fc.option(fc.string({ minLength: 1, maxLength: 20 }), { nil: undefined }),
        (type, input, result, code) => {
          const msg = buildLifecycleMessage({
            type,
            stage: 'dev',
            service: 'payments',
            function: 'charge',
            requestId: 'r-1',
            input,
            ...(type === 'success' ? { result, durationMs: 12.3456 } : {}),
            ...(type === 'failed' ? { error: { type: 'E', message: 'boom', ...(code ? { code } : {}) } } : {}),
            ...(type === 'failed' && code ? { provisional: true } : {}),
            attempt: 2,
            trace: { traceparent: tp },
          });
          const e = decodeLifecycleEvent(asRecord(msg));
          expect(e).toMatchObject({ id: msg.body.id, type, source: 'payments:charge', stage: 'dev', requestId: 'r-1' });
          expect(e.input).toEqual(JSON.parse(JSON.stringify(input ?? null)));
          if (type === 'success') expect(e.durationMs).toBe(12.346);
          expect(e.attempt).toBe(2);
          expect(e.provisional).toBe(type === 'failed' && code ? true : undefined);
          if (type === 'failed') expect(e.error).toEqual({ type: 'E', message: 'boom', ...(code ? { code } : {}) });
          expect(msg.MessageAttributes['svcmesh_type']).toEqual({ DataType: 'String', StringValue: type });
          expect(msg.MessageAttributes['traceparent']?.StringValue).toBe(tp);
          // the error code is a filterable attribute on failed events only
          expect(msg.MessageAttributes['svcmesh_code']).toEqual(
            type === 'failed' && code ? { DataType: 'String', StringValue: code } : undefined,
          );
          expect(Object.keys(msg.MessageAttributes).length).toBeLessThanOrEqual(10);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('stays within 256 KiB, naming what it left out', () => {
    const big = 'x'.repeat(200_000);
    const msg = buildLifecycleMessage({
      type: 'success',
      stage: 'dev',
      service: 's',
      function: 'f',
      requestId: 'r',
      input: { big },
      result: { big },
      trace: {},
    });
    expect(Buffer.byteLength(msg.Message)).toBeLessThanOrEqual(SNS_MESSAGE_LIMIT);
    const e = decodeLifecycleEvent(asRecord(msg));
    expect(e.truncated).toEqual(['input']);
    expect(e.result).toEqual({ big });
    const both = buildLifecycleMessage({
      type: 'success',
      stage: 'dev',
      service: 's',
      function: 'f',
      requestId: 'r',
      input: { big: big + big },
      result: { big: big + big },
      trace: {},
    });
    expect(JSON.parse(both.Message).data.truncated).toEqual(['input', 'result']);
    const cyc: Record<string, unknown> = {};
    cyc['me'] = cyc;
    const notJson = buildLifecycleMessage({
      type: 'start',
      stage: 'dev',
      service: 's',
      function: 'f',
      requestId: 'r',
      input: cyc,
      trace: {},
    });
    expect(JSON.parse(notJson.Message).data.truncated).toEqual(['input']);
  });

  it('rejects anything that is not a lifecycle event with InvalidEventError', () => {
    const good = JSON.parse(
      buildLifecycleMessage({ type: 'start', stage: 'dev', service: 's', function: 'f', requestId: 'r', trace: {} })
        .Message,
    );
    for (const [message, why] of [
      ['not json', /not JSON/],
      ['[1]', /not a JSON object/],
      [JSON.stringify({ ...good, specversion: '0.3' }), /specversion/],
      [JSON.stringify({ ...good, type: 'com.example.other' }), /type/],
      [JSON.stringify({ ...good, source: 'svc-mesh:dev:s' }), /source/],
      [JSON.stringify({ ...good, source: 'svc-mesh:dev:1s:f' }), /valid service:function/],
      [JSON.stringify({ ...good, id: '' }), /id is missing/],
      [JSON.stringify({ ...good, data: null }), /data is missing/],
    ] as const) {
      expect(() => decodeLifecycleEvent({ Sns: { Message: message } })).toThrow(why);
    }
    expect(() => decodeLifecycleEvent({})).toThrow(InvalidEventError);
    fc.assert(
      fc.property(fc.anything(), (v) => {
        try {
          decodeLifecycleEvent(v);
        } catch (e) {
          expect(e).toBeInstanceOf(InvalidEventError);
        }
      }),
    );
  });
});
