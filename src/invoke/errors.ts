/** Errors thrown by invoke (the classes live in src/errors; re-exported here by capability). */
export { InvalidTargetError, isInvalidTargetError } from '../errors/InvalidTargetError.js';
export { UndeclaredCallError, isUndeclaredCallError } from '../errors/UndeclaredCallError.js';
export { AmbiguousTargetError, isAmbiguousTargetError } from '../errors/AmbiguousTargetError.js';
export { UnnamedCallError, isUnnamedCallError } from '../errors/UnnamedCallError.js';
export { RemoteFunctionError, isRemoteFunctionError } from '../errors/RemoteFunctionError.js';
export type { RemoteFunctionErrorDetails } from '../errors/RemoteFunctionError.js';
export { InvokeTimeoutError, isInvokeTimeoutError } from '../errors/InvokeTimeoutError.js';
export { PayloadTooLargeError, isPayloadTooLargeError } from '../errors/PayloadTooLargeError.js';
export { PayloadNotSerializableError, isPayloadNotSerializableError } from '../errors/PayloadNotSerializableError.js';
export { ThrottledError, isThrottledError } from '../errors/ThrottledError.js';
export { AccessDeniedError, isAccessDeniedError } from '../errors/AccessDeniedError.js';
export { AbortedError, isAbortedError } from '../errors/AbortedError.js';
export { InvokeError, isInvokeError } from '../errors/InvokeError.js';
