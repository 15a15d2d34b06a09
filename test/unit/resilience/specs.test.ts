/**
 * The two texts the resiliency runtime parses from its environment: SVC_MESH_POLICIES (one policy
 * per target, checked by checkPolicy) and SVC_MESH_FAULTS / the mesh's --fault (parseFaultSpec).
 * Every accepted form normalises to one exact value; every refused one says exactly what is
 * wrong and where. Written against the survivors of the first resilience mutation run.
 */
import { describe, expect, it } from 'vitest';
import { InvalidConfigError } from '../../../src/errors/InvalidConfigError.js';
import { FaultSpecProblem, matchFault, parseFaultRule, parseFaultSpec } from '../../../src/resilience/faultSpec.js';
import { checkPolicy } from '../../../src/resilience/policy.js';

/** What `parse` throws, checked to be a `cls`; a failure when it accepts `input`. */
function refusal<T, E extends Error>(parse: (input: T) => unknown, input: T, cls: new (...a: never[]) => E): E {
  try {
    parse(input);
  } catch (err) {
    expect(err).toBeInstanceOf(cls);
    return err as E;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}

const S = 'SVC_MESH_POLICIES';
const refused = (v: unknown): string => {
  const err = refusal((x: unknown) => checkPolicy(S, 'a:f', x), v, InvalidConfigError);
  expect(err.code).toBe('INVALID_CONFIG');
  return err.message;
};

describe('checkPolicy (SVC_MESH_POLICIES)', () => {
  it('normalises every key, and keeps only what was given', () => {
    expect(checkPolicy(S, 'a:f', {})).toEqual({});
    const every = {
      timeoutMs: 1,
      retries: 0,
      maxConcurrent: 1,
      queue: 0,
      fallback: 'event',
      breaker: { failures: 1, halfOpenMs: 1, tripOn: ['CARD_DECLINED'] },
    };
    expect(checkPolicy(S, 'a:f', structuredClone(every))).toEqual(every);
    expect(checkPolicy(S, 'a:f', { breaker: { failures: 5, halfOpenMs: 30_000 } })).toStrictEqual({
      breaker: { failures: 5, halfOpenMs: 30_000 },
    });
    expect(checkPolicy(S, 'a:f', { breaker: { failures: 2, halfOpenMs: 9, tripOn: [] } })).toEqual({
      breaker: { failures: 2, halfOpenMs: 9, tripOn: [] },
    });
  });

  it('refuses a policy that is not an object', () => {
    for (const v of [null, [], 'x', 5, true])
      expect(refused(v), JSON.stringify(v)).toBe(`${S}['a:f'] must be an object like {"timeoutMs":2000,"retries":1}.`);
  });

  it('refuses unknown keys, naming the allowed ones', () => {
    expect(refused({ timeout: 5 })).toBe(
      `${S}['a:f'] has unknown key "timeout" (allowed: timeoutMs, retries, breaker, maxConcurrent, queue, fallback).`,
    );
    expect(refused({ breaker: { failures: 1, halfOpenMs: 1, trip: [] } })).toBe(
      `${S}['a:f'].breaker has unknown key "trip" (allowed: failures, halfOpenMs, tripOn).`,
    );
  });

  it('refuses numbers that are not whole or below their minimum, naming the key', () => {
    const cases: [Record<string, unknown>, string, number, unknown][] = [
      [{ timeoutMs: 0 }, 'timeoutMs', 1, 0],
      [{ timeoutMs: 1.5 }, 'timeoutMs', 1, 1.5],
      [{ timeoutMs: '100' }, 'timeoutMs', 1, '100'],
      [{ retries: -1 }, 'retries', 0, -1],
      [{ maxConcurrent: 0 }, 'maxConcurrent', 1, 0],
      [{ queue: -1 }, 'queue', 0, -1],
      [{ queue: null }, 'queue', 0, null],
      [{ breaker: { failures: 0, halfOpenMs: 1 } }, 'breaker.failures', 1, 0],
      [{ breaker: { failures: 1, halfOpenMs: 0 } }, 'breaker.halfOpenMs', 1, 0],
      [{ breaker: { failures: 1 } }, 'breaker.halfOpenMs', 1, undefined],
    ];
    for (const [v, key, min, got] of cases)
      expect(refused(v), JSON.stringify(v)).toBe(
        `${S}: ${S}['a:f'].${key} must be a whole number ≥ ${min} (got ${JSON.stringify(got)}).`,
      );
  });

  it('refuses a fallback other than "event", a breaker that is not an object, a tripOn that is not a list of codes', () => {
    expect(refused({ fallback: 'cache' })).toBe(`${S}['a:f'].fallback must be "event" (got "cache").`);
    for (const b of [null, [], 3])
      expect(refused({ breaker: b }), JSON.stringify(b)).toBe(
        `${S}['a:f'].breaker must be an object {"failures":5,"halfOpenMs":30000}.`,
      );
    for (const tripOn of ['CARD_DECLINED', [1], ['A', 2], { 0: 'A' }])
      expect(refused({ breaker: { failures: 1, halfOpenMs: 1, tripOn } }), JSON.stringify(tripOn)).toBe(
        `${S}['a:f'].breaker.tripOn must be a list of error codes.`,
      );
  });
});

const problem = (spec: string): string => refusal(parseFaultSpec, spec, FaultSpecProblem).message;

describe('parseFaultSpec (SVC_MESH_FAULTS, --fault)', () => {
  it('normalises targets, edges, kinds, durations and probabilities', () => {
    expect(parseFaultRule(' a:f = error ')).toEqual({ target: 'a:f', kind: 'error', percent: 100, spec: 'a:f=error' });
    expect(parseFaultRule('o:p -> a:f=latency:1.5s:25%')).toEqual({
      caller: 'o:p',
      target: 'a:f',
      kind: 'latency',
      percent: 25,
      latencyMs: 1500,
      spec: 'o:p->a:f=latency:1500ms:25%',
    });
    expect(parseFaultRule('o:p→a:f=throttle:0%')).toMatchObject({ caller: 'o:p', target: 'a:f', percent: 0 });
    expect(parseFaultRule('a:f=latency:2m').latencyMs).toBe(120_000);
    expect(parseFaultRule('a:f=latency:250ms').latencyMs).toBe(250);
    expect(parseFaultRule('a:f=latency:15m').latencyMs).toBe(900_000);
    expect(parseFaultRule('a:f=crash:12.5%')).toMatchObject({ percent: 12.5, spec: 'a:f=crash:12.5%' });
    expect(parseFaultRule('a:f=timeout:100%').spec).toBe('a:f=timeout');
    // decimals of any length, and spaces around each part
    expect(parseFaultRule('a:f=latency:1.25s:12.75%')).toMatchObject({ latencyMs: 1250, percent: 12.75 });
    expect(parseFaultRule('a:f=latency: 2s : 50%')).toMatchObject({ latencyMs: 2000, percent: 50 });
    // a list: separated by commas, empty parts skipped
    expect(parseFaultSpec(' a:f=error , ,b:g=crash,').map((r) => r.spec)).toEqual(['a:f=error', 'b:g=crash']);
    expect(parseFaultSpec('')).toEqual([]);
  });

  it('refuses each malformed spec, saying what is wrong', () => {
    const kinds = 'error, latency, timeout, throttle, crash';
    expect(problem('a:f')).toBe(
      `fault 'a:f' must be '<target>=<fault>', e.g. 'payments:charge=error:30%' (faults: ${kinds})`,
    );
    // the spec is quoted as written, without the spaces around it
    expect(() => parseFaultRule('  nope  ')).toThrow(/^fault 'nope' must be '<target>=<fault>'/);
    expect(problem('=error')).toBe(
      `fault '=error' must be '<target>=<fault>', e.g. 'payments:charge=error:30%' (faults: ${kinds})`,
    );
    expect(problem('a:f=explode')).toBe(
      `fault 'a:f=explode': unknown fault 'explode'; use one of ${kinds} (e.g. error:30%, latency:2s, timeout, throttle, crash)`,
    );
    expect(problem('a:f->b:g->c:h=error')).toBe(`fault 'a:f->b:g->c:h=error': an edge is written 'caller->target'`);
    expect(problem('a:f=error:101%')).toBe(`fault 'a:f=error:101%': the probability 101% is outside 0–100%`);
    expect(problem('a:f=error:-5%')).toBe(`fault 'a:f=error:-5%': the probability -5% is outside 0–100%`);
    expect(problem('a:f=latency:0ms')).toBe(
      `fault 'a:f=latency:0ms': the latency 0ms must be more than 0 and at most 15m`,
    );
    expect(problem('a:f=latency:16m')).toBe(
      `fault 'a:f=latency:16m': the latency 16m must be more than 0 and at most 15m`,
    );
    expect(problem('a:f=latency:soon')).toBe(
      `fault 'a:f=latency:soon': 'soon' is neither a duration (2s, 500ms) nor a probability (30%)`,
    );
    expect(problem('a:f=latency')).toBe(`fault 'a:f=latency': latency needs a duration, e.g. a:f=latency:2s`);
    expect(problem('a:f=error:2s')).toBe(
      `fault 'a:f=error:2s': '2s' is not a probability like 30% (only latency takes a duration)`,
    );
    // anchored: a probability or a duration is the whole part, not a piece of it
    expect(problem('a:f=error:x30%')).toContain("'x30%' is not a probability");
    expect(problem('a:f=error:30%x')).toContain("'30%x' is not a probability");
    expect(problem('a:f=latency:x2s')).toContain("'x2s' is neither a duration");
    expect(problem('a:f=latency:2sx')).toContain("'2sx' is neither a duration");
    expect(problem('a:f=latency:.5s')).toContain("'.5s' is neither a duration");
    expect(problem('a:f=error:.5%')).toContain("'.5%' is not a probability");
    // the target and the caller are named when they are not service:function
    expect(problem('nope=error')).toMatch(/^fault 'nope=error': the target Invalid target "nope"/);
    expect(problem('bad->a:f=error')).toMatch(/^fault 'bad->a:f=error': the caller Invalid target "bad"/);
    expect(problem('a:f->bad=error')).toMatch(/^fault 'a:f->bad=error': the target Invalid target "bad"/);
    // the first bad spec of a list stops it
    expect(problem('a:f=error,b:g=nope')).toContain("fault 'b:g=nope': unknown fault 'nope'");
  });

  it('an edge rule wins over a target rule, and only for its caller', () => {
    const rules = parseFaultSpec('a:f=error, o:p->a:f=crash, x:y->b:g=timeout');
    expect(matchFault(rules, 'o:p', 'a:f')?.kind).toBe('crash');
    expect(matchFault(rules, 'q:r', 'a:f')?.kind).toBe('error');
    expect(matchFault(rules, undefined, 'a:f')?.kind).toBe('error');
    expect(matchFault(rules, 'q:r', 'b:g')).toBeUndefined();
    expect(matchFault(rules, 'x:y', 'b:g')?.kind).toBe('timeout');
    // the first target rule is the one that applies
    expect(matchFault(parseFaultSpec('a:f=error, a:f=crash'), undefined, 'a:f')?.kind).toBe('error');
  });
});
