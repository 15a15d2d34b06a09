/**
 * SNS filter policies in the local mesh, as AWS documents them: operators, attribute types,
 * AND across keys / OR within a list, `$or`, both scopes, and validation messages. Table-driven
 * and fast, so StrykerJS can run it per mutant (docs/mutation.md).
 */
import { describe, expect, it } from 'vitest';
import {
  type AttributeValue,
  matchesAttributes,
  matchesBody,
  validateFilterPolicy,
} from '../../../tools/local/sns/filterPolicy.js';

const S = (Value: string): AttributeValue => ({ Type: 'String', Value });
const N = (Value: string): AttributeValue => ({ Type: 'Number', Value });
const A = (v: unknown[]): AttributeValue => ({ Type: 'String.Array', Value: JSON.stringify(v) });
type Policy = Parameters<typeof matchesAttributes>[0];
const attr = (cond: unknown, a: AttributeValue | undefined) =>
  matchesAttributes({ k: [cond] } as Policy, a === undefined ? {} : { k: a });

describe('Function: matchesAttributes (MessageAttributes scope)', () => {
  it.each<[string, unknown, AttributeValue | undefined, boolean]>([
    // exact strings: String attributes only
    ['string = string', 'red', S('red'), true],
    ['string ≠ string', 'red', S('blue'), false],
    ['string vs Number attribute', '5', N('5'), false],
    ['string vs absent', 'red', undefined, false],
    // exact numbers: Number attributes, compared as numbers
    ['number = Number', 5, N('5'), true],
    ['number = Number written 5.0', 5, N('5.0'), true],
    ['number ≠ Number', 5, N('6'), false],
    ['number vs String attribute', 5, S('5'), false],
    ['number vs absent', 5, undefined, false],
    // prefix / suffix / equals-ignore-case: String only
    ['prefix match', { prefix: 'ord' }, S('order'), true],
    ['prefix miss', { prefix: 'ord' }, S('border'), false],
    ['prefix vs Number', { prefix: '1' }, N('12'), false],
    ['prefix vs absent', { prefix: 'o' }, undefined, false],
    ['suffix match', { suffix: 'ed' }, S('failed'), true],
    ['suffix miss', { suffix: 'ed' }, S('edit'), false],
    ['suffix vs Number', { suffix: '2' }, N('12'), false],
    ['equals-ignore-case match', { 'equals-ignore-case': 'CARD_Declined' }, S('card_DECLINED'), true],
    ['equals-ignore-case miss', { 'equals-ignore-case': 'card' }, S('cards'), false],
    ['equals-ignore-case vs Number', { 'equals-ignore-case': '1' }, N('1'), false],
    // numeric
    ['numeric =', { numeric: ['=', 10] }, N('10'), true],
    ['numeric = miss', { numeric: ['=', 10] }, N('10.5'), false],
    ['numeric < below', { numeric: ['<', 10] }, N('9'), true],
    ['numeric < at', { numeric: ['<', 10] }, N('10'), false],
    ['numeric <= at', { numeric: ['<=', 10] }, N('10'), true],
    ['numeric <= above', { numeric: ['<=', 10] }, N('11'), false],
    ['numeric > above', { numeric: ['>', 10] }, N('11'), true],
    ['numeric > at', { numeric: ['>', 10] }, N('10'), false],
    ['numeric >= at', { numeric: ['>=', 10] }, N('10'), true],
    ['numeric >= below', { numeric: ['>=', 10] }, N('9'), false],
    ['numeric range inside', { numeric: ['>', 0, '<=', 100] }, N('100'), true],
    ['numeric range low edge', { numeric: ['>', 0, '<=', 100] }, N('0'), false],
    ['numeric range above', { numeric: ['>', 0, '<=', 100] }, N('101'), false],
    ['numeric vs String attribute', { numeric: ['=', 5] }, S('5'), false],
    ['numeric vs non-number value', { numeric: ['>', 0] }, N('abc'), false],
    ['numeric vs absent', { numeric: ['>', 0] }, undefined, false],
    // exists
    ['exists true, present', { exists: true }, S('x'), true],
    ['exists true, absent', { exists: true }, undefined, false],
    ['exists false, absent', { exists: false }, undefined, true],
    ['exists false, present', { exists: false }, S('x'), false],
    ['exists true, present Number', { exists: true }, N('1'), true],
    // anything-but
    ['anything-but value, other', { 'anything-but': 'red' }, S('blue'), true],
    ['anything-but value, same', { 'anything-but': 'red' }, S('red'), false],
    ['anything-but list, other', { 'anything-but': ['red', 'green'] }, S('blue'), true],
    ['anything-but list, listed', { 'anything-but': ['red', 'green'] }, S('green'), false],
    ['anything-but number, other', { 'anything-but': 5 }, N('6'), true],
    ['anything-but number, same', { 'anything-but': 5 }, N('5.0'), false],
    ['anything-but number vs String "5"', { 'anything-but': 5 }, S('5'), true],
    ['anything-but string vs Number 5', { 'anything-but': '5' }, N('5'), true],
    ['anything-but vs absent', { 'anything-but': 'red' }, undefined, false],
    ['anything-but prefix, other', { 'anything-but': { prefix: 'test-' } }, S('prod-1'), true],
    ['anything-but prefix, prefixed', { 'anything-but': { prefix: 'test-' } }, S('test-1'), false],
    ['anything-but suffix, other', { 'anything-but': { suffix: '.tmp' } }, S('a.txt'), true],
    ['anything-but suffix, suffixed', { 'anything-but': { suffix: '.tmp' } }, S('a.tmp'), false],
    ['anything-but prefix vs absent', { 'anything-but': { prefix: 'x' } }, undefined, false],
    // String.Array: any element
    ['array: one element matches', 'b', A(['a', 'b']), true],
    ['array: none matches', 'c', A(['a', 'b']), false],
    ['array: number element', 3, A([1, 3]), true],
    ['array: prefix on an element', { prefix: 'x' }, A(['a', 'xy']), true],
    ['array: not JSON', 'a', { Type: 'String.Array', Value: '[a' }, false],
    ['array: JSON but not an array', 'a', { Type: 'String.Array', Value: '"a"' }, false],
    ['array: objects ignored', 'a', A([{ k: 'a' }]), false],
    ['array: exists on an empty array', { exists: true }, A([]), true],
    // custom String/Number subtypes, Binary
    ['String.custom subtype', 'a', { Type: 'String.kind', Value: 'a' }, true],
    ['Number.custom subtype', 7, { Type: 'Number.int', Value: '7' }, true],
    ['Binary never matches a value', 'a', { Type: 'Binary', Value: 'a' }, false],
    ['Binary exists', { exists: true }, { Type: 'Binary', Value: 'a' }, true],
    ['Binary vs anything-but', { 'anything-but': 'x' }, { Type: 'Binary', Value: 'a' }, false],
    ['array: not JSON vs anything-but', { 'anything-but': 'x' }, { Type: 'String.Array', Value: '[a' }, false],
    ['array: empty vs anything-but', { 'anything-but': 'x' }, A([]), false],
    // conditions that never match an attribute
    ['null vs String', null, S('null'), false],
    ['boolean vs String', true, S('true'), false],
    ['unknown operator', { regex: '.*' }, S('a'), false],
  ])('%s', (_name, cond, a, expected) => {
    expect(attr(cond, a)).toBe(expected);
  });

  it('ANDs keys, ORs the conditions of one key, and ORs the policies of $or', () => {
    const attrs = { type: S('failed'), code: S('CARD_DECLINED'), amount: N('250') };
    expect(matchesAttributes({ type: ['failed'], code: ['CARD_DECLINED'] }, attrs)).toBe(true);
    expect(matchesAttributes({ type: ['failed'], code: ['OTHER'] }, attrs)).toBe(false);
    expect(matchesAttributes({ type: ['success', 'failed'] }, attrs)).toBe(true);
    expect(matchesAttributes({ type: ['success', 'start'] }, attrs)).toBe(false);
    expect(matchesAttributes({ type: ['failed'], missing: ['x'] }, attrs)).toBe(false);
    expect(
      matchesAttributes({ $or: [{ code: ['OTHER'] }, { amount: [{ numeric: ['>', 100] }] }] } as Policy, attrs),
    ).toBe(true);
    expect(
      matchesAttributes({ $or: [{ code: ['OTHER'] }, { amount: [{ numeric: ['>', 1000] }] }] } as Policy, attrs),
    ).toBe(false);
    expect(
      matchesAttributes({ type: ['start'], $or: [{ code: ['CARD_DECLINED'] }, { amount: [250] }] } as Policy, attrs),
    ).toBe(false);
    // Nested objects only apply to the MessageBody scope.
    expect(matchesAttributes({ type: { inner: ['failed'] } } as Policy, attrs)).toBe(false);
    expect(matchesAttributes({}, attrs)).toBe(true);
  });
});

describe('Function: matchesBody (MessageBody scope)', () => {
  const body = {
    type: 'failed',
    amount: 250,
    flag: true,
    none: null,
    tags: ['vip', 'eu'],
    data: { error: { code: 'CARD_DECLINED' }, items: [{ sku: 'a' }] },
  };
  it.each<[string, Policy, boolean]>([
    ['string field', { type: ['failed'] }, true],
    ['string field miss', { type: ['success'] }, false],
    ['number field', { amount: [250] }, true],
    ['number field vs string condition', { amount: ['250'] }, false],
    ['numeric range', { amount: [{ numeric: ['>=', 100, '<', 300] }] }, true],
    ['numeric range miss', { amount: [{ numeric: ['<', 100] }] }, false],
    ['boolean field', { flag: [true] }, true],
    ['boolean field miss', { flag: [false] }, false],
    ['null field', { none: [null] }, true],
    ['null vs a value', { type: [null] }, false],
    ['array field: any element', { tags: ['eu'] }, true],
    ['array field: none', { tags: ['us'] }, false],
    ['nested object', { data: { error: { code: ['CARD_DECLINED'] } } }, true],
    ['nested object miss', { data: { error: { code: ['OTHER'] } } }, false],
    ['nested key absent', { data: { missing: { code: ['x'] } } }, false],
    ['exists false on an absent field', { gone: [{ exists: false }] }, true],
    ['exists true on an absent field', { gone: [{ exists: true }] }, false],
    ['exists true on a present field', { type: [{ exists: true }] }, true],
    ['prefix on a string field', { type: [{ prefix: 'fail' }] }, true],
    ['anything-but on a string field', { type: [{ 'anything-but': ['success', 'start'] }] }, true],
    ['anything-but number on a number field', { amount: [{ 'anything-but': [250] }] }, false],
    ['objects in arrays are not values', { data: { items: ['a'] } }, false],
    ['$or over fields', { $or: [{ type: ['x'] }, { amount: [250] }] }, true],
    ['$or none', { $or: [{ type: ['x'] }, { amount: [1] }] }, false],
    ['two keys, one misses', { type: ['failed'], amount: [1] }, false],
  ])('%s', (_name, policy, expected) => {
    expect(matchesBody(policy, body)).toBe(expected);
  });

  it('never applies string operators to numbers, booleans or null in a body', () => {
    const b = { amount: 250, flag: true, none: null };
    for (const k of ['amount', 'flag', 'none']) {
      for (const op of [{ prefix: '2' }, { suffix: '0' }, { 'equals-ignore-case': '250' }])
        expect(matchesBody({ [k]: [op] } as Policy, b), `${k} ${JSON.stringify(op)}`).toBe(false);
      // ...and a value that is not a string is never excluded by an anything-but prefix/suffix.
      expect(matchesBody({ [k]: [{ 'anything-but': { prefix: '2' } }] } as Policy, b)).toBe(true);
    }
  });

  it('reads no property of a body that is a string or an array', () => {
    expect(matchesBody({ length: [4] }, 'text')).toBe(false);
    expect(matchesBody({ length: [1] }, ['a'])).toBe(false);
    expect(matchesBody({ 0: ['a'] } as Policy, ['a'])).toBe(false);
  });

  it('matches nothing but absence in a body that is not an object', () => {
    for (const b of ['text', 42, null, ['type']]) {
      expect(matchesBody({ type: ['failed'] }, b)).toBe(false);
      expect(matchesBody({ type: [{ exists: false }] }, b)).toBe(true);
    }
  });
});

describe('Function: validateFilterPolicy', () => {
  it('accepts every supported form', () => {
    for (const p of [
      { a: ['x', 1, true, null] },
      { a: [{ prefix: 'x' }, { suffix: 'y' }, { 'equals-ignore-case': 'z' }] },
      { a: [{ exists: false }], b: [{ exists: true }] },
      { a: [{ 'anything-but': 'x' }, { 'anything-but': 5 }, { 'anything-but': ['x', 5] }] },
      { a: [{ 'anything-but': { prefix: 'x' } }, { 'anything-but': { suffix: 'y' } }] },
      { a: [{ numeric: ['=', 1] }, { numeric: ['>', 0, '<=', 10] }, { numeric: ['<', 1, '>=', 0] }] },
      { $or: [{ a: ['x'] }, { b: ['y'] }] },
      { nested: { deeper: { a: ['x'] } } },
    ])
      expect(validateFilterPolicy(p), JSON.stringify(p)).toBeUndefined();
  });

  it.each<[string, unknown, string]>([
    ['not an object', ['a'], 'FilterPolicy: must be a JSON object'],
    ['null', null, 'FilterPolicy: must be a JSON object'],
    ['a string', 'x', 'FilterPolicy: must be a JSON object'],
    ['empty', {}, 'FilterPolicy: must not be empty'],
    ['$or not a list', { $or: { a: ['x'] } }, '$or: must be an array of at least two policies'],
    ['$or with one policy', { $or: [{ a: ['x'] }] }, '$or: must be an array of at least two policies'],
    [
      '$or with a bad policy',
      { $or: [{ a: ['x'] }, { b: 'y' }] },
      '$or.b: must be a list of conditions, e.g. ["value"]',
    ],
    ['$or with a non-object', { $or: [{ a: ['x'] }, 5] }, '$or: must be a JSON object'],
    ['empty list', { a: [] }, 'a: the list of conditions is empty'],
    ['scalar instead of list', { a: 'x' }, 'a: must be a list of conditions, e.g. ["value"]'],
    ['null instead of list', { a: null }, 'a: must be a list of conditions, e.g. ["value"]'],
    ['nested bad', { a: { b: 'x' } }, 'a.b: must be a list of conditions, e.g. ["value"]'],
    ['nested empty list', { a: { b: [] } }, 'a.b: the list of conditions is empty'],
    ['list in a list', { a: [['x']] }, 'a: unsupported condition [["x"]]'.replace('[["x"]]', '["x"]')],
    ['two operators', { a: [{ prefix: 'x', suffix: 'y' }] }, 'a: an operator object must have exactly one key'],
    ['no operator', { a: [{}] }, 'a: an operator object must have exactly one key'],
    ['prefix not a string', { a: [{ prefix: 1 }] }, 'a: "prefix" needs a string'],
    ['suffix not a string', { a: [{ suffix: true }] }, 'a: "suffix" needs a string'],
    [
      'equals-ignore-case not a string',
      { a: [{ 'equals-ignore-case': null }] },
      'a: "equals-ignore-case" needs a string',
    ],
    ['exists not a boolean', { a: [{ exists: 'yes' }] }, 'a: "exists" needs true or false'],
    ['anything-but null', { a: [{ 'anything-but': null }] }, 'a: unsupported "anything-but" value'],
    ['anything-but list of objects', { a: [{ 'anything-but': [{}] }] }, 'a: unsupported "anything-but" value'],
    [
      'anything-but other operator',
      { a: [{ 'anything-but': { exists: true } }] },
      'a: unsupported "anything-but" value',
    ],
    ['anything-but prefix number', { a: [{ 'anything-but': { prefix: 1 } }] }, 'a: unsupported "anything-but" value'],
    ['anything-but empty object', { a: [{ 'anything-but': {} }] }, 'a: unsupported "anything-but" value'],
    ['anything-but boolean', { a: [{ 'anything-but': true }] }, 'a: unsupported "anything-but" value'],
    ['numeric not a list', { a: [{ numeric: 5 }] }, 'a: "numeric" needs [op, number] or [op, number, op, number]'],
    ['numeric empty', { a: [{ numeric: [] }] }, 'a: "numeric" needs [op, number] or [op, number, op, number]'],
    ['numeric odd', { a: [{ numeric: ['>', 1, '<'] }] }, 'a: "numeric" needs [op, number] or [op, number, op, number]'],
    [
      'numeric too long',
      { a: [{ numeric: ['>', 1, '<', 5, '=', 3] }] },
      'a: "numeric" needs [op, number] or [op, number, op, number]',
    ],
    [
      'numeric bad op',
      { a: [{ numeric: ['!=', 1] }] },
      'a: "numeric" needs [op, number] pairs with op one of = < <= > >=',
    ],
    [
      'numeric string value',
      { a: [{ numeric: ['>', '1'] }] },
      'a: "numeric" needs [op, number] pairs with op one of = < <= > >=',
    ],
    [
      'numeric infinite',
      { a: [{ numeric: ['>', 0, '<', Number.POSITIVE_INFINITY] }] },
      'a: "numeric" needs [op, number] pairs with op one of = < <= > >=',
    ],
    ['unknown operator', { a: [{ regex: '.*' }] }, 'a: unsupported operator "regex"'],
    ['a bad condition after a good one', { a: ['x', { prefix: 1 }] }, 'a: "prefix" needs a string'],
    [
      'a bad key after a good nested one',
      { n: { a: ['x'] }, b: 'y' },
      'b: must be a list of conditions, e.g. ["value"]',
    ],
    ['a bad key after a good list', { a: ['x'], b: [] }, 'b: the list of conditions is empty'],
    ['anything-but list with an object', { a: [{ 'anything-but': ['x', {}] }] }, 'a: unsupported "anything-but" value'],
    ['anything-but unknown operator', { a: [{ 'anything-but': { foo: 'x' } }] }, 'a: unsupported "anything-but" value'],
  ])('refuses %s', (_name, policy, message) => {
    expect(validateFilterPolicy(policy)).toBe(message);
  });
});
