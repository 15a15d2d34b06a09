import { SvcMeshError, type SvcMeshErrorOptions } from './SvcMeshError.js';

/** Thrown when AWS kept throttling (e.g. TooManyRequestsException) through every retry allowed by the deadline. */
export class ThrottledError extends SvcMeshError {
  override readonly name = 'ThrottledError' as const;
  readonly target: string;
  readonly attempts: number;
  /** The AWS error name, e.g. `TooManyRequestsException`, and Lambda's `Reason` when given. */
  readonly awsError: string;
  constructor(target: string, attempts: number, awsError: string, options?: SvcMeshErrorOptions) {
    super(
      'THROTTLED',
      `'${target}' was throttled by AWS (${awsError}) on all ${attempts} attempt${attempts === 1 ? '' : 's'}. ` +
        "Raise the callee's reserved concurrency or the account's concurrency quota, or slow down the caller.",
      options,
    );
    this.target = target;
    this.attempts = attempts;
    this.awsError = awsError;
  }
}

export function isThrottledError(err: unknown): err is ThrottledError {
  return err instanceof Error && err.name === 'ThrottledError';
}
