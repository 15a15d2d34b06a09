import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PayloadNotSerializableError } from '../../../src/errors/PayloadNotSerializableError.js';
import { PayloadTooLargeError } from '../../../src/errors/PayloadTooLargeError.js';
import { checkSize, findUnserializable, toJson } from '../../../src/invoke/payload.js';

describe('Function: toJson', () => {
  it('round-trips JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(JSON.parse(toJson('a:b', v))).toEqual(JSON.parse(JSON.stringify(v)));
      }),
    );
  });

  it('names the path of a BigInt or a cycle', () => {
    const cyc: { a: { b: unknown[] } } = { a: { b: [] } };
    cyc.a.b.push(cyc);
    expect(() => toJson('a:b', cyc)).toThrow(PayloadNotSerializableError);
    expect(findUnserializable(cyc)).toEqual({ path: '$.a.b[0]', reason: 'a circular reference' });
    expect(findUnserializable({ 'odd key': [1, { n: 2n }] })?.path).toBe('$["odd key"][1].n');
    const shared = { x: 1 };
    expect(findUnserializable({ a: shared, b: shared })).toBeUndefined();
  });

  it('refuses undefined, functions and symbols at the top level', () => {
    for (const v of [undefined, () => 1, Symbol('s')]) {
      const err = (() => {
        try {
          toJson('a:b', v);
        } catch (e) {
          return e;
        }
      })() as PayloadNotSerializableError;
      expect(err).toBeInstanceOf(PayloadNotSerializableError);
      expect(err.code).toBe('PAYLOAD_NOT_SERIALIZABLE');
      expect(err.path).toBe('$');
    }
  });
});

describe('Function: checkSize', () => {
  it('counts UTF-8 bytes, not characters', () => {
    expect(() => checkSize('a:b', 'sync', 'é'.repeat(6), 12)).not.toThrow();
    expect(() => checkSize('a:b', 'sync', 'é'.repeat(7), 12)).toThrow(PayloadTooLargeError);
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.integer({ min: 0, max: 120 }), (s, limit) => {
        const bytes = Buffer.byteLength(s);
        if (bytes > limit) expect(() => checkSize('a:b', 'async', s, limit)).toThrow(PayloadTooLargeError);
        else expect(() => checkSize('a:b', 'async', s, limit)).not.toThrow();
      }),
    );
  });
});
