/**
 * The worker's main module: a tiny stand-in for Lambda's Node runtime interface client.
 * It loads one handler (after starting tracing, like the ADOT layer would), then runs one
 * invocation at a time, exactly like a Lambda sandbox. Only Node built-ins here: this
 * file is bundled on its own and runs with no loader.
 * @internal
 */
import { pathToFileURL } from 'node:url';
import type { DoneMessage, ParentMessage, RuntimeErrorPayload, WorkerMessage } from './types.js';

const send = (m: WorkerMessage): void => {
  if (m.t === 'done') m.written = [written[0], written[1]];
  process.send?.(m);
};

/** The spans an invocation flushes collect here (tracingIpc.ts PENDING_SPANS_KEY) and ride its `done`. */
const PENDING_SPANS_KEY = Symbol.for('svc-mesh.local.pendingSpans');
type SpanHolder = { [PENDING_SPANS_KEY]?: (object[] & { timer?: NodeJS.Timeout | undefined }) | undefined };
function collectSpans(): void {
  (globalThis as SpanHolder)[PENDING_SPANS_KEY] = [];
}
/** Puts the invocation's pending spans on its `done` (and stops collecting). */
function withSpans(out: DoneMessage): DoneMessage {
  const pending = (globalThis as SpanHolder)[PENDING_SPANS_KEY];
  (globalThis as SpanHolder)[PENDING_SPANS_KEY] = undefined;
  if (pending === undefined) return out;
  if (pending.timer !== undefined) clearTimeout(pending.timer);
  pending.timer = undefined;
  if (pending.length > 0) out.spans = pending.splice(0);
  return out;
}

const TAIL = 4096;
let logTail: string | undefined;
let handler: ((event: unknown, context: unknown, callback?: unknown) => unknown) | undefined;
let currentId: string | undefined;
/** Between the init message and `ready`/`initError`: an error nobody handled now is an init error. */
let initPending = false;
/** From the tracing bootstrap: gives the invocation's first span the ids the mesh chose. */
let setInvocationIds: ((ids: { traceId: string; spanId: string } | undefined) => void) | undefined;

function appendLog(chunk: unknown): void {
  if (logTail === undefined) return;
  const s = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
  logTail += s;
  if (logTail.length > TAIL * 4) logTail = logTail.slice(-TAIL * 2);
}

/** Bytes written to stdout and stderr so far (sent with `done`: see DoneMessage.written). */
const written: [number, number] = [0, 0];

const byteLength = (chunk: unknown, encoding: unknown): number =>
  typeof chunk === 'string'
    ? Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
    : chunk instanceof Uint8Array
      ? chunk.byteLength
      : 0;

for (const [i, stream] of [process.stdout, process.stderr].entries()) {
  const orig = stream.write.bind(stream) as (...a: unknown[]) => boolean;
  (stream as unknown as { write: (...a: unknown[]) => boolean }).write = (...args: unknown[]) => {
    appendLog(args[0]);
    written[i] = (written[i] ?? 0) + byteLength(args[0], args[1]);
    return orig(...args);
  };
}

function toRapid(err: unknown): RuntimeErrorPayload {
  if (err instanceof Error) {
    return {
      errorType: err.name,
      errorMessage: err.message,
      trace: typeof err.stack === 'string' ? err.stack.split('\n') : [],
    };
  }
  let text: string;
  try {
    text = typeof err === 'string' ? err : (JSON.stringify(err) ?? String(err));
  } catch {
    text = String(err);
  }
  return { errorType: typeof err, errorMessage: text, trace: [] };
}

function fail(errorType: string, errorMessage: string, err?: unknown): RuntimeErrorPayload {
  const trace = err instanceof Error && typeof err.stack === 'string' ? err.stack.split('\n') : [];
  return { errorType, errorMessage, trace: [`${errorType}: ${errorMessage}`, ...trace.slice(1)] };
}

async function init(m: Extract<ParentMessage, { t: 'init' }>): Promise<void> {
  initPending = true;
  try {
    await initHandler(m);
  } finally {
    initPending = false;
  }
}

/** A spare sandbox's tracing bootstrap, loaded ahead of its init (the import is cached by URL). */
let preloaded: Promise<unknown> | undefined;

function preload(m: Extract<ParentMessage, { t: 'preload' }>): void {
  preloaded =
    m.tracing === undefined ? Promise.resolve() : import(pathToFileURL(m.tracing).href).catch(() => undefined);
  void preloaded.then(() => send({ t: 'preloaded' }));
}

/** A spare sandbox becomes the function's: its environment (all of it) and its folder. */
function adopt(env: Record<string, string>, cwd: string | undefined): void {
  for (const k of Object.keys(process.env)) if (!(k in env)) delete process.env[k];
  Object.assign(process.env, env);
  if (cwd !== undefined) process.chdir(cwd);
}

async function initHandler(m: Extract<ParentMessage, { t: 'init' }>): Promise<void> {
  const t0 = performance.now();
  if (m.env !== undefined) adopt(m.env, m.cwd);
  if (preloaded !== undefined) await preloaded;
  if (m.tracing !== undefined) {
    try {
      const mod = (await import(pathToFileURL(m.tracing).href)) as {
        startTracing?: () => unknown;
        setInvocationIds?: typeof setInvocationIds;
      };
      if (typeof mod.startTracing === 'function') await mod.startTracing();
      if (typeof mod.setInvocationIds === 'function') setInvocationIds = mod.setInvocationIds;
    } catch (err) {
      process.stderr.write(`svc-mesh: tracing did not start in this worker (${(err as Error).message}); continuing\n`);
    }
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(m.module).href)) as Record<string, unknown>;
  } catch (err) {
    const e = err as Error & { code?: string };
    if (e instanceof SyntaxError) {
      send({ t: 'initError', error: fail('Runtime.UserCodeSyntaxError', `${e.name}: ${e.message}`, e) });
    } else if (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND') {
      send({ t: 'initError', error: fail('Runtime.ImportModuleError', `Error: ${e.message}`, e) });
    } else {
      // An exception thrown while the module initialises reaches the caller as itself.
      send({ t: 'initError', error: toRapid(err) });
    }
    return;
  }
  let target: unknown = mod;
  let found = true;
  for (const part of m.export.split('.')) {
    const obj = target as Record<string, unknown> | undefined;
    let next = obj?.[part];
    if (next === undefined && obj === mod) {
      const def = mod['default'] as Record<string, unknown> | undefined;
      if (def !== null && (typeof def === 'object' || typeof def === 'function')) next = def[part];
    }
    if (next === undefined) {
      found = false;
      break;
    }
    target = next;
  }
  if (!found) {
    send({ t: 'initError', error: fail('Runtime.HandlerNotFound', `${m.handlerLabel} is undefined or not exported`) });
    return;
  }
  if (typeof target !== 'function') {
    send({ t: 'initError', error: fail('Runtime.HandlerNotFound', `${m.handlerLabel} is not a function`) });
    return;
  }
  handler = target as typeof handler;
  send({ t: 'ready', initMs: performance.now() - t0 });
}

function runHandler(event: unknown, context: Record<string, unknown>): Promise<unknown> {
  const fn = handler!;
  if (fn.length < 3) return Promise.resolve().then(() => fn(event, context));
  // Callback-style handler (Node ≤ 22 runtimes still support it): first of callback or promise wins.
  return new Promise((resolve, reject) => {
    const cb = (err: unknown, result: unknown) => (err ? reject(err) : resolve(result));
    try {
      const r = fn(event, context, cb);
      if (r !== null && typeof r === 'object' && typeof (r as Promise<unknown>).then === 'function') {
        (r as Promise<unknown>).then(resolve, reject);
      }
    } catch (err) {
      reject(err);
    }
  });
}

async function invoke(m: Extract<ParentMessage, { t: 'invoke' }>): Promise<void> {
  currentId = m.id;
  const started = performance.now();
  logTail = m.tail ? `START RequestId: ${m.id} Version: $LATEST\n` : undefined;
  if (m.attempt !== undefined) process.env['SVC_MESH_ATTEMPT'] = String(m.attempt);
  else delete process.env['SVC_MESH_ATTEMPT'];
  if (m.traceId !== undefined) process.env['_X_AMZN_TRACE_ID'] = m.traceId;
  else delete process.env['_X_AMZN_TRACE_ID'];
  const env = process.env;
  const context: Record<string, unknown> = {
    functionName: env['AWS_LAMBDA_FUNCTION_NAME'],
    functionVersion: env['AWS_LAMBDA_FUNCTION_VERSION'] ?? '$LATEST',
    memoryLimitInMB: env['AWS_LAMBDA_FUNCTION_MEMORY_SIZE'],
    logGroupName: env['AWS_LAMBDA_LOG_GROUP_NAME'],
    logStreamName: env['AWS_LAMBDA_LOG_STREAM_NAME'],
    invokedFunctionArn: m.invokedFunctionArn,
    awsRequestId: m.id,
    clientContext: m.clientContext === undefined ? undefined : JSON.parse(m.clientContext),
    identity: undefined,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, m.deadlineMs - Date.now()),
  };
  const out: DoneMessage = { t: 'done', id: m.id };
  setInvocationIds?.(m.span);
  if (setInvocationIds !== undefined) collectSpans();
  try {
    const event = m.payload.length === 0 ? {} : JSON.parse(m.payload);
    const result = await runHandler(event, context);
    try {
      out.result = JSON.stringify(result === undefined ? null : result) ?? 'null';
    } catch (err) {
      out.error = fail(
        'Runtime.MalformedHandlerResponse',
        `Unable to stringify the handler's result: ${(err as Error).message}`,
      );
    }
  } catch (err) {
    out.error = toRapid(err);
    if (logTail !== undefined) appendLog(`ERROR\t${JSON.stringify(out.error)}\n`);
  }
  if (logTail !== undefined) {
    appendLog(
      `END RequestId: ${m.id}\nREPORT RequestId: ${m.id}\tDuration: ${(performance.now() - started).toFixed(2)} ms\t` +
        `Memory Size: ${env['AWS_LAMBDA_FUNCTION_MEMORY_SIZE']} MB\tMax Memory Used: ${Math.round(process.memoryUsage.rss() / 2 ** 20)} MB\n`,
    );
    out.log = Buffer.from(logTail).subarray(-TAIL).toString('utf8');
  }
  setInvocationIds?.(undefined);
  logTail = undefined;
  currentId = undefined;
  send(withSpans(capResponse(out)));
}

/** Lambda's response payload limit, for results and errors alike (constants.ts SYNC_RESPONSE_LIMIT). */
const RESPONSE_LIMIT = 6_291_556;

/**
 * Enforces the response limit here, before IPC: a huge result or error message never crosses
 * to the mesh (two 480 MiB results took it to 3.1 GB). The string length is a lower bound of
 * the UTF-8 size, so the exact count only runs near the limit.
 */
function capResponse(out: DoneMessage): DoneMessage {
  const tooLarge = (s: string) => s.length > RESPONSE_LIMIT || Buffer.byteLength(s) > RESPONSE_LIMIT;
  const errorSize = out.error === undefined ? '' : JSON.stringify(out.error);
  if ((out.result === undefined || !tooLarge(out.result)) && !tooLarge(errorSize)) return out;
  const capped: DoneMessage = {
    t: 'done',
    id: out.id,
    error: {
      errorType: 'Function.ResponseSizeTooLarge',
      errorMessage: `Response payload size exceeded maximum allowed payload size (${RESPONSE_LIMIT} bytes).`,
    },
  };
  if (out.log !== undefined) capped.log = out.log;
  if (out.fatal === true) capped.fatal = true;
  return capped;
}

/**
 * A rejection nobody handled, as Lambda's Node runtime reports it: errorType
 * `Runtime.UnhandledPromiseRejection`, the reason as text, its stack under the runtime's line.
 */
function unhandledRejection(reason: unknown): RuntimeErrorPayload {
  let text: string;
  try {
    text = reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason);
  } catch {
    text = 'unknown reason';
  }
  const stack = reason instanceof Error && typeof reason.stack === 'string' ? reason.stack.split('\n').slice(1) : [];
  return {
    errorType: 'Runtime.UnhandledPromiseRejection',
    errorMessage: text,
    trace: [`Runtime.UnhandledPromiseRejection: ${text}`, ...stack],
  };
}

// An error nobody awaited fails the current invocation, and this sandbox is not reused.
const onUncaught = (err: unknown, rejection = false) => {
  if (currentId !== undefined) {
    const error = rejection ? unhandledRejection(err) : toRapid(err);
    send(withSpans(capResponse({ t: 'done', id: currentId, error, fatal: true })));
    currentId = undefined;
  } else if (initPending) {
    // while the handler's module loads, as Lambda reports it: the init fails with this error
    initPending = false;
    send({ t: 'initError', error: rejection ? unhandledRejection(err) : toRapid(err) });
  } else {
    process.stderr.write(`svc-mesh: uncaught error outside an invocation: ${(err as Error)?.stack ?? String(err)}\n`);
  }
  process.exitCode = 1;
  setImmediate(() => process.exit(1));
};
process.on('uncaughtException', (err) => onUncaught(err));
process.on('unhandledRejection', (reason) => onUncaught(reason, true));
process.on('disconnect', () => process.exit(0));
process.on('message', (m: ParentMessage) => {
  if (m.t === 'init') void init(m);
  else if (m.t === 'invoke') void invoke(m);
  else if (m.t === 'preload') preload(m);
});
