import { SvcMeshError, type SvcMeshErrorOptions } from './SvcMeshError.js';

/** Thrown when the caller's AbortSignal fired (before sending, mid-request or between retries). `cause` is the signal's reason. */
export class AbortedError extends SvcMeshError {
  override readonly name = 'AbortedError' as const;
  readonly target: string;
  /** How many attempts had been made when the signal fired. */
  readonly attempts: number;
  constructor(target: string, attempts: number, options?: SvcMeshErrorOptions) {
    super(
      'ABORTED',
      `The call to '${target}' was aborted by its AbortSignal after ${attempts} attempt${attempts === 1 ? '' : 's'}. ` +
        (attempts > 0 ? 'The callee may still have run; use an idempotencyKey if that matters.' : 'Nothing was sent.'),
      options,
    );
    this.target = target;
    this.attempts = attempts;
  }
}

export function isAbortedError(err: unknown): err is AbortedError {
  return err instanceof Error && err.name === 'AbortedError';
}
