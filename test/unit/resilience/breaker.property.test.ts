/**
 * The circuit breaker's state machine (src/resilience over cockatiel) against a reference model,
 * for any sequence of call outcomes and clock ticks (fast-check), with a fake clock.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AbortedError } from '../../../src/errors/AbortedError.js';
import { RemoteFunctionError } from '../../../src/errors/RemoteFunctionError.js';
import { ThrottledError } from '../../../src/errors/ThrottledError.js';
import { InvokeTimeoutError } from '../../../src/errors/InvokeTimeoutError.js';
import * as cockatiel from 'cockatiel';
import { Resilience, type ResilienceEvent } from '../../../src/resilience/index.js';

const T = 'payments:charge';
type Outcome = 'ok' | 'fail' | 'timeout' | 'throttle' | 'business' | 'callerError';
const failure: Record<Exclude<Outcome, 'ok'>, () => Error> = {
  fail: () => new RemoteFunctionError({ target: T, errorType: 'Error', errorMessage: 'boom', remoteTrace: [] }),
  timeout: () => new InvokeTimeoutError(T, 'client', 100, 'test'),
  throttle: () => new ThrottledError(T, 1, 'TooManyRequestsException'),
  business: () =>
    new RemoteFunctionError({
      target: T,
      errorType: 'CardDeclinedError',
      errorMessage: 'no',
      remoteTrace: [],
      remoteCode: 'CARD_DECLINED',
    }),
  callerError: () => new AbortedError(T, 1),
};
const COUNTED = new Set<Outcome>(['fail', 'timeout', 'throttle']);

function harness(failures: number, halfOpenMs: number, tripOn?: string[]) {
  let next: Outcome = 'ok';
  let requests = 0;
  const events: ResilienceEvent[] = [];
  const r = new Resilience(
    {
      policies: { [T]: { breaker: { failures, halfOpenMs, ...(tripOn ? { tripOn } : {}) } } },
      faults: undefined,
      self: 'orders:place',
      calling: undefined,
      defaultTimeoutMs: 1000,
      deadlineMarginMs: 0,
      onEvent: (e) => events.push(e),
      call: async () => {
        requests++;
        if (next === 'ok') return 'ok';
        throw failure[next]();
      },
    },
    cockatiel,
  );
  return {
    r,
    events,
    requests: () => requests,
    call: async (o: Outcome) => {
      next = o;
      return r.run('sync', T, {}, {}).then(
        () => 'ok' as const,
        (e: { code?: string }) => e.code ?? 'Error',
      );
    },
  };
}

type Cmd = { tick: number } | { call: Outcome };

describe('Circuit breaker state machine (property)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_700_000_000_000);
  });
  afterEach(() => vi.useRealTimers());

  it('matches the reference model for any outcomes and clock ticks', async () => {
    const cmd = fc.oneof(
      fc.record({ tick: fc.integer({ min: 0, max: 1500 }) }),
      fc.record({ call: fc.constantFrom<Outcome>('ok', 'fail', 'timeout', 'throttle', 'business', 'callerError') }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.array(cmd as fc.Arbitrary<Cmd>, { maxLength: 60 }),
        async (n, h, cmds) => {
          vi.setSystemTime(1_700_000_000_000);
          const x = harness(n, h);
          // the model
          let state: 'closed' | 'open' = 'closed';
          let count = 0;
          let nextProbeAt = 0;
          let requests = 0;
          let opens = 0;
          for (const c of cmds) {
            if ('tick' in c) {
              vi.setSystemTime(Date.now() + c.tick);
              continue;
            }
            const now = Date.now();
            const got = await x.call(c.call);
            if (state === 'open' && now < nextProbeAt) {
              // Invariant: fails fast while open, without a request.
              expect(got).toBe('CIRCUIT_OPEN');
              expect(x.requests()).toBe(requests);
              continue;
            }
            requests++;
            expect(x.requests()).toBe(requests);
            expect(got).toBe(c.call === 'ok' ? 'ok' : (failure[c.call]() as Error & { code: string }).code);
            const probing = state === 'open';
            if (COUNTED.has(c.call)) {
              count++;
              if (probing || count >= n) {
                state = 'open';
                opens++;
                nextProbeAt = now + h;
              }
            } else if (c.call === 'ok') {
              state = 'closed';
              count = 0;
            } else if (probing) {
              // the callee answered (a business or caller-side error): it is reachable again
              state = 'closed';
              count = 0;
            }
            const health = x.r.health().breakers[T]!;
            expect(health.state).toBe(state);
            expect(health.opens).toBe(opens);
            if (state === 'closed') expect(health.failures).toBe(count);
            else expect(health.nextProbeAt).toBe(nextProbeAt);
          }
          // Every state change was reported, in order, alternating through half-open.
          const states = x.events.filter((e) => e.type === 'breaker').map((e) => e.state);
          expect(states.filter((s) => s === 'open')).toHaveLength(opens);
          for (let i = 1; i < states.length; i++) expect(states[i]).not.toBe(states[i - 1]);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('lets exactly one probe through when half-open; the others fail fast until it answers', async () => {
    let release!: (v: unknown) => void;
    let requests = 0;
    let mode: 'fail' | 'hold' = 'fail';
    const r = new Resilience(
      {
        policies: { [T]: { breaker: { failures: 2, halfOpenMs: 500 } } },
        faults: undefined,
        self: undefined,
        calling: undefined,
        defaultTimeoutMs: 1000,
        deadlineMarginMs: 0,
        onEvent: () => {},
        call: () => {
          requests++;
          if (mode === 'fail') return Promise.reject(failure.fail());
          return new Promise((res) => (release = res));
        },
      },
      cockatiel,
    );
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: { code: string }) => e.code,
      );
    expect(await code(r.run('sync', T, {}, {}))).toBe('REMOTE_FUNCTION_ERROR');
    expect(await code(r.run('sync', T, {}, {}))).toBe('REMOTE_FUNCTION_ERROR');
    expect(r.health().breakers[T]!.state).toBe('open');
    vi.setSystemTime(Date.now() + 500);
    mode = 'hold';
    const probe = code(r.run('sync', T, {}, {}));
    const others = await Promise.all([1, 2, 3].map(() => code(r.run('sync', T, {}, {}))));
    expect(others).toEqual(['CIRCUIT_OPEN', 'CIRCUIT_OPEN', 'CIRCUIT_OPEN']);
    const during = await r.run('sync', T, {}, {}).catch((e: unknown) => e);
    expect(during).toMatchObject({ state: 'half-open', message: expect.stringContaining('probe call is in flight') });
    expect(requests).toBe(3);
    expect(r.health().breakers[T]!.state).toBe('half-open');
    release('fine');
    expect(await probe).toBe('ok');
    expect(r.health().breakers[T]).toMatchObject({ state: 'closed', failures: 0, opens: 1 });
  });

  it('counts a business error only when tripOn lists its code', async () => {
    const x = harness(2, 100, ['CARD_DECLINED']);
    expect(await x.call('business')).toBe('REMOTE_FUNCTION_ERROR');
    expect(await x.call('business')).toBe('REMOTE_FUNCTION_ERROR');
    expect(x.r.health().breakers[T]).toMatchObject({ state: 'open', lastFailure: 'REMOTE_FUNCTION_ERROR' });
    expect(await x.call('ok')).toBe('CIRCUIT_OPEN');
    expect(x.requests()).toBe(2);
  });
});

describe('Bulkhead with a queue', () => {
  it('runs maxConcurrent calls, queues up to queue more, rejects the rest without calling', async () => {
    const releases: (() => void)[] = [];
    let calls = 0;
    const r = new Resilience(
      {
        policies: { [T]: { maxConcurrent: 1, queue: 1 } },
        faults: undefined,
        self: undefined,
        calling: undefined,
        defaultTimeoutMs: 1000,
        deadlineMarginMs: 0,
        onEvent: () => {},
        call: () => {
          calls++;
          return new Promise((res) => releases.push(() => res('ok')));
        },
      },
      cockatiel,
    );
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: { code: string }) => e.code,
      );
    const a = code(r.run('sync', T, {}, {}));
    const b = code(r.run('sync', T, {}, {}));
    expect(await code(r.run('sync', T, {}, {}))).toBe('BULKHEAD_REJECTED');
    expect(r.health().bulkheads[T]).toEqual({ maxConcurrent: 1, queue: 1, active: 1, queued: 1, rejected: 1 });
    expect(calls).toBe(1);
    releases.shift()!();
    expect(await a).toBe('ok');
    await vi.waitFor(() => expect(calls).toBe(2));
    releases.shift()!();
    expect(await b).toBe('ok');
    expect(r.health().bulkheads[T]).toMatchObject({ active: 0, queued: 0 });
  });
});
