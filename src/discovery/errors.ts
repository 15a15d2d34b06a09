/** Errors thrown by discovery (the classes live in src/errors; re-exported here by capability). */
export { TargetNotFoundError, isTargetNotFoundError } from '../errors/TargetNotFoundError.js';
export type { SearchedLocation } from '../errors/TargetNotFoundError.js';
export { DiscoveryRecordError, isDiscoveryRecordError } from '../errors/DiscoveryRecordError.js';
export {
  InvalidDiscoveryRecordError,
  isInvalidDiscoveryRecordError,
} from '../errors/InvalidDiscoveryRecordError.js';
export { DiscoveryError, isDiscoveryError } from '../errors/DiscoveryError.js';
export { AccessDeniedError, isAccessDeniedError } from '../errors/AccessDeniedError.js';
