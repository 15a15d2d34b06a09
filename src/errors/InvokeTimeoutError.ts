import { SvcMeshError, type SvcMeshErrorOptions } from './SvcMeshError.js';

/**
 * Thrown when a call did not finish in time. `phase` says who gave up:
 * `budget` (no time left before sending), `client` (the deadline passed while waiting), or
 * `remote` (the callee itself timed out: Lambda's `Sandbox.Timedout`).
 */
export class InvokeTimeoutError extends SvcMeshError {
  override readonly name = 'InvokeTimeoutError' as const;
  readonly target: string;
  readonly phase: 'budget' | 'client' | 'remote';
  /** The time budget of the call in ms. */
  readonly timeoutMs: number;
  readonly requestId: string | undefined;
  constructor(
    target: string,
    phase: 'budget' | 'client' | 'remote',
    timeoutMs: number,
    detail: string,
    options?: SvcMeshErrorOptions & { requestId?: string | undefined },
  ) {
    const what =
      phase === 'remote'
        ? `'${target}' timed out inside Lambda (${detail})`
        : phase === 'budget'
          ? `No time left to call '${target}' (${detail})`
          : `'${target}' did not answer within ${timeoutMs} ms (${detail})`;
    super(
      'INVOKE_TIMEOUT',
      `${what}. Raise the callee's or the caller's Lambda timeout, pass a larger { timeoutMs }, or make the callee faster.`,
      options,
    );
    this.target = target;
    this.phase = phase;
    this.timeoutMs = timeoutMs;
    this.requestId = options?.requestId;
  }
}

export function isInvokeTimeoutError(err: unknown): err is InvokeTimeoutError {
  return err instanceof Error && err.name === 'InvokeTimeoutError';
}
