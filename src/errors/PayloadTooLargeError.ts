import { SvcMeshError } from './SvcMeshError.js';

/** Thrown before sending when the serialised payload exceeds Lambda's limit (6 MB sync, 1 MB async, 256 KiB SNS). */
export class PayloadTooLargeError extends SvcMeshError {
  override readonly name = 'PayloadTooLargeError' as const;
  readonly target: string;
  readonly bytes: number;
  readonly limit: number;
  readonly kind: 'sync' | 'async' | 'event';
  constructor(target: string, kind: 'sync' | 'async' | 'event', bytes: number, limit: number) {
    super(
      'PAYLOAD_TOO_LARGE',
      `The ${kind === 'sync' ? 'request' : kind === 'async' ? 'async (Event) request' : 'event'} for '${target}' is ` +
        `${bytes.toLocaleString('en-US')} bytes as JSON, over the ${limit.toLocaleString('en-US')}-byte limit. ` +
        'Nothing was sent. Pass a reference instead (e.g. an S3 key) or split the data.',
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
