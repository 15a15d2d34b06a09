/**
 * The typed-target registry. Codegen augments it, one entry per callable function:
 *
 * @example
 * ```ts
 * declare module 'svc-mesh' {
 *   interface SvcMeshTargets {
 *     'payments:charge': { input: ChargeInput; output: ChargeOutput };
 *   }
 * }
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: augmented by codegen
export interface SvcMeshTargets {}

/** A target known to {@link SvcMeshTargets}. */
export type KnownTarget = keyof SvcMeshTargets & string;

/** The input type of a target: strict for known targets, `unknown` otherwise. */
export type TargetInput<T extends string> = T extends KnownTarget
  ? SvcMeshTargets[T] extends { input: infer I }
    ? I
    : unknown
  : unknown;

/** The output type of a target: strict for known targets, `unknown` otherwise. */
export type TargetOutput<T extends string> = T extends KnownTarget
  ? SvcMeshTargets[T] extends { output: infer O }
    ? O
    : unknown
  : unknown;

/** Options of `sdk.invoke`. */
export interface InvokeOptions {
  /** Upper bound for this call in ms (the Lambda deadline minus a margin also applies). */
  timeoutMs?: number;
  /** Aborts the call (also between retries) with `AbortedError`. */
  signal?: AbortSignal;
  /**
   * Makes the call safe to retry after a function error or timeout; travels to the callee
   * (`ctx.idempotencyKey`). At most 256 characters.
   */
  idempotencyKey?: string;
  /** Resolve in this stage (then the configured fallback stages) instead of the configured one. */
  stage?: string;
  /** The target is not mesh-aware: send no ClientContext (the payload is plain JSON either way). */
  raw?: boolean;
  /**
   * Serves a value instead of failing when the target's breaker is open, its bulkhead is full, or
   * the call failed in a way that counts against the breaker (docs/resiliency.md). Not called for
   * the callee's business errors or the caller's own mistakes.
   */
  fallback?: (err: unknown) => unknown;
}

/** Options of `sdk.invokeAsync`. */
export interface InvokeAsyncOptions {
  stage?: string;
  /** Send the input as is, without the svc-mesh envelope (for functions not wrapped by `defineFunction`). */
  raw?: boolean;
  signal?: AbortSignal;
  /** Upper bound for the Event request in ms. */
  timeoutMs?: number;
}

/** Result of `sdk.invokeAsync`: Lambda accepted the event (HTTP 202). */
export interface InvokeAsyncResult {
  requestId?: string;
}

/** The metadata svc-mesh sends with a call (ClientContext `custom` or envelope `meta`); every value is a string. */
export type WireMeta = {
  svcmesh: '1';
  caller?: string;
  traceparent?: string;
  tracestate?: string;
  baggage?: string;
  /** Epoch ms by which the caller needs the answer. */
  deadline?: string;
  idempotencyKey?: string;
};

/** The Event envelope: `{"svcmesh":1,"meta":{…},"payload":<input>}`. */
export interface Envelope<I = unknown> {
  svcmesh: 1;
  meta: WireMeta;
  payload: I;
}

/** The Lambda `context` object (the Node.js runtime's shape; `@types/aws-lambda`'s `Context` fits it). */
export interface LambdaContext {
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  awsRequestId: string;
  logGroupName: string;
  logStreamName: string;
  clientContext?: { custom?: any; client?: unknown; env?: unknown } | undefined;
  identity?: unknown;
  tenantId?: string | undefined;
  callbackWaitsForEmptyEventLoop?: boolean;
  getRemainingTimeInMillis(): number;
}

/** How the current invocation arrived. `direct`: a plain event from a caller that is not svc-mesh. */
export type Hop = 'sync' | 'async' | 'event' | 'direct';

/** The second argument of a `defineFunction` handler. */
export interface HandlerContext {
  /** The Lambda context, unchanged. */
  lambda: LambdaContext;
  /** Lambda request id of this invocation. */
  requestId: string;
  /** `service:function` of the svc-mesh caller, when called through svc-mesh. */
  caller?: string;
  /** Epoch ms by which this invocation must answer: the Lambda deadline or the caller's, whichever is sooner. */
  deadline: number;
  /** Milliseconds left until `deadline`. */
  remainingMs(): number;
  hop: Hop;
  /** The caller's idempotency key, when it gave one. */
  idempotencyKey?: string;
}

/** A handler body for `defineFunction`. */
export type MeshHandler<I, O> = (input: I, ctx: HandlerContext) => Promise<O> | O;

/**
 * A Lambda handler built by `defineFunction`. The phantom `__svcmesh` field carries the input
 * and output types for codegen's contracts.
 */
export interface MeshFunction<I, O> {
  (event: I, context: LambdaContext): Promise<O>;
  /** Types only; never set at run time. */
  readonly __svcmesh?: { readonly input: I; readonly output: O };
}

/** Options of `defineFunction` and `defineSubscriber`. */
export interface DefineFunctionOptions {
  /** The runtime to use (default: the `sdk` built from the environment). */
  sdk?: import('./Sdk.js').Sdk;
  /** Publish lifecycle events; default `SVC_MESH_SUBSCRIBABLE`. */
  subscribable?: boolean;
  /** `failed` is published this long before the Lambda deadline if the function is still running. Default 500 ms. */
  timeoutEventMarginMs?: number;
  /**
   * What a failed lifecycle publish does: `log` (default: a JSON line on stderr, the
   * function's result is unchanged) or `throw` (the invocation fails with `PublishError`).
   */
  onPublishError?: 'log' | 'throw';
}
