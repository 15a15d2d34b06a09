import { SvcMeshError, type SvcMeshErrorOptions } from './SvcMeshError.js';

/**
 * Thrown when a discovery backend (SSM or CloudFormation) failed and no cached record could
 * be served instead. `cause` holds the AWS error. Retryable.
 */
export class DiscoveryError extends SvcMeshError {
  override readonly name = 'DiscoveryError' as const;
  readonly target: string;
  /** The backend that failed: `ssm` or `exports`. */
  readonly source: 'ssm' | 'exports';
  constructor(target: string, source: 'ssm' | 'exports', reason: string, options?: SvcMeshErrorOptions) {
    super(
      'DISCOVERY_FAILED',
      `Could not resolve '${target}': ${source === 'ssm' ? 'SSM GetParameters' : 'CloudFormation ListExports'} failed (${reason}). ` +
        'No cached record was available. Retry later, or add an explicit route (SVC_MESH_ROUTES) to skip discovery.',
      options,
    );
    this.target = target;
    this.source = source;
  }
}

export function isDiscoveryError(err: unknown): err is DiscoveryError {
  return err instanceof Error && err.name === 'DiscoveryError';
}
