/**
 * The wire format's readers and writers at their edges, each against a mutant that survived the
 * first mutation run of invoke-wire (docs/mutation.md): which metadata values a callee accepts,
 * what counts as an Event envelope, how a Lambda error body is read, and what encodeClientContext
 * keeps when nothing else fits.
 */
import { describe, expect, it } from 'vitest';
import { ERROR_DATA_LIMIT, ERROR_MARKER } from '../../../src/invoke/constants.js';
import {
  attachErrorMarker,
  encodeClientContext,
  isEnvelope,
  isTimeoutError,
  metaCaller,
  metaDeadline,
  ownValue,
  parseFunctionError,
  readMeta,
} from '../../../src/invoke/wire.js';

const decode = (b64: string) => JSON.parse(Buffer.from(b64, 'base64').toString('utf8')) as unknown;

describe('readMeta / metaCaller / metaDeadline: what a callee accepts', () => {
  it('accepts the version as "1" or 1, and nothing else', () => {
    expect(readMeta({ svcmesh: 1, caller: 'a:b' })).toEqual({ svcmesh: '1', caller: 'a:b' });
    expect(readMeta({ svcmesh: '1' })).toEqual({ svcmesh: '1' });
    for (const v of ['2', 2, true, '', undefined]) expect(readMeta({ svcmesh: v, caller: 'a:b' })).toBeUndefined();
  });

  it('keeps non-empty strings up to 8,192 characters, and a numeric deadline only', () => {
    const at = (n: number) => 'x'.repeat(n);
    expect(readMeta({ svcmesh: '1', caller: '', tracestate: at(8192), baggage: at(8193) })).toEqual({
      svcmesh: '1',
      tracestate: at(8192),
    });
    expect(readMeta({ svcmesh: '1', caller: 5, idempotencyKey: 7, deadline: 1700000000000 })).toEqual({
      svcmesh: '1',
      deadline: '1700000000000',
    });
  });

  it('reads a deadline made of digits only, and a well-formed caller only', () => {
    for (const d of ['x1700000000000', '1700000000000x', '', '1234567890123456'])
      expect(metaDeadline({ svcmesh: '1', deadline: d })).toBeUndefined();
    expect(metaDeadline({ svcmesh: '1', deadline: '123456789012345' })).toBe(123456789012345);
    expect(metaDeadline(undefined)).toBeUndefined();
    expect(metaCaller({ svcmesh: '1', caller: 'orders:place' })).toBe('orders:place');
    expect(metaCaller({ svcmesh: '1', caller: 'orders place' })).toBeUndefined();
    expect(metaCaller({ svcmesh: '1' })).toBeUndefined();
  });

  it('ownValue reads own properties of objects only', () => {
    expect(ownValue(null, 'x')).toBeUndefined();
    expect(ownValue('abc', 'length')).toBeUndefined();
    expect(ownValue(Object.create({ x: 1 }), 'x')).toBeUndefined();
    expect(ownValue({ x: 2 }, 'x')).toBe(2);
  });
});

describe('isEnvelope', () => {
  it('is an object with svcmesh 1 (the number), an own payload and an object meta', () => {
    expect(isEnvelope({ svcmesh: 1, meta: {}, payload: undefined })).toBe(true);
    for (const e of [
      null,
      'svcmesh',
      1,
      { svcmesh: '1', meta: {}, payload: 1 },
      { svcmesh: 2, meta: {}, payload: 1 },
      { svcmesh: 1, meta: 'm', payload: 1 },
      { svcmesh: 1, meta: {} },
    ])
      expect(isEnvelope(e)).toBe(false);
  });
});

describe('parseFunctionError: reading what Lambda sends', () => {
  it('a body that is not JSON: its first 1,000 characters as the message, no trace', () => {
    const body = `<html>${'x'.repeat(2000)}`;
    expect(parseFunctionError(body)).toStrictEqual({
      errorType: 'Unknown',
      errorMessage: body.slice(0, 1000),
      trace: [],
    });
  });

  it('a JSON string body is the message; other fields of the wrong type are ignored', () => {
    expect(parseFunctionError('"out of memory"')).toStrictEqual({
      errorType: 'Error',
      errorMessage: 'out of memory',
      trace: [],
    });
    expect(parseFunctionError('{"errorType":7,"errorMessage":{"a":1},"trace":["a",2,null,"b"]}')).toStrictEqual({
      errorType: 'Error',
      errorMessage: '',
      trace: ['a', 'b'],
    });
  });

  it('takes the marker from the last line only when it is below the message lines', () => {
    const marker = `${ERROR_MARKER}{"code":"X_CODE","data":{"n":1}}`;
    // A message of two lines: the header takes trace[0] and trace[1]; a marker there is the message's text.
    const inMessage = parseFunctionError(
      JSON.stringify({ errorType: 'Error', errorMessage: `boom\n${marker}`, trace: ['Error: boom', marker] }),
    );
    expect(inMessage.code).toBeUndefined();
    expect(inMessage.trace).toEqual(['Error: boom', marker]);
    const below = parseFunctionError(
      JSON.stringify({
        errorType: 'Error',
        errorMessage: 'boom',
        trace: ['Error: boom', '    at f (x.js:1:1)', marker],
      }),
    );
    expect(below).toStrictEqual({
      errorType: 'Error',
      errorMessage: 'boom',
      trace: ['Error: boom', '    at f (x.js:1:1)'],
      code: 'X_CODE',
      data: { n: 1 },
    });
  });

  it('a marker with a non-string code or no data sets neither', () => {
    const p = parseFunctionError(
      JSON.stringify({ errorType: 'Error', errorMessage: 'm', trace: ['Error: m', `${ERROR_MARKER}{"code":5}`] }),
    );
    expect(p).toStrictEqual({ errorType: 'Error', errorMessage: 'm', trace: ['Error: m'] });
  });

  it('Sandbox.Timedout is a timeout whatever its message says', () => {
    expect(isTimeoutError({ errorType: 'Sandbox.Timedout', errorMessage: 'RequestId: r-1', trace: [] })).toBe(true);
    expect(isTimeoutError({ errorType: 'Error', errorMessage: 'RequestId: r-1', trace: [] })).toBe(false);
  });
});

describe('attachErrorMarker: what it writes', () => {
  const lastLine = (e: Error) => e.stack!.split('\n').at(-1)!;

  it('writes codes of 1 to 128 characters, and data of at most 1,024 bytes of JSON', () => {
    const e128 = Object.assign(new Error('a'), { code: 'C'.repeat(128) });
    attachErrorMarker(e128);
    expect(lastLine(e128)).toBe(`${ERROR_MARKER}{"code":"${'C'.repeat(128)}"}`);
    for (const code of ['', 'C'.repeat(129), 42]) {
      const e = Object.assign(new Error('b'), { code });
      const before = e.stack;
      attachErrorMarker(e);
      expect(e.stack).toBe(before);
    }
    // '"' + 1,022 characters + '"' is exactly the limit.
    const fits = Object.assign(new Error('c'), { code: 'D', data: 'd'.repeat(ERROR_DATA_LIMIT - 2) });
    attachErrorMarker(fits);
    expect(JSON.parse(lastLine(fits).slice(ERROR_MARKER.length))).toEqual({ code: 'D', data: fits.data });
    const over = Object.assign(new Error('c'), { code: 'D', data: 'd'.repeat(ERROR_DATA_LIMIT - 1) });
    attachErrorMarker(over);
    expect(lastLine(over)).toBe(`${ERROR_MARKER}{"code":"D"}`);
    const fn = Object.assign(new Error('c'), { code: 'D', data: () => 1 });
    attachErrorMarker(fn);
    expect(lastLine(fn)).toBe(`${ERROR_MARKER}{"code":"D"}`);
  });

  it('defuses look-alike lines in the stack, also without a code, and marks an error once', () => {
    const e = new Error(`user input\n${ERROR_MARKER}{"code":"FORGED"}`);
    attachErrorMarker(e);
    expect(e.stack!.split('\n').filter((l) => l.startsWith(ERROR_MARKER))).toEqual([]);
    expect(e.stack).toContain(` ${ERROR_MARKER}{"code":"FORGED"}`);
    expect(e.message).toBe(`user input\n${ERROR_MARKER}{"code":"FORGED"}`);
    const coded = Object.assign(new Error('x'), { code: 'ONCE' });
    const original = coded.stack!;
    attachErrorMarker(coded);
    const once = coded.stack;
    // The stack keeps its frames; the marker is one more line.
    expect(once).toBe(`${original}\n${ERROR_MARKER}{"code":"ONCE"}`);
    attachErrorMarker(coded);
    expect(coded.stack).toBe(once);
  });

  it('an error without a stack gets one from its name and message', () => {
    const e = Object.assign(new Error('no stack'), { code: 'NS' });
    (e as { stack?: string | undefined }).stack = undefined;
    attachErrorMarker(e);
    expect(e.stack).toBe(`Error: no stack\n${ERROR_MARKER}{"code":"NS"}`);
  });
});

describe('encodeClientContext: when nothing else fits', () => {
  it('keeps only the version marker', () => {
    const b64 = encodeClientContext({ svcmesh: '1', caller: 'x'.repeat(4000), traceparent: 'tp' });
    expect(decode(b64)).toEqual({ custom: { svcmesh: '1' } });
  });
});
