/**
 * Retries with p-retry (loaded on the first failure only), bounded by a deadline and an
 * AbortSignal. The first attempt runs without p-retry so the warm path costs nothing extra.
 * @internal
 */

import { retryAfterMs } from './awsErrors.js';

export interface RetryOptions {
  /** Retries after the first attempt. */
  retries: number;
  /** First backoff delay in ms (exponential ×2, jittered, capped at 2 s). */
  baseMs: number;
  /** Epoch ms; no retry starts unless `minAttemptMs` still fits before it. */
  deadline: number;
  minAttemptMs?: number;
  /** The AbortSignal that ends retrying; only asked for once a retry is needed. */
  signal?: (() => AbortSignal) | undefined;
  /** Whether this failure may be retried. */
  shouldRetry: (err: unknown) => boolean | Promise<boolean>;
  /** Called after each failed attempt (e.g. to count, or to invalidate a cache). */
  onFailed?: (err: unknown, attempt: number) => void;
}

/** Runs `run(attempt)` (attempt is 1-based), retrying per `o`. Rethrows the last failure as is. */
export async function withRetries<T>(run: (attempt: number) => Promise<T>, o: RetryOptions): Promise<T> {
  let first: unknown;
  try {
    return await run(1);
  } catch (err) {
    first = err;
  }
  return retryAfterFailure(first, run, o);
}

/** Continues after a failed first attempt (for callers that run the first attempt themselves). */
export async function retryAfterFailure<T>(
  first: unknown,
  run: (attempt: number) => Promise<T>,
  o: RetryOptions,
): Promise<T> {
  o.onFailed?.(first, 1);
  const signal = o.signal?.();
  if (o.retries <= 0 || signal?.aborted || !(await o.shouldRetry(first))) throw first;
  const minAttempt = o.minAttemptMs ?? 20;
  if (o.deadline - Date.now() < o.baseMs + minAttempt) throw first;
  const { default: pRetry, AbortError } = await import('p-retry');
  const firstWait = Math.max(o.baseMs * (0.5 + Math.random() / 2), retryAfterMs(first) ?? 0);
  await sleep(Math.min(firstWait, Math.max(0, o.deadline - Date.now() - minAttempt)), signal);
  return pRetry(
    async (n) => {
      try {
        return await run(n + 1);
      } catch (err) {
        o.onFailed?.(err, n + 1);
        if (!(await o.shouldRetry(err))) throw new AbortError(err instanceof Error ? err : new Error(String(err)));
        throw err;
      }
    },
    {
      retries: o.retries - 1,
      minTimeout: o.baseMs,
      maxTimeout: 2_000,
      factor: 2,
      randomize: true,
      maxRetryTime: Math.max(0, o.deadline - Date.now() - minAttempt),
      shouldRetry: () => o.deadline - Date.now() > minAttempt,
      // AWS's Retry-After (Lambda throttling) raises the wait, never past the deadline.
      onFailedAttempt: async ({ error }) => {
        const after = retryAfterMs(error);
        const room = o.deadline - Date.now() - minAttempt;
        if (after !== undefined && after > 0 && room > 0) await sleep(Math.min(after, room), signal);
      },
      ...(signal ? { signal } : {}),
    },
  );
}

/**
 * Waits `ms`, rejecting with the signal's reason if it fires first. The timer keeps the process
 * alive (it is not unref'd): a script or CLI awaiting a call in backoff must not exit mid-retry
 * with the call unsettled.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
