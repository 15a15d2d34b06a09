import { afterEach, describe, expect, it, vi } from 'vitest';
import { classifyAwsError, loadClassifier, retryAfterMs } from '../../../src/internal/awsErrors.js';
import { withRetries } from '../../../src/internal/retry.js';

const aws = (name: string, status: number, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(name), {
    name,
    $metadata: { httpStatusCode: status },
    $fault: status >= 500 ? 'server' : 'client',
    ...extra,
  });
const net = (code: string) => Object.assign(new Error(code), { code });

describe('Function: classifyAwsError', () => {
  it('classifies throttling, unreached, ambiguous and fatal failures', async () => {
    await loadClassifier();
    expect(classifyAwsError(aws('TooManyRequestsException', 429))).toBe('throttle');
    expect(classifyAwsError(aws('ThrottlingException', 400))).toBe('throttle');
    expect(classifyAwsError(aws('Throttling', 400))).toBe('throttle');
    expect(classifyAwsError(aws('ServiceException', 500))).toBe('unreached');
    expect(classifyAwsError(aws('ResourceNotReadyException', 502))).toBe('unreached');
    expect(classifyAwsError(net('ECONNREFUSED'))).toBe('unreached');
    expect(classifyAwsError(Object.assign(new Error('x'), { cause: net('EAI_AGAIN') }))).toBe('unreached');
    expect(classifyAwsError(net('ECONNRESET'))).toBe('ambiguous');
    expect(classifyAwsError(net('EPIPE'))).toBe('ambiguous');
    expect(classifyAwsError(aws('AccessDeniedException', 403))).toBe('fatal');
    expect(classifyAwsError(aws('InvalidRequestContentException', 400))).toBe('fatal');
    expect(classifyAwsError(aws('ResourceNotFoundException', 404))).toBe('fatal');
    expect(classifyAwsError('a string')).toBe('fatal');
    expect(retryAfterMs({ retryAfterSeconds: '2' })).toBe(2000);
    expect(retryAfterMs({})).toBeUndefined();
  });
});

describe('Function: withRetries', () => {
  it('retries only what shouldRetry allows, up to the limit', async () => {
    let n = 0;
    const err = await withRetries(
      async () => {
        n++;
        throw new Error(`fail ${n}`);
      },
      { retries: 3, baseMs: 1, deadline: Date.now() + 10_000, shouldRetry: () => true },
    ).catch((e: unknown) => e);
    expect(n).toBe(4);
    expect((err as Error).message).toBe('fail 4');
    n = 0;
    await withRetries(
      async () => {
        n++;
        throw new Error('fatal');
      },
      { retries: 3, baseMs: 1, deadline: Date.now() + 10_000, shouldRetry: () => false },
    ).catch(() => undefined);
    expect(n).toBe(1);
  });

  it('starts no retry that cannot fit before the deadline', async () => {
    let n = 0;
    await withRetries(
      async () => {
        n++;
        throw new Error('x');
      },
      { retries: 5, baseMs: 1_000, deadline: Date.now() + 100, shouldRetry: () => true },
    ).catch(() => undefined);
    expect(n).toBe(1);
  });

  it('stops when the signal fires between attempts, with its reason', async () => {
    const ac = new AbortController();
    let n = 0;
    const err = await withRetries(
      async () => {
        n++;
        if (n === 2) ac.abort(new Error('stop'));
        throw new Error('x');
      },
      { retries: 10, baseMs: 1, deadline: Date.now() + 10_000, shouldRetry: () => true, signal: () => ac.signal },
    ).catch((e: unknown) => e);
    expect(n).toBe(2);
    expect((err as Error).message).toBe('stop');
  });
});

describe('Retry-After', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits at least what AWS asked for when it fits in the budget, before each retry', async () => {
    // Prepare: fake clock; attempts 1 and 2 are throttled with Retry-After 1 s, attempt 3 succeeds,
    // all well inside a 60 s budget with a 1 ms base backoff.
    vi.useFakeTimers();
    const at: number[] = [];
    const t0 = Date.now();
    const done = withRetries(
      async (attempt) => {
        at.push(Date.now() - t0);
        if (attempt < 3) throw Object.assign(new Error('slow down'), { retryAfterSeconds: '1' });
        return 'ok';
      },
      { retries: 5, baseMs: 1, deadline: t0 + 60_000, shouldRetry: () => true, minAttemptMs: 20 },
    );
    // Act + Assess: nothing retries before the second has passed, each time.
    await vi.advanceTimersByTimeAsync(999);
    expect(at).toEqual([0]);
    await vi.advanceTimersByTimeAsync(10);
    expect(at).toHaveLength(2);
    expect(at[1]).toBeGreaterThanOrEqual(1_000);
    await vi.advanceTimersByTimeAsync(990);
    expect(at).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await done).toBe('ok');
    expect(at).toHaveLength(3);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(1_000);
    // Well under 2 s of backoff otherwise: base 1 ms doubling.
    expect(at[2]!).toBeLessThan(2_100);
  });

  it('waits at least what AWS asked for, but never past the deadline', async () => {
    // Prepare: a throttle asking for 60 s inside a 300 ms budget.
    let n = 0;
    const deadline = Date.now() + 300;
    const err = await withRetries(
      async () => {
        n++;
        throw Object.assign(new Error('slow down'), { retryAfterSeconds: '60' });
      },
      { retries: 5, baseMs: 1, deadline, shouldRetry: () => true, minAttemptMs: 20 },
    ).catch((e: unknown) => e);
    // Assess: without Retry-After, a 1 ms backoff would have made 6 attempts; waiting used the budget.
    expect((err as Error).message).toBe('slow down');
    expect(n).toBeLessThanOrEqual(2);
  });
});
