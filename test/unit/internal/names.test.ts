import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EXPORT_FIELDS,
  exportName,
  parseDiscoveryRecord,
  parseExportName,
  parseTarget,
} from '../../../src/internal/names.js';

const service = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/);
const fn = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,20}$/);
const stage = fc.stringMatching(/^[A-Za-z0-9-]{1,12}$/);

describe('Function: parseTarget', () => {
  it('round-trips every valid service:function', () => {
    fc.assert(
      fc.property(service, fn, (s, f) => {
        expect(parseTarget(`${s}:${f}`)).toEqual({ service: s, function: f });
      }),
    );
  });

  it.each([
    ['users', "no ':'"],
    [':fn', 'service name before the colon is empty'],
    ['svc:', 'function name after the colon is empty'],
    ['a:b:c', "2 ':' separators"],
    ['', 'empty'],
    [' users:get', 'contains U+0020'],
    ['users:get ', 'contains U+0020'],
    ['usеrs:get', 'look-alike'], // Cyrillic е
    ['9users:get', 'must start with a letter'],
  ])('throws InvalidTargetError for %j', (input, why) => {
    expect(() => parseTarget(input)).toThrowError(
      expect.objectContaining({ code: 'INVALID_TARGET', name: 'InvalidTargetError' }),
    );
    expect(() => parseTarget(input)).toThrowError(why);
  });

  it('throws InvalidTargetError for non-strings', () => {
    for (const v of [undefined, null, 42, {}, ['a:b']]) {
      expect(() => parseTarget(v)).toThrowError(expect.objectContaining({ code: 'INVALID_TARGET' }));
    }
  });

  it('never throws anything but InvalidTargetError on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        try {
          parseTarget(s);
        } catch (err) {
          expect((err as Error).name).toBe('InvalidTargetError');
        }
      }),
    );
  });
});

describe('Function: exportName', () => {
  it('uses only the CloudFormation export alphabet and stays injective', () => {
    const field = fc.constantFrom(...EXPORT_FIELDS);
    fc.assert(
      fc.property(stage, service, fn, field, (st, sv, f, fld) => {
        const name = exportName(st, sv, f, fld);
        expect(name).toMatch(/^[A-Za-z0-9:-]+$/);
        expect(parseExportName(name)).toEqual({ stage: st, service: sv, function: f, field: fld });
      }),
    );
  });

  it('never maps two different tuples to one name', () => {
    const tuple = fc.tuple(stage, service, fn, fc.constantFrom(...EXPORT_FIELDS));
    fc.assert(
      fc.property(tuple, tuple, (a, b) => {
        fc.pre(JSON.stringify(a) !== JSON.stringify(b));
        expect(exportName(...a)).not.toBe(exportName(...b));
      }),
    );
  });
});

describe('Function: parseDiscoveryRecord', () => {
  const arn = 'arn:aws:lambda:us-east-1:123456789012:function:users-dev-create';
  it('accepts a v1 record', () => {
    expect(parseDiscoveryRecord(JSON.stringify({ v: 1, functionArn: arn }), 'ssm:/x')).toEqual({
      v: 1,
      functionArn: arn,
    });
  });
  it('accepts a v2 record, which names its target', () => {
    const rec = { v: 2, service: 'users', function: 'create', stage: 'dev', functionArn: arn };
    expect(parseDiscoveryRecord(JSON.stringify(rec), 'ssm:/x')).toEqual(rec);
  });
  it('reads only own properties (an inherited functionArn does not count)', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto['functionArn'] = arn;
    try {
      expect(() => parseDiscoveryRecord('{"v":1}', 'ssm:/x')).toThrowError('not a Lambda function ARN');
    } finally {
      delete proto['functionArn'];
    }
  });
  it.each([
    ['not json', 'not JSON'],
    ['[]', 'not a JSON object'],
    [JSON.stringify({ v: 3, functionArn: arn }), 'unsupported version 3'],
    [JSON.stringify({ v: 2, functionArn: arn }), 'a version-2 record needs "service"'],
    [JSON.stringify({ v: 2, service: 'users', function: 'create', stage: 'd*', functionArn: arn }), 'needs "stage"'],
    [JSON.stringify({ v: 1, functionArn: 'users-dev-create' }), 'not a Lambda function ARN'],
    [JSON.stringify({ v: 1, functionArn: arn, topics: { done: 'x' } }), 'unknown type'],
  ])('rejects %s', (value, why) => {
    expect(() => parseDiscoveryRecord(value, 'ssm:/svc-mesh/dev/users/create')).toThrowError(why);
    expect(() => parseDiscoveryRecord(value, 'ssm:/svc-mesh/dev/users/create')).toThrowError(
      expect.objectContaining({ code: 'INVALID_DISCOVERY_RECORD' }),
    );
  });
});
