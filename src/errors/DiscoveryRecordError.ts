import { SvcMeshError } from './SvcMeshError.js';

/** Thrown when a discovery record (SSM parameter, export, or route) cannot be used. */
export class DiscoveryRecordError extends SvcMeshError {
  override readonly name: 'DiscoveryRecordError' | 'InvalidDiscoveryRecordError' = 'DiscoveryRecordError';
  /** Where the record came from, e.g. `ssm:/svc-mesh/dev/users/create`. */
  readonly source: string;
  constructor(source: string, reason: string) {
    super(
      'INVALID_DISCOVERY_RECORD',
      `Discovery record ${source} is not usable: ${reason}. Regenerate it with \`svc-codegen\` and redeploy the target service.`,
    );
    this.source = source;
  }
}

/** True for {@link DiscoveryRecordError} and its subclass `InvalidDiscoveryRecordError`. */
export function isDiscoveryRecordError(err: unknown): err is DiscoveryRecordError {
  return err instanceof Error && (err.name === 'DiscoveryRecordError' || err.name === 'InvalidDiscoveryRecordError');
}
