export { ERROR_CODES } from './codes.js';
export type { ErrorCode } from './codes.js';
export { SvcMeshError, isSvcMeshError } from './SvcMeshError.js';
export type { SvcMeshErrorOptions } from './SvcMeshError.js';
export { InvalidTargetError, isInvalidTargetError } from './InvalidTargetError.js';
export { InvalidConfigError, isInvalidConfigError } from './InvalidConfigError.js';
export { DiscoveryRecordError, isDiscoveryRecordError } from './DiscoveryRecordError.js';
