/**
 * Payload checks at their edges, each against a mutant that survived the first mutation run of
 * invoke-wire (docs/mutation.md): what toJson says about an input it cannot send (and that it is
 * always a PayloadNotSerializableError, even for a throwing getter), where findUnserializable
 * looks, and checkSize exactly at its limits.
 */
import { describe, expect, it } from 'vitest';
import { PayloadNotSerializableError } from '../../../src/errors/PayloadNotSerializableError.js';
import { PayloadTooLargeError } from '../../../src/errors/PayloadTooLargeError.js';
import { checkSize, findUnserializable, toJson } from '../../../src/invoke/payload.js';

const thrown = (f: () => unknown): unknown => {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
};

describe('toJson: what it says about an input it cannot send', () => {
  it('names the path and the reason of a cycle, with the JSON error as cause', () => {
    const cyc: { a: { b: unknown[] } } = { a: { b: [] } };
    cyc.a.b.push(cyc);
    const err = thrown(() => toJson('a:b', cyc)) as PayloadNotSerializableError;
    expect(err).toBeInstanceOf(PayloadNotSerializableError);
    expect(err.path).toBe('$.a.b[0]');
    expect(err.message).toContain("The input for 'a:b' cannot be sent as JSON: a circular reference at $.a.b[0].");
    expect(err.cause).toBeInstanceOf(TypeError);
  });

  it('says whether the input is undefined, a function or a symbol', () => {
    expect((thrown(() => toJson('a:b', undefined)) as Error).message).toContain('the input is undefined at $');
    expect((thrown(() => toJson('a:b', () => 1)) as Error).message).toContain('the input is a function at $');
    expect((thrown(() => toJson('a:b', Symbol('s'))) as Error).message).toContain('the input is a symbol at $');
  });

  it('a getter that throws is a PayloadNotSerializableError naming it, never the raw error', () => {
    const input = {
      ok: 1,
      get total(): number {
        throw new Error('price not loaded');
      },
    };
    const err = thrown(() => toJson('a:b', { order: input })) as PayloadNotSerializableError;
    expect(err).toBeInstanceOf(PayloadNotSerializableError);
    expect(err.path).toBe('$.order.total');
    expect(err.message).toContain('reading it threw: price not loaded at $.order.total');
    const inArray = thrown(() => toJson('a:b', [0, input])) as PayloadNotSerializableError;
    expect(inArray.path).toBe('$[1].total');
    // A Proxy whose traps throw: still typed, at the top, with the engine's message.
    const proxy = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('revoked');
        },
      },
    );
    const p = thrown(() => toJson('a:b', proxy)) as PayloadNotSerializableError;
    expect(p).toBeInstanceOf(PayloadNotSerializableError);
    expect(p.path).toBe('$');
    expect(p.message).toContain('revoked at $');
  });

  it("falls back to JSON.stringify's message at $ when the value looks fine when walked again", () => {
    let reads = 0;
    const flaky = {
      get x() {
        reads++;
        if (reads === 1) throw new Error('first read fails');
        return 1;
      },
    };
    const err = thrown(() => toJson('a:b', flaky)) as PayloadNotSerializableError;
    expect(err).toBeInstanceOf(PayloadNotSerializableError);
    expect(err.path).toBe('$');
    expect(err.message).toContain('first read fails at $');
  });
});

describe('findUnserializable: where it looks', () => {
  it('calls toJSON like JSON.stringify does, and reports one that throws or returns a BigInt', () => {
    expect(findUnserializable({ when: new Date(0), n: 1 })).toBeUndefined();
    expect(findUnserializable({ v: { toJSON: () => ({ deep: 1n }) } })).toEqual({
      path: '$.v.deep',
      reason: 'a BigInt value (JSON has no BigInt)',
    });
    expect(findUnserializable({ v: { toJSON: () => 2n } })).toEqual({
      path: '$.v',
      reason: 'a BigInt value (JSON has no BigInt)',
    });
    expect(findUnserializable({ v: { toJSON: () => null } })).toBeUndefined();
    expect(
      findUnserializable({
        v: {
          toJSON() {
            throw new Error('nope');
          },
        },
      }),
    ).toEqual({ path: '$.v', reason: 'its toJSON() threw: nope' });
    // toJSON's result replaces the object: a cycle in the original is not walked.
    const cyc: Record<string, unknown> = { toJSON: () => 'flat' };
    cyc['self'] = cyc;
    expect(findUnserializable(cyc)).toBeUndefined();
  });

  it('walks arrays to their last element only, and writes identifier keys with a dot', () => {
    expect(findUnserializable([1, 2, 3n])).toEqual({ path: '$[2]', reason: 'a BigInt value (JSON has no BigInt)' });
    expect(findUnserializable([1, 2])).toBeUndefined();
    expect(findUnserializable({ _a$1: 1n })?.path).toBe('$._a$1');
    expect(findUnserializable({ a1: 1n })?.path).toBe('$.a1');
    expect(findUnserializable({ 'a-1': 1n })?.path).toBe('$["a-1"]');
    expect(findUnserializable({ a: null, b: 'x', c: 1n })?.path).toBe('$.c');
    expect(findUnserializable(null)).toBeUndefined();
    expect(findUnserializable(7n)).toEqual({ path: '$', reason: 'a BigInt value (JSON has no BigInt)' });
  });
});

describe('checkSize: exactly at the limits', () => {
  it('accepts exactly the limit, refuses one byte more, in UTF-8 bytes', () => {
    // Past the fast path (3 × length > limit), so bytes are counted.
    expect(checkSize('a:b', 'sync', 'x'.repeat(10), 10)).toBe(10);
    expect(checkSize('a:b', 'sync', 'é'.repeat(5), 10)).toBe(10);
    const err = thrown(() => checkSize('a:b', 'async', 'é'.repeat(5) + 'x', 10)) as PayloadTooLargeError;
    expect(err).toBeInstanceOf(PayloadTooLargeError);
    expect(err.bytes).toBe(11);
    // The fast path: nothing counted when 3 × length fits.
    expect(checkSize('a:b', 'sync', 'xyz', 9)).toBe(-1);
    expect(checkSize('a:b', 'sync', 'xyz', 8)).toBe(3);
  });
});
