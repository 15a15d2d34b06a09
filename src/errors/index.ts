/**
 * `svc-mesh/errors`: every error svc-mesh throws, each with a stable `code` and an `isXError()` guard.
 *
 * @example
 * ```ts
 * import { isRemoteFunctionError, isSvcMeshError } from 'svc-mesh/errors';
 * ```
 */
export { ERROR_CODES } from './codes.js';
export type { ErrorCode } from './codes.js';
export { SvcMeshError, isSvcMeshError } from './SvcMeshError.js';
export type { SvcMeshErrorOptions } from './SvcMeshError.js';
export { InvalidTargetError, isInvalidTargetError } from './InvalidTargetError.js';
export { InvalidConfigError, isInvalidConfigError } from './InvalidConfigError.js';
export { MissingDependencyError, isMissingDependencyError } from './MissingDependencyError.js';
export { DiscoveryRecordError, isDiscoveryRecordError } from './DiscoveryRecordError.js';
export { InvalidDiscoveryRecordError, isInvalidDiscoveryRecordError } from './InvalidDiscoveryRecordError.js';
export type { DiscoveryRecordIdentity } from './InvalidDiscoveryRecordError.js';
export { UndeclaredCallError, isUndeclaredCallError } from './UndeclaredCallError.js';
export type { UndeclaredCallDetail } from './UndeclaredCallError.js';
export { AmbiguousTargetError, isAmbiguousTargetError } from './AmbiguousTargetError.js';
export { UnnamedCallError, isUnnamedCallError } from './UnnamedCallError.js';
export { TargetNotFoundError, isTargetNotFoundError } from './TargetNotFoundError.js';
export type { SearchedLocation } from './TargetNotFoundError.js';
export { DiscoveryError, isDiscoveryError } from './DiscoveryError.js';
export { RemoteFunctionError, isRemoteFunctionError } from './RemoteFunctionError.js';
export type { RemoteFailureRoot, RemoteFunctionErrorDetails } from './RemoteFunctionError.js';
export { InvokeTimeoutError, isInvokeTimeoutError } from './InvokeTimeoutError.js';
export { PayloadTooLargeError, isPayloadTooLargeError } from './PayloadTooLargeError.js';
export { PayloadNotSerializableError, isPayloadNotSerializableError } from './PayloadNotSerializableError.js';
export { ThrottledError, isThrottledError } from './ThrottledError.js';
export { AccessDeniedError, isAccessDeniedError } from './AccessDeniedError.js';
export { AbortedError, isAbortedError } from './AbortedError.js';
export { InvokeError, isInvokeError } from './InvokeError.js';
export { PublishError, isPublishError } from './PublishError.js';
export { InvalidEventError, isInvalidEventError } from './InvalidEventError.js';
export { CircuitOpenError, isCircuitOpenError } from './CircuitOpenError.js';
export { BulkheadRejectedError, isBulkheadRejectedError } from './BulkheadRejectedError.js';
