/**
 * Retry safety of withRetries, on a fake clock (no timed assertions: the clock only moves when the
 * test moves it): how many attempts, when each starts, and that nothing runs or waits past the
 * deadline or after the signal. Written against the mutants StrykerJS left alive (docs/mutation.md).
 */
import { getEventListeners } from 'node:events';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { withRetries } from '../../../src/internal/retry.js';

const throttled = (retryAfterSeconds?: string) =>
  Object.assign(new Error('throttled'), retryAfterSeconds === undefined ? {} : { retryAfterSeconds });

/** Runs withRetries on the fake clock, recording when each attempt starts and when it settles. */
function track(
  fail: (attempt: number) => unknown,
  o: Omit<Parameters<typeof withRetries>[1], 'shouldRetry'> & { shouldRetry?: (e: unknown) => boolean },
) {
  const t0 = Date.now();
  const at: number[] = [];
  const out: { settledAt?: number; value?: unknown; error?: unknown } = {};
  const p = withRetries(
    async (attempt) => {
      at.push(Date.now() - t0);
      const e = fail(attempt);
      if (e !== undefined) throw e;
      return 'ok';
    },
    { shouldRetry: () => true, ...o, deadline: t0 + o.deadline },
  ).then(
    (value) => {
      out.settledAt = Date.now() - t0;
      out.value = value;
    },
    (error: unknown) => {
      out.settledAt = Date.now() - t0;
      out.error = error;
    },
  );
  return { at, out, p };
}

// withRetries loads p-retry on the first retry: load it on the real clock first.
beforeAll(async () => {
  await import('p-retry');
});
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe('withRetries on a fake clock', () => {
  it('makes one attempt when no retry is allowed', async () => {
    const r = track(() => throttled(), { retries: 0, baseMs: 1, deadline: 60_000 });
    await vi.runAllTimersAsync();
    await r.p;
    expect(r.at).toEqual([0]);
    expect((r.out.error as Error).message).toBe('throttled');
  });

  it('spaces attempts by the jittered backoff, counting each failure once', async () => {
    // Math.random 0.5: the first wait is base × 0.75, p-retry's next ones base × 2^k × 1.5.
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    // Every timer started: without Retry-After, one wait per retry and nothing else.
    const timers = vi.spyOn(globalThis, 'setTimeout');
    const failed: number[] = [];
    const r = track((n) => (n < 4 ? throttled() : undefined), {
      retries: 5,
      baseMs: 100,
      deadline: 60_000,
      onFailed: (_e, n) => failed.push(n),
    });
    await vi.runAllTimersAsync();
    await r.p;
    expect(r.out.value).toBe('ok');
    expect(r.at).toEqual([0, 75, 75 + 150, 75 + 150 + 300]);
    expect(failed).toEqual([1, 2, 3]);
    expect(timers.mock.calls.map((c) => c[1])).toEqual([75, 150, 300]);
  });

  it('adds no wait for a Retry-After of 0', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const timers = vi.spyOn(globalThis, 'setTimeout');
    const r = track((n) => (n < 3 ? throttled('0') : undefined), { retries: 5, baseMs: 100, deadline: 60_000 });
    await vi.runAllTimersAsync();
    await r.p;
    expect(r.at).toEqual([0, 50, 150]);
    expect(timers.mock.calls.map((c) => c[1])).toEqual([50, 100]);
  });

  it('waits base × (0.5 … 1) before the first retry', async () => {
    for (const [random, wait] of [
      [0, 50],
      [1, 100],
    ] as const) {
      vi.spyOn(Math, 'random').mockReturnValue(random);
      const r = track((n) => (n < 2 ? throttled() : undefined), { retries: 1, baseMs: 100, deadline: 60_000 });
      await vi.advanceTimersByTimeAsync(wait - 1);
      expect(r.at, `random ${random}`).toEqual([0]);
      await vi.advanceTimersByTimeAsync(1);
      expect(r.at, `random ${random}`).toEqual([0, wait]);
      await r.p;
    }
  });

  it('starts a retry only if base + minAttemptMs still fit before the deadline (boundary)', async () => {
    const fits = track((n) => (n < 2 ? throttled() : undefined), {
      retries: 1,
      baseMs: 100,
      minAttemptMs: 20,
      deadline: 120,
    });
    await vi.runAllTimersAsync();
    await fits.p;
    expect(fits.at).toHaveLength(2);
    const tooLate = track((n) => (n < 2 ? throttled() : undefined), {
      retries: 1,
      baseMs: 100,
      minAttemptMs: 20,
      deadline: 119,
    });
    await vi.runAllTimersAsync();
    await tooLate.p;
    expect(tooLate.at).toEqual([0]);
  });

  it('never waits or attempts past deadline − minAttemptMs, whatever Retry-After asks', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    // Retry-After 60 s on the first failure: the wait is cut to the last moment an attempt fits.
    const first = track(() => throttled('60'), { retries: 5, baseMs: 1, minAttemptMs: 20, deadline: 1_000 });
    await vi.runAllTimersAsync();
    await first.p;
    expect(first.at).toEqual([0, 980]);
    expect(first.out.settledAt).toBe(980);
    // Retry-After 10 s on a later failure (inside p-retry): the same bound.
    const later = track((n) => (n === 1 ? throttled() : throttled('10')), {
      retries: 5,
      baseMs: 100,
      minAttemptMs: 20,
      deadline: 1_000,
    });
    await vi.runAllTimersAsync();
    await later.p;
    expect(later.at).toEqual([0, 50]);
    expect(later.out.settledAt).toBe(980);
  });

  it('stops retrying when backoff reaches the deadline', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const r = track(() => throttled(), { retries: 10, baseMs: 100, minAttemptMs: 20, deadline: 400 });
    await vi.runAllTimersAsync();
    await r.p;
    // 0, +50 (first wait), +100, +200, then only the 30 ms left before 380.
    expect(r.at).toEqual([0, 50, 150, 350, 380]);
    expect(r.out.settledAt).toBe(380);
  });

  it("stops when the wall clock passes the deadline, even if the process's monotonic clock has not", async () => {
    // The deadline is epoch time (it crosses processes); a clock step forward (NTP) ends retrying.
    for (const jump of [2_000, 1_000 - 20 - 50]) {
      vi.spyOn(Math, 'random').mockReturnValue(0);
      const r = track(
        (n) => {
          if (n === 2) vi.setSystemTime(Date.now() + jump);
          return throttled();
        },
        { retries: 10, baseMs: 100, minAttemptMs: 20, deadline: 1_000 },
      );
      await vi.runAllTimersAsync();
      await r.p;
      expect(r.at, `jump ${jump}`).toHaveLength(2);
    }
  });

  it('stops at the first failure shouldRetry refuses, later ones included', async () => {
    const r = track((n) => Object.assign(new Error(`fail ${n}`), { fatal: n === 2 }), {
      retries: 5,
      baseMs: 1,
      deadline: 60_000,
      shouldRetry: (e) => !(e as { fatal: boolean }).fatal,
    });
    await vi.runAllTimersAsync();
    await r.p;
    expect(r.at).toHaveLength(2);
    expect((r.out.error as Error).message).toBe('fail 2');
  });

  it('does not wait when the signal is already aborted before the first retry', async () => {
    const ac = new AbortController();
    const r = track(() => throttled(), {
      retries: 5,
      baseMs: 10_000,
      deadline: 60_000,
      signal: () => ac.signal,
      // The signal fires while the failure is being classified.
      shouldRetry: () => {
        ac.abort(new Error('caller gave up'));
        return true;
      },
    });
    await vi.advanceTimersByTimeAsync(0);
    await r.p;
    expect(r.out.settledAt).toBe(0);
    expect((r.out.error as Error).message).toBe('caller gave up');
    expect(r.at).toEqual([0]);
  });

  it('gives up with the signal already aborted after the first failure, rethrowing that failure', async () => {
    const ac = new AbortController();
    ac.abort(new Error('gone'));
    const r = track(() => throttled(), { retries: 5, baseMs: 1, deadline: 60_000, signal: () => ac.signal });
    await vi.runAllTimersAsync();
    await r.p;
    expect((r.out.error as Error).message).toBe('throttled');
    expect(r.at).toEqual([0]);
  });

  it('ends the first wait at once when the signal fires, and leaves no listener behind', async () => {
    const ac = new AbortController();
    const r = track(() => throttled(), { retries: 5, baseMs: 10_000, deadline: 60_000, signal: () => ac.signal });
    await vi.advanceTimersByTimeAsync(100);
    expect(r.out.settledAt).toBeUndefined();
    ac.abort(new Error('stop'));
    await vi.advanceTimersByTimeAsync(0);
    await r.p;
    expect(r.out.settledAt).toBe(100);
    expect((r.out.error as Error).message).toBe('stop');
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });

  it('removes its abort listener once a wait ends normally', async () => {
    const ac = new AbortController();
    const r = track((n) => (n < 2 ? throttled() : undefined), {
      retries: 5,
      baseMs: 100,
      deadline: 60_000,
      signal: () => ac.signal,
    });
    await vi.runAllTimersAsync();
    await r.p;
    expect(r.out.value).toBe('ok');
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });
});
