import { SvcMeshError, type SvcMeshErrorOptions } from './SvcMeshError.js';

/** Thrown when Lambda rejected or failed a call for a reason without its own class (the AWS error is the `cause`). */
export class InvokeError extends SvcMeshError {
  override readonly name = 'InvokeError' as const;
  readonly target: string;
  /** The AWS error name, e.g. `InvalidRequestContentException`, or `NetworkError`. */
  readonly awsError: string;
  constructor(target: string, awsError: string, detail: string, options?: SvcMeshErrorOptions) {
    super('INVOKE_FAILED', `Calling '${target}' failed: ${awsError}: ${detail}`, options);
    this.target = target;
    this.awsError = awsError;
  }
}

export function isInvokeError(err: unknown): err is InvokeError {
  return err instanceof Error && err.name === 'InvokeError';
}
