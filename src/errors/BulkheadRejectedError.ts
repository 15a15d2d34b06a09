import { SvcMeshError, type SvcMeshErrorOptions } from './SvcMeshError.js';

/**
 * Thrown without any network request when a target's bulkhead is full: `maxConcurrent` calls to
 * it are already running from this execution environment (and its `queue`, if any, is full).
 */
export class BulkheadRejectedError extends SvcMeshError {
  override readonly name = 'BulkheadRejectedError' as const;
  readonly target: string;
  readonly maxConcurrent: number;
  readonly queue: number;
  constructor(target: string, maxConcurrent: number, queue: number, options?: SvcMeshErrorOptions) {
    super(
      'BULKHEAD_REJECTED',
      `'${target}' already has ${maxConcurrent} call${maxConcurrent === 1 ? '' : 's'} in flight from this execution environment` +
        `${queue > 0 ? ` and ${queue} waiting` : ''} (its maxConcurrent${queue > 0 ? ' and queue' : ''}): no request was sent. ` +
        'Raise maxConcurrent (or add a queue) on the calling: edge, or call it less concurrently.',
      options,
    );
    this.target = target;
    this.maxConcurrent = maxConcurrent;
    this.queue = queue;
  }
}

export function isBulkheadRejectedError(err: unknown): err is BulkheadRejectedError {
  return err instanceof Error && err.name === 'BulkheadRejectedError';
}
