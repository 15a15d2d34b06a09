import { SvcMeshError, type SvcMeshErrorOptions } from './SvcMeshError.js';

/**
 * Thrown before sending when the serialised payload exceeds Lambda's limit (6 MB sync, 1 MB
 * async, 256 KiB SNS), or when Lambda itself refused a request as too large (`bytes` is then -1:
 * the size Lambda counted is not known here; `options.cause` is Lambda's error).
 */
export class PayloadTooLargeError extends SvcMeshError {
  override readonly name = 'PayloadTooLargeError' as const;
  readonly target: string;
  /** The payload's size as JSON, or -1 when Lambda refused the request (its count is not known here). */
  readonly bytes: number;
  readonly limit: number;
  readonly kind: 'sync' | 'async' | 'event';
  constructor(
    target: string,
    kind: 'sync' | 'async' | 'event',
    bytes: number,
    limit: number,
    options?: SvcMeshErrorOptions & { refusal?: string },
  ) {
    const what = kind === 'sync' ? 'request' : kind === 'async' ? 'async (Event) request' : 'event';
    super(
      'PAYLOAD_TOO_LARGE',
      (bytes < 0
        ? `Lambda refused the ${what} for '${target}' as too large (${options?.refusal ?? 'RequestEntityTooLargeException'}); ` +
          `its limit is ${limit.toLocaleString('en-US')} bytes for the whole request. The function did not run. `
        : `The ${what} for '${target}' is ${bytes.toLocaleString('en-US')} bytes as JSON, over the ` +
          `${limit.toLocaleString('en-US')}-byte limit. Nothing was sent. `) +
        'Pass a reference instead (e.g. an S3 key) or split the data.',
      options,
    );
    this.target = target;
    this.bytes = bytes;
    this.limit = limit;
    this.kind = kind;
  }
}

export function isPayloadTooLargeError(err: unknown): err is PayloadTooLargeError {
  return err instanceof Error && err.name === 'PayloadTooLargeError';
}
