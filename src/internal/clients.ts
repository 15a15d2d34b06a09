/**
 * Lazily built AWS SDK v3 clients. Each client package is loaded with `await import()` on first
 * use, so importing `svc-mesh` loads none of them. Every client is built with `maxAttempts: 1`:
 * svc-mesh decides what to retry (p-retry), so nothing is retried twice.
 * @internal
 */
import { MissingDependencyError } from '../errors/MissingDependencyError.js';
import { type ResolvedConfig, type SendClient, requireRegion } from './config.js';

/**
 * `import(name)` of an AWS client, with a missing package turned into a typed, non-retryable
 * {@link MissingDependencyError} naming the install command (instead of a retryable discovery or
 * publish failure). `load` is a literal dynamic import of the package, so that bundlers still see the dependency.
 */
async function loadClient<M>(name: string, feature: string, load: () => Promise<M>): Promise<M> {
  try {
    return await load();
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown };
    if (
      (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND') &&
      typeof e.message === 'string' &&
      e.message.includes(`'${name}'`)
    )
      throw new MissingDependencyError(name, feature, { cause: err });
    throw err;
  }
}

type Ctor = new (input: any) => any;
export interface Loaded<C extends Record<string, Ctor>> {
  client: SendClient;
  commands: C;
  /**
   * True on the clients svc-mesh builds: an `X-Amzn-Trace-Id` value stored on a command under
   * {@link TRACE_HEADER} is added to its request by one middleware installed with the client,
   * instead of a middleware added to every command (or a WeakMap entry per call, which costs more).
   */
  traceHeader?: true;
}

/** Where a call stores the `X-Amzn-Trace-Id` value for its command (see Loaded.traceHeader). */
const TRACE_HEADER = Symbol('svc-mesh X-Amzn-Trace-Id');

type TraceHeaderContext = { __smithy_context?: { commandInstance?: { [TRACE_HEADER]?: string } } };

/** A build-step middleware setting `X-Amzn-Trace-Id` to what `header` gives for the call. */
function traceHeaderStep(
  stack: { add(mw: unknown, o: object): void },
  header: (c: TraceHeaderContext) => string | undefined,
) {
  stack.add(
    (next: Next, context: TraceHeaderContext) => (args: Parameters<Next>[0]) => {
      const h = header(context);
      if (h !== undefined && args.request?.headers !== undefined) args.request.headers['X-Amzn-Trace-Id'] = h;
      return next(args);
    },
    { step: 'build', name: 'svcMeshXRayTraceHeader' },
  );
}

/** Installs, once per client, the middleware that sends the header a call stored on its command. */
function installTraceHeader(client: unknown): boolean {
  const stack = (client as { middlewareStack?: { add(mw: unknown, o: object): void } }).middlewareStack;
  if (stack === undefined) return false;
  traceHeaderStep(stack, (c) => c.__smithy_context?.commandInstance?.[TRACE_HEADER]);
  return true;
}

/**
 * Sends `X-Amzn-Trace-Id: header` with one command: through the client's middleware when svc-mesh
 * built the client, else with a middleware on the command (a no-op without a middleware stack).
 */
export function attachTraceHeader(loaded: Loaded<Record<string, Ctor>>, cmd: object, header: string): void {
  if (loaded.traceHeader) {
    (cmd as { [TRACE_HEADER]?: string })[TRACE_HEADER] = header;
    return;
  }
  const stack = (cmd as { middlewareStack?: { add(mw: unknown, o: object): void } }).middlewareStack;
  if (stack !== undefined) traceHeaderStep(stack, () => header);
}

/** Builds client options: region, endpoint and credentials only when given (the SDK reads the rest). */
function clientOptions(c: ResolvedConfig): Record<string, unknown> {
  const o: Record<string, unknown> = { region: requireRegion(c), maxAttempts: 1 };
  if (c.endpoint !== undefined) o['endpoint'] = c.endpoint;
  if (c.credentials !== undefined) o['credentials'] = c.credentials;
  return o;
}

/** The retry middleware's place in the AWS SDK's stack (@smithy/core retryMiddlewareOptions). */
const RETRY_MIDDLEWARE = {
  name: 'retryMiddleware',
  tags: ['RETRY'],
  step: 'finalizeRequest',
  priority: 'high',
  override: true,
} as const;

type Next = (args: { request?: { headers?: Record<string, string> } }) => Promise<unknown>;

/**
 * With `maxAttempts: 1` the SDK's retry middleware never retries, yet on every call it still awaits
 * its strategy, takes a retry token, races it against the abort signal and builds an error-info
 * object: about 20 µs of CPU per warm Invoke on a 2-core machine (bench/runtime.bench.ts). In the
 * clients svc-mesh builds itself it is replaced by a single attempt that sends the same two headers
 * (`amz-sdk-invocation-id`, `amz-sdk-request: attempt=1; max=1`). Clients the user hands in are
 * left as they are.
 */
function singleAttempt(client: unknown): void {
  const stack = (client as { middlewareStack?: { remove(name: string): boolean; add(mw: unknown, o: object): void } })
    .middlewareStack;
  if (stack === undefined || !stack.remove(RETRY_MIDDLEWARE.name)) return;
  stack.add(
    (next: Next) => (args: Parameters<Next>[0]) => {
      const headers = args.request?.headers;
      if (headers !== undefined) {
        headers['amz-sdk-invocation-id'] = globalThis.crypto.randomUUID();
        headers['amz-sdk-request'] = 'attempt=1; max=1';
      }
      return next(args);
    },
    RETRY_MIDDLEWARE,
  );
}

export class AwsClients {
  #lambda: Promise<Loaded<{ InvokeCommand: Ctor }>> | undefined;
  /** The discovery and event clients, each loaded on first use; a failed load is forgotten so the next call retries. */
  readonly #others = new Map<'ssm' | 'cfn' | 'sns', Promise<unknown>>();
  /** The Lambda client once loaded (lets the warm path skip an await). */
  lambdaReady: Loaded<{ InvokeCommand: Ctor }> | undefined;

  constructor(private readonly config: ResolvedConfig) {}

  lambda(): Promise<Loaded<{ InvokeCommand: Ctor }>> {
    this.#lambda ??= (async () => {
      const given = this.config.clients.lambda;
      const opts = given ? undefined : clientOptions(this.config);
      const m = await loadClient(
        '@aws-sdk/client-lambda',
        'Invoking a function',
        () => import('@aws-sdk/client-lambda'),
      );
      let client = given;
      let traceHeader = false;
      if (client === undefined) {
        client = new m.LambdaClient(opts!);
        singleAttempt(client);
        traceHeader = installTraceHeader(client);
      }
      const loaded: Loaded<{ InvokeCommand: Ctor }> = { client, commands: { InvokeCommand: m.InvokeCommand } };
      if (traceHeader) loaded.traceHeader = true;
      this.lambdaReady = loaded;
      return loaded;
    })();
    this.#lambda.catch(() => (this.#lambda = undefined));
    return this.#lambda;
  }

  ssm(): Promise<Loaded<{ GetParametersCommand: Ctor }>> {
    return this.#once('ssm', async () => {
      const m = await loadClient('@aws-sdk/client-ssm', 'SSM discovery', () => import('@aws-sdk/client-ssm'));
      return {
        client: this.config.clients.ssm ?? new m.SSMClient(clientOptions(this.config)),
        commands: { GetParametersCommand: m.GetParametersCommand },
      };
    });
  }

  cloudformation(): Promise<Loaded<{ ListExportsCommand: Ctor }>> {
    return this.#once('cfn', async () => {
      const m = await loadClient(
        '@aws-sdk/client-cloudformation',
        "Discovery through CloudFormation exports ('exports' in SVC_MESH_DISCOVERY)",
        () => import('@aws-sdk/client-cloudformation'),
      );
      return {
        client: this.config.clients.cloudformation ?? new m.CloudFormationClient(clientOptions(this.config)),
        commands: { ListExportsCommand: m.ListExportsCommand },
      };
    });
  }

  sns(): Promise<Loaded<{ PublishCommand: Ctor }>> {
    return this.#once('sns', async () => {
      const m = await loadClient(
        '@aws-sdk/client-sns',
        'Publishing lifecycle events (subscribable: true)',
        () => import('@aws-sdk/client-sns'),
      );
      return {
        client: this.config.clients.sns ?? new m.SNSClient(clientOptions(this.config)),
        commands: { PublishCommand: m.PublishCommand },
      };
    });
  }

  #once<T>(key: 'ssm' | 'cfn' | 'sns', load: () => Promise<T>): Promise<T> {
    let p = this.#others.get(key) as Promise<T> | undefined;
    if (p === undefined) {
      p = load();
      this.#others.set(key, p);
      p.catch(() => this.#others.delete(key));
    }
    return p;
  }
}
