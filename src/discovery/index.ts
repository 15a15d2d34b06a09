/**
 * `svc-mesh/discovery`: resolve `service:function` to a function ARN (routes → SSM → exports,
 * per stage chain, cached).
 *
 * @example
 * ```ts
 * import { createSdk } from 'svc-mesh';
 * const sdk = createSdk({ stage: 'alice', stageFallback: ['dev'] });
 * const { functionArn, stage, source } = await sdk.resolve('payments:charge');
 * ```
 */
export { ServiceResolver } from './ServiceResolver.js';
export type { ResolvedTarget, ResolvedSource, ResolverStats } from './types.js';
export {
  TargetNotFoundError,
  isTargetNotFoundError,
  DiscoveryRecordError,
  isDiscoveryRecordError,
  InvalidDiscoveryRecordError,
  isInvalidDiscoveryRecordError,
  DiscoveryError,
  isDiscoveryError,
} from './errors.js';
export type { SearchedLocation } from './errors.js';
export { DISCOVERY_RETRIES, SSM_BATCH_SIZE } from './constants.js';
