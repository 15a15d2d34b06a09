/**
 * svc-mesh runtime: what a Lambda handler imports.
 * Keep this import graph tiny: no SNS/SSM/CloudFormation clients at import time (every AWS
 * client, Lambda's included, is loaded on first use), nothing from src/local or codegen, and
 * only @opentelemetry/api for tracing. test/unit/lazy-load.test.ts proves it.
 *
 * @example
 * ```ts
 * import { sdk, defineFunction } from 'svc-mesh';
 * export const handler = defineFunction<{ id: string }, { ok: true }>(async (input, ctx) => {
 *   await sdk.invoke('users:touch', { id: input.id });
 *   return { ok: true };
 * });
 * ```
 */
export { sdk, createSdk, resetDefaults, Sdk } from './invoke/Sdk.js';
export type { MeshSdk } from './invoke/Sdk.js';
export { defineFunction } from './invoke/defineFunction.js';
export { sdkFor } from './invoke/sdkFor.js';
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
} from './invoke/sdkFor.js';
export { defineSubscriber } from './events/defineSubscriber.js';
export type { MeshSubscriber, SubscriberHandler } from './events/defineSubscriber.js';
export type { LifecycleEvent, LifecycleError } from './events/types.js';
export type {
  DefineFunctionOptions,
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
} from './invoke/types.js';
export type { SdkConfig, Route, DiscoverySource, Credentials, XRayHeaderMode } from './internal/config.js';
export type {
  BreakerHealth,
  BreakerState,
  BulkheadHealth,
  MeshHealth,
  QueuedFallback,
  ResilienceEvent,
} from './resilience/index.js';
export type { ResolvedTarget } from './discovery/types.js';
export {
  SvcMeshError,
  isSvcMeshError,
  InvalidTargetError,
  isInvalidTargetError,
  InvalidConfigError,
  isInvalidConfigError,
  MissingDependencyError,
  isMissingDependencyError,
  DiscoveryRecordError,
  isDiscoveryRecordError,
  InvalidDiscoveryRecordError,
  isInvalidDiscoveryRecordError,
  UndeclaredCallError,
  isUndeclaredCallError,
  AmbiguousTargetError,
  isAmbiguousTargetError,
  UnnamedCallError,
  isUnnamedCallError,
  TargetNotFoundError,
  isTargetNotFoundError,
  DiscoveryError,
  isDiscoveryError,
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
  PublishError,
  isPublishError,
  InvalidEventError,
  isInvalidEventError,
  CircuitOpenError,
  isCircuitOpenError,
  BulkheadRejectedError,
  isBulkheadRejectedError,
} from './errors/index.js';
export type { ErrorCode } from './errors/index.js';
export { parseTarget } from './internal/names.js';
export type { Target, LifecycleType } from './internal/names.js';
