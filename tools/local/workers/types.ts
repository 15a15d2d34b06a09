/**
 * Messages between the mesh (parent) and a worker process, over the fork IPC channel.
 * @internal
 */

/** The error payload Lambda's Node runtime produces (`Errors.toRapidResponse`). */
export interface RuntimeErrorPayload {
  errorType: string;
  errorMessage: string;
  trace?: string[];
}

export interface InitMessage {
  t: 'init';
  /** Absolute path of the bundled handler module. */
  module: string;
  /** Export path, e.g. `hello` or `handlers.hello`. */
  export: string;
  /** As written in serverless.yml, for error messages (`src/handler.hello`). */
  handlerLabel: string;
  /** Absolute path of the tracing bootstrap module, if tracing is on. */
  tracing?: string;
  /**
   * For a spare sandbox (started before anyone needed it, see Spare.ts): the function's whole
   * environment and folder, applied before tracing starts and the handler loads.
   */
  env?: Record<string, string>;
  cwd?: string;
}

/** To a spare sandbox: load (not start) the tracing bootstrap now, so its cold start skips that. */
export interface PreloadMessage {
  t: 'preload';
  tracing?: string;
}

export interface InvokeMessage {
  t: 'invoke';
  id: string;
  /** The event as JSON text. */
  payload: string;
  deadlineMs: number;
  invokedFunctionArn: string;
  /** JSON text of the decoded client context (sync only). */
  clientContext?: string;
  traceId?: string;
  /** Send back the log tail (X-Amz-Log-Type: Tail). */
  tail: boolean;
  /** Attempt of the invocation (Event retries), exposed to the handler as `SVC_MESH_ATTEMPT`. */
  attempt?: number;
  /** Ids of this invocation's span, chosen by the mesh (tracing on): the handler's first span takes them. */
  span?: { traceId: string; spanId: string };
}

export type ParentMessage = InitMessage | InvokeMessage | PreloadMessage;

export interface ReadyMessage {
  t: 'ready';
  /** Milliseconds spent loading the handler (the init duration). */
  initMs: number;
}
/** From a spare sandbox: its preload is done (Node booted, the tracing bootstrap loaded). */
export interface PreloadedMessage {
  t: 'preloaded';
}
export interface InitErrorMessage {
  t: 'initError';
  error: RuntimeErrorPayload;
}
export interface DoneMessage {
  t: 'done';
  id: string;
  /** JSON text of the result (`null` for undefined). */
  result?: string;
  error?: RuntimeErrorPayload;
  log?: string;
  /** The worker must not be reused (e.g. an uncaught exception). */
  fatal?: boolean;
  /**
   * Bytes the worker had written to stdout and stderr (in total) when it sent this message. The
   * pipes and the IPC channel are separate file descriptors, so the mesh may read `done` before
   * the last lines; it waits (bounded) until it has received this much.
   */
  written?: [number, number];
  /** Spans the invocation flushed, carried by its `done`: one IPC message per invocation. */
  spans?: SpansBody[];
}
/**
 * Finished spans: an OTLP/JSON `ExportTraceServiceRequest` as an object (the IPC channel's JSON is
 * its only encoding) or as text. Untrusted: the mesh validates it as it does a `/v1/traces` body.
 */
export type SpansBody = string | object;
/** Finished spans flushed outside an invocation, or ahead of a `done` when many. */
export interface SpansMessage {
  t: 'spans';
  body: SpansBody;
}
export type WorkerMessage = ReadyMessage | PreloadedMessage | InitErrorMessage | DoneMessage | SpansMessage;
