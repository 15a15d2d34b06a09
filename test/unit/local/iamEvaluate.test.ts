/**
 * The local mesh's IAM evaluator on its own, fast (StrykerJS runs it per mutant; the comparison
 * with an independent simulator lives in test/integration/local/iam.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { PolicyDocument } from '../../../codegen/model.js';
import { evaluatePolicies, wildcardMatch } from '../../../tools/local/iam/evaluate.js';

const doc = (...Statement: PolicyDocument['Statement']): PolicyDocument => ({ Version: '2012-10-17', Statement });
const allow = (Action: string | string[], Resource: string | string[]) =>
  ({ Effect: 'Allow', Action, Resource }) as PolicyDocument['Statement'][number];
const deny = (Action: string | string[], Resource: string | string[]) =>
  ({ Effect: 'Deny', Action, Resource }) as PolicyDocument['Statement'][number];

describe('Function: wildcardMatch', () => {
  it.each<[string, string, boolean, boolean]>([
    // pattern, value, caseInsensitive, expected
    ['abc', 'abc', false, true],
    ['abc', 'abcd', false, false],
    ['abc', 'ABC', false, false],
    ['abc', 'ABC', true, true],
    ['ABC', 'abc', true, true],
    ['a*', 'a', false, true],
    ['a*', 'abc', false, true],
    ['a*', 'ba', false, false],
    ['*c', 'abc', false, true],
    ['*c', 'abcd', false, false],
    ['a*c', 'ac', false, true],
    ['a*c', 'a/b:c', false, true],
    ['*', '', false, true],
    ['a?c', 'abc', false, true],
    ['a?c', 'ac', false, false],
    ['a?c', 'abbc', false, false],
    ['??', 'ab', false, true],
    ['??', 'a', false, false],
    ['a?', 'A?', true, true],
    ['A*', 'abc', true, true],
    ['A*', 'abc', false, false],
    ['*', 'line\nbreak', false, true],
    ['a?b', 'a\nb', false, true],
    // every regex metacharacter is literal
    ['a.b*', 'aXb', false, false],
    ['a.b*', 'a.bc', false, true],
    ['a+b*', 'aab', false, false],
    ['a+b*', 'a+b', false, true],
    ['(x)*', 'x', false, false],
    ['(x)*', '(x)', false, true],
    ['[ab]*', 'a', false, false],
    ['[ab]*', '[ab]', false, true],
    ['^a$*', 'a', false, false],
    ['^a$*', '^a$', false, true],
    ['a|b*', 'a', false, false],
    ['a|b*', 'a|b', false, true],
    ['a{2}*', 'aa', false, false],
    ['a{2}*', 'a{2}', false, true],
    ['a\\d*', 'a1', false, false],
    ['a\\d*', 'a\\d', false, true],
    ['a/b*', 'a/b', false, true],
  ])('%j against %j (case-insensitive: %s) → %s', (pattern, value, ci, expected) => {
    expect(wildcardMatch(pattern, value, ci)).toBe(expected);
  });

  it('anchors a compiled pattern at both ends (patterns used nowhere else, so each compiles here)', () => {
    expect(wildcardMatch('anchored-start*', 'x-anchored-start')).toBe(false);
    expect(wildcardMatch('*anchored-end', 'anchored-end-x')).toBe(false);
    expect(wildcardMatch('mid?le*', 'a-mid-le')).toBe(false);
  });

  it('keeps case-sensitive and case-insensitive compilations apart in its cache', () => {
    // A cache keyed by the pattern alone (or a prefix only one mode gets) would mix these up.
    expect(wildcardMatch('abc*', 'ABCD', false)).toBe(false);
    expect(wildcardMatch('sabc*', 'SABCD', true)).toBe(true);
    expect(wildcardMatch('xyz*', 'XYZ', true)).toBe(true);
    expect(wildcardMatch('ixyz*', 'IXYZ', false)).toBe(false);
    expect(wildcardMatch('ixyz*', 'ixyz1', false)).toBe(true);
    expect(wildcardMatch('k?*', 'K1', true)).toBe(true);
    expect(wildcardMatch('k?*', 'K1', false)).toBe(false);
  });

  it('gives the same answers from its cache of compiled patterns', () => {
    for (let i = 0; i < 3; i++) {
      expect(wildcardMatch('arn:*:fn-?', 'arn:x:fn-1')).toBe(true);
      expect(wildcardMatch('arn:*:fn-?', 'ARN:x:fn-1')).toBe(false);
      expect(wildcardMatch('arn:*:fn-?', 'ARN:x:fn-1', true)).toBe(true);
    }
  });
});

describe('Function: evaluatePolicies', () => {
  const fn = 'arn:aws:lambda:us-east-1:000000000000:function:payments-dev-charge';

  it('allows only when an Allow statement matches both action and resource', () => {
    expect(evaluatePolicies([doc(allow('lambda:InvokeFunction', fn))], 'lambda:InvokeFunction', fn)).toBe('allowed');
    expect(evaluatePolicies([doc(allow('lambda:InvokeFunction', fn))], 'lambda:GetFunction', fn)).toBe('implicitDeny');
    expect(evaluatePolicies([doc(allow('lambda:InvokeFunction', fn))], 'lambda:InvokeFunction', `${fn}x`)).toBe(
      'implicitDeny',
    );
    expect(evaluatePolicies([doc(allow('lambda:invokefunction', fn))], 'Lambda:InvokeFunction', fn)).toBe('allowed');
    expect(evaluatePolicies([doc(allow('lambda:InvokeFunction', fn.toUpperCase()))], 'lambda:InvokeFunction', fn)).toBe(
      'implicitDeny',
    );
    expect(evaluatePolicies([], 'lambda:InvokeFunction', fn)).toBe('implicitDeny');
    expect(evaluatePolicies([doc()], 'lambda:InvokeFunction', fn)).toBe('implicitDeny');
  });

  it('reads Action and Resource lists, any entry matching', () => {
    const p = doc(allow(['sns:Publish', 'lambda:InvokeFunction'], ['arn:aws:sns:*:*:t', fn]));
    expect(evaluatePolicies([p], 'lambda:InvokeFunction', fn)).toBe('allowed');
    expect(evaluatePolicies([p], 'sns:Publish', 'arn:aws:sns:us-east-1:1:t')).toBe('allowed');
    expect(evaluatePolicies([p], 'ssm:GetParameters', fn)).toBe('implicitDeny');
    expect(evaluatePolicies([p], 'sns:Publish', 'arn:aws:sns:us-east-1:1:u')).toBe('implicitDeny');
  });

  it('lets an explicit Deny win, in any order and any document', () => {
    for (const policies of [
      [doc(allow('*', '*'), deny('lambda:*', fn))],
      [doc(deny('lambda:*', fn), allow('*', '*'))],
      [doc(allow('*', '*')), doc(deny('lambda:Invoke*', '*'))],
      [doc(deny('*', '*')), doc(allow('lambda:InvokeFunction', fn))],
    ])
      expect(evaluatePolicies(policies, 'lambda:InvokeFunction', fn)).toBe('explicitDeny');
    // A Deny that does not match leaves the Allow.
    expect(
      evaluatePolicies([doc(allow('*', '*'), deny('sns:*', '*'), deny('lambda:*', 'other'))], 'lambda:Invoke', fn),
    ).toBe('allowed');
  });

  it('ignores a statement whose Effect is neither Allow nor Deny', () => {
    const odd = { Effect: 'allow', Action: '*', Resource: '*' } as unknown as PolicyDocument['Statement'][number];
    expect(evaluatePolicies([doc(odd)], 'lambda:InvokeFunction', fn)).toBe('implicitDeny');
    expect(evaluatePolicies([doc(odd, allow('*', fn))], 'lambda:InvokeFunction', fn)).toBe('allowed');
  });
});
