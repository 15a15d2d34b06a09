/**
 * `svc-mesh/invoke`: call functions by `service:function` name, and wrap handlers.
 *
 * @example
 * ```ts
 * import { sdk, createSdk, defineFunction } from 'svc-mesh/invoke';
 * ```
 */
export { Sdk, createSdk, resetDefaults, sdk } from './Sdk.js';
export type { MeshSdk } from './Sdk.js';
export { defineFunction } from './defineFunction.js';
export { sdkFor } from './sdkFor.js';
export type {
  CallingOf,
  FunctionSdk,
  KnownFunction,
  NamedCalls,
  ResolveName,
  ShortNames,
  SvcMeshFunctions,
  UnnamedCalls,
  UnnamedInput,
} from './sdkFor.js';
export { attachErrorMarker, parseFunctionError, encodeClientContext } from './wire.js';
export type { FunctionErrorBody } from './wire.js';
export {
  SYNC_PAYLOAD_LIMIT,
  ASYNC_PAYLOAD_LIMIT,
  CLIENT_CONTEXT_LIMIT,
  ERROR_MARKER,
} from './constants.js';
export type {
  DefineFunctionOptions,
  Envelope,
  HandlerContext,
  Hop,
  InvokeAsyncOptions,
  InvokeAsyncResult,
  InvokeOptions,
  KnownTarget,
  LambdaContext,
  MeshFunction,
  MeshHandler,
  SvcMeshTargets,
  TargetInput,
  TargetOutput,
  WireMeta,
} from './types.js';
export type { SdkConfig, Route, DiscoverySource, Credentials, SendClient } from '../internal/config.js';
export {
  InvalidTargetError,
  isInvalidTargetError,
  UndeclaredCallError,
  isUndeclaredCallError,
  AmbiguousTargetError,
  isAmbiguousTargetError,
  UnnamedCallError,
  isUnnamedCallError,
  RemoteFunctionError,
  isRemoteFunctionError,
  InvokeTimeoutError,
  isInvokeTimeoutError,
  PayloadTooLargeError,
  isPayloadTooLargeError,
  PayloadNotSerializableError,
  isPayloadNotSerializableError,
  ThrottledError,
  isThrottledError,
  AccessDeniedError,
  isAccessDeniedError,
  AbortedError,
  isAbortedError,
  InvokeError,
  isInvokeError,
} from './errors.js';
