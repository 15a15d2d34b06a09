/**
 * `svc-mesh-tools/local`: the local mesh. Every service under the given paths on one port of
 * 127.0.0.1, behind AWS-compatible Lambda, SNS, SSM and CloudFormation endpoints, with
 * Lambda-like workers, the generated IAM policies enforced, and the trace collector.
 * Dev-time only; never imported from the runtime path.
 *
 * @example
 * ```ts
 * import { startLocalMesh } from 'svc-mesh-tools/local';
 * import { LambdaClient, InvokeCommand } from '@aws-sdk/client-lambda';
 *
 * await using mesh = await startLocalMesh({ paths: ['examples/shop'], stage: 'dev', port: 0 });
 * const lambda = new LambdaClient({ endpoint: mesh.endpoint, region: 'us-east-1',
 *   credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
 * const out = await lambda.send(new InvokeCommand({ FunctionName: 'orders-dev-placeOrder', Payload: '{"sku":"a"}' }));
 * ```
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { PolicyDocument, Project, ProjectOptions, SeedPlan } from '../../codegen/model.js';
import { lambdaArn, parseExportName, physicalFunctionName } from 'svc-mesh/internal';
import { CloudFormationService } from './cloudformation/CloudFormationService.js';
import {
  DEFAULT_ASYNC_RETRY_DELAYS_MS,
  DEVELOPER_ACCESS_KEY_ID,
  LOCAL_ACCOUNT,
  LOCAL_KEY_PREFIX,
  LOCAL_REGION,
  LOCAL_SECRET_ACCESS_KEY,
} from './constants.js';
import { MeshCore } from './core.js';
import { FaultInjector, injectedSpanRequest } from './faults.js';
import { resilienceView } from './resilienceView.js';
import { LocalMeshStartError, PortInUseError } from './errors.js';
import { InvocationSpans } from './invocationSpans.js';
import { ConfigWatcher, type LoadedGraph } from './reload.js';
import { LambdaService } from './lambda/LambdaService.js';
import { createDispatcher, type TraceServiceLike } from './server.js';
import { SnsService } from './sns/SnsService.js';
import { SsmService } from './ssm/SsmService.js';
import type { DeadLetter, FunctionSpec, InvocationRecord, LocalFunction } from './types.js';
import { tracingBootstrap, workerBootstrap } from './workers/build.js';
import { WorkerPool } from './workers/WorkerPool.js';
import { Spare } from './workers/Spare.js';
import { terminalSafe } from './terminal.js';
import type { Attached, HybridOptions, RemoteInfo } from './remote/index.js';

export { LocalMeshStartError, PortInUseError, isLocalMeshStartError, isPortInUseError } from './errors.js';
export type { DeadLetter, FunctionSpec, InvocationRecord, LocalFunction } from './types.js';
export { evaluatePolicies, wildcardMatch } from './iam/evaluate.js';
export type { Decision } from './iam/evaluate.js';
export type { HybridOptions, RemoteInfo, RemoteHop } from './remote/index.js';

/** One stage of services hosted by the mesh (a per-developer overlay is a second deployment). */
export interface Deployment {
  /** The services this deployment runs. */
  paths: string[];
  /**
   * Services loaded only so calls to them validate and resolve (not run at this stage);
   * default: the mesh's main `paths`. An overlay of `payments` at `alice` still knows `orders`.
   */
  context?: string[];
  stage: string;
  /** Stages discovery falls back to, e.g. `['dev']` for a developer's own stage. */
  stageFallback?: string[];
}

export interface StartLocalMeshOptions {
  /** Folders (or serverless.yml files) to load; each serverless.yml found is one service. */
  paths?: string[];
  /** Stage of `paths` (default `dev`). */
  stage?: string;
  stageFallback?: string[];
  /**
   * Services loaded only so the calls of `paths` validate and resolve, not run (hybrid mode:
   * the deployed services' serverless.yml files, e.g. the repository's root).
   */
  context?: string[];
  /** Further stages hosted side by side, e.g. `{ paths: ['examples/shop/payments'], stage: 'alice', stageFallback: ['dev'] }`. */
  deployments?: Deployment[];
  /** Discovery sources codegen plans for (default routes + ssm); `exports` also seeds CloudFormation exports. */
  discovery?: ('routes' | 'ssm' | 'exports')[];
  /** Functions given directly (tests, benchmarks, functions outside any serverless.yml). */
  functions?: FunctionSpec[];
  /** Port on 127.0.0.1; 0 (the default) takes any free port. */
  port?: number;
  /** Enforce the generated IAM policies (default true). */
  iam?: boolean;
  /** Start tracing in workers and serve the trace collector and viewer (default true). */
  tracing?: boolean;
  /**
   * Keep one spare sandbox started ahead of need (Node booted, tracing loaded), which a function's
   * cold start adopts (default true). Costs one idle process (about 50 MB).
   */
  spare?: boolean;
  /** Do not print function output and mesh notices. */
  quiet?: boolean;
  region?: string;
  /** Sandboxes per function at most (default: max(2, CPUs)); more concurrent calls wait for one. */
  maxWorkersPerFunction?: number;
  /** Delays before Lambda's two async retries (default [1000, 2000] ms; Lambda itself waits 1 and 2 minutes). */
  asyncRetryDelaysMs?: number[];
  /** How long stop() waits for in-flight work (default 30 s). */
  drainTimeoutMs?: number;
  /**
   * Append every dead letter to this file as a JSON line, so undelivered events survive a
   * restart (`svc-mesh dev` uses `.svc-mesh/dead-letters.jsonl`). Default: memory only.
   */
  deadLetterFile?: string;
  /** Where notices and function output go (default: stderr). */
  log?: (line: string) => void;
  /**
   * Faults to inject from the start, e.g. `['payments:charge=error:30%', 'orders:placeOrder->payments:charge=latency:2s']`
   * (docs/resiliency.md). A bad spec or an unknown target stops the start.
   */
  faults?: string[];
  /**
   * Hybrid mode (docs/hybrid.md): run only these services locally and resolve every other
   * target through the deployed stage chain (`[stage, ...stageFallback]`) at `remote.endpoint`
   * (default: AWS, with the developer's credentials).
   */
  remote?: HybridOptions;
  /**
   * Follow the serverless.yml files: on a change, validate them again and apply the new graph
   * (or keep the running one and print the diagnostics). Default true.
   */
  watch?: boolean;
}

export interface LocalMesh {
  /** `http://127.0.0.1:<port>`: the endpoint of every AWS client. */
  readonly endpoint: string;
  readonly port: number;
  readonly region: string;
  /** Variables for a developer's own scripts: endpoint, region, dummy credentials, stage. */
  readonly env: Record<string, string>;
  /** The trace collector and viewer (engineer D's), when tracing is on and installed. */
  readonly traces: TraceServiceLike | undefined;
  /** Every function the mesh runs. */
  readonly functions: readonly LocalFunction[];
  /** Looks up a function by `service:function` (and stage, default the main one). */
  fn(target: string, stage?: string): LocalFunction | undefined;
  /** Events that failed every attempt (Lambda async and SNS deliveries). */
  deadLetters(): DeadLetter[];
  /** Called after every invocation (tests, tooling); returns an unsubscribe function. */
  onInvoke(listener: (r: InvocationRecord) => void): () => void;
  /** Resolves when nothing runs, waits or retries. */
  idle(): Promise<void>;
  /** The deployed side in hybrid mode (`remote` option), else undefined. */
  readonly remote: RemoteInfo | undefined;
  /** Process ids of the live sandboxes of a function (by physical name). */
  workerPids(functionName: string): number[];
  /** Drains in-flight invocations (new outside calls get 503), then stops everything. */
  stop(): Promise<void>;
  /** Fault injection on the running mesh: `set`, `add`, `view` (also `POST /_mesh/faults`, `svc-mesh fault`). */
  readonly faults: Pick<FaultInjector, 'set' | 'add' | 'view'>;
}

interface Generated {
  policies: Record<string, PolicyDocument[]>;
  env: Record<string, Record<string, Record<string, string>>>;
  seed: SeedPlan;
}
interface CodegenApi {
  loadProject(paths: string[], opts: ProjectOptions): Promise<Project>;
  generate(project: Project): Generated | Promise<Generated>;
}

/**
 * A function's access key id: random for every mesh start, so no code can compute another
 * function's key (it was a hash of stage and target). Only that function's workers get it.
 */
function accessKeyFor(): string {
  return LOCAL_KEY_PREFIX + randomBytes(10).toString('hex').toUpperCase();
}

async function loadCodegen(): Promise<CodegenApi> {
  const mod = (await import('../../codegen/index.js')) as Partial<CodegenApi>;
  if (typeof mod.loadProject !== 'function' || typeof mod.generate !== 'function') {
    throw new LocalMeshStartError(
      'Cannot load serverless.yml files: this build of svc-mesh has no codegen (loadProject/generate missing from svc-mesh/codegen).',
    );
  }
  return mod as CodegenApi;
}

interface Loaded {
  functions: LocalFunction[];
  /** Warnings codegen found (`file:line:col: warning: …`); errors throw instead. */
  warnings: string[];
  seed: SeedPlan;
  /** `service:function` → contract hash, from every record codegen planned (hybrid mode compares). */
  contracts: Map<string, string>;
  /** Every serverless.yml loaded (watched for changes). */
  files: string[];
}

/** Drops paths inside another path of the list (loading the outer one finds them). */
function outermost(paths: string[]): string[] {
  const abs = [...new Set(paths.map((p) => resolve(p)))];
  return abs.filter((p) => !abs.some((q) => q !== p && p.startsWith(`${q}/`)));
}
const within = (dir: string, roots: string[]) =>
  roots.some(
    (r) =>
      dir === r || dir.startsWith(`${r}/`) || r === join(dir, 'serverless.yml') || r === join(dir, 'serverless.yaml'),
  );

async function loadDeployment(
  d: Deployment,
  region: string,
  account: string,
  discovery: ('routes' | 'ssm' | 'exports')[] | undefined,
): Promise<Loaded> {
  const codegen = await loadCodegen();
  const own = d.paths.map((p) => resolve(p));
  let project: Project;
  let gen: Generated;
  try {
    project = await codegen.loadProject(outermost([...(d.context ?? []), ...own]), {
      stage: d.stage,
      stageFallback: d.stageFallback ?? [],
      account,
      region,
      ...(discovery === undefined ? {} : { discovery }),
    });
    gen = await codegen.generate(project);
  } catch (err) {
    const diags = (
      err as { diagnostics?: { file: string; line: number; col: number; message: string; severity: string }[] }
    ).diagnostics;
    if (Array.isArray(diags)) {
      const lines = diags.map((x) => `${x.file}:${x.line}:${x.col}: ${x.severity}: ${x.message}`);
      const errors = diags.filter((x) => x.severity === 'error').length;
      throw new LocalMeshStartError(
        `The local mesh did not start: ${errors} error${errors === 1 ? '' : 's'} loading the services (stage ${d.stage}):\n` +
          lines.map((l) => `  ${l}`).join('\n') +
          '\nFix them and run it again; nothing was started.',
        lines,
        err,
      );
    }
    throw new LocalMeshStartError(
      `The local mesh did not start: loading ${d.paths.join(', ')} (stage ${d.stage}) failed: ${(err as Error)?.message ?? String(err)}`,
      [],
      err,
    );
  }
  const functions: LocalFunction[] = [];
  for (const svc of project.services) {
    // Known only from a contract (another repository), or context of an overlay: nothing to run here.
    if ((svc as { external?: boolean }).external === true || !within(svc.dir, own)) continue;
    for (const f of svc.functions) {
      const target = `${svc.name}:${f.key}`;
      const fnEnv = gen.env[svc.name]?.[f.key] ?? {};
      const lf: LocalFunction = {
        service: svc.name,
        key: f.key,
        target,
        stage: d.stage,
        name: f.physicalName,
        arn: lambdaArn('aws', region, account, f.physicalName),
        handler: { raw: f.handler.raw, file: f.handler.file, export: f.handler.export },
        dir: svc.dir,
        timeout: f.timeout,
        memorySize: f.memorySize,
        environment: { ...f.environment, ...fnEnv },
        accessKeyId: accessKeyFor(),
        roleName: `${svc.name}-${d.stage}-${f.key}`.slice(0, 64),
        policies: gen.policies[target] ?? [],
      };
      if (f.reservedConcurrency !== undefined) lf.reservedConcurrency = f.reservedConcurrency;
      functions.push(lf);
    }
  }
  const warnings = (
    (project as { diagnostics?: { file: string; line: number; col: number; message: string; severity: string }[] })
      .diagnostics ?? []
  )
    .filter((x) => x.severity === 'warning')
    .map((x) => `${x.file}:${x.line}:${x.col}: warning: ${x.message}`);
  const contracts = new Map<string, string>();
  for (const p of gen.seed.parameters) {
    try {
      const c = (JSON.parse(p.value) as { contract?: unknown }).contract;
      if (typeof c === 'string') contracts.set(p.name.split('/').slice(-2).join(':'), c);
    } catch {
      // not a record
    }
  }
  return {
    functions,
    warnings,
    seed: onlyFor(gen.seed, functions, project.options.ssmPrefix, d.stage),
    contracts,
    files: project.services.map((s) => s.file).filter((f) => typeof f === 'string' && f !== ''),
  };
}

/** The part of a seed plan that belongs to the functions this deployment runs. */
function onlyFor(seed: SeedPlan, functions: LocalFunction[], ssmPrefix: string, stage: string): SeedPlan {
  const arns = new Set(functions.map((f) => f.arn));
  const services = new Set(functions.map((f) => f.service));
  const prefix = ssmPrefix.endsWith('/') ? ssmPrefix.slice(0, -1) : ssmPrefix;
  const parameters = seed.parameters.filter((p) => {
    const rest = p.name.startsWith(`${prefix}/${stage}/`) ? p.name.slice(prefix.length + stage.length + 2) : '';
    return services.has(rest.split('/')[0] ?? '');
  });
  const referenced = parameters.map((p) => p.value).join('\n');
  return {
    topics: seed.topics.filter((t) => referenced.includes(`"${t.arn}"`)),
    subscriptions: seed.subscriptions.filter((s) => arns.has(s.functionArn)),
    parameters,
    exports: seed.exports.filter((e) => {
      const parsed = parseExportName(e.name);
      return parsed !== undefined && parsed.stage === stage && services.has(parsed.service);
    }),
  };
}

function fromSpec(s: FunctionSpec, defaultStage: string, region: string, account: string): LocalFunction {
  const stage = s.stage ?? defaultStage;
  const name = s.name ?? physicalFunctionName(s.service, stage, s.key);
  const target = `${s.service}:${s.key}`;
  const exp = s.export ?? 'handler';
  const lf: LocalFunction = {
    service: s.service,
    key: s.key,
    target,
    stage,
    name,
    arn: lambdaArn('aws', region, account, name),
    handler: { raw: `${s.file.replace(/\.[cm]?[jt]s$/, '')}.${exp}`, file: resolve(s.file), export: exp },
    dir: dirname(resolve(s.file)),
    timeout: s.timeout ?? 6,
    memorySize: s.memorySize ?? 1024,
    environment: {
      SVC_MESH_SERVICE: s.service,
      SVC_MESH_FUNCTION: s.key,
      SVC_MESH_STAGE: stage,
      ...s.environment,
    },
    accessKeyId: accessKeyFor(),
    roleName: `${s.service}-${stage}-${s.key}`.slice(0, 64),
    policies: s.policies ?? [],
  };
  if (s.reservedConcurrency !== undefined) lf.reservedConcurrency = s.reservedConcurrency;
  return lf;
}

function graphOf(loaded: Loaded[]): LoadedGraph {
  return {
    functions: loaded.flatMap((l) => l.functions),
    seeds: loaded.map((l) => l.seed),
    files: [...new Set(loaded.flatMap((l) => l.files))],
  };
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((res, rej) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE') rej(new PortInUseError(port, err));
      else rej(new LocalMeshStartError(`Cannot listen on 127.0.0.1:${port}: ${err.message}`, [], err));
    };
    const onListening = () => {
      server.off('error', onError);
      const a = server.address();
      res(typeof a === 'object' && a !== null ? a.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, '127.0.0.1');
  });
}

/**
 * Starts the local mesh. Loads and validates every serverless.yml first: on any error it
 * throws {@link LocalMeshStartError} (with `file:line:col` diagnostics) and starts nothing.
 * A taken port throws {@link PortInUseError}.
 */
export async function startLocalMesh(options: StartLocalMeshOptions = {}): Promise<LocalMesh & AsyncDisposable> {
  const region = options.region ?? LOCAL_REGION;
  const account = LOCAL_ACCOUNT;
  const stage = options.stage ?? 'dev';
  const quiet = options.quiet === true;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const notice = quiet ? () => {} : log;
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new LocalMeshStartError(
      `Invalid port ${String(port)}: use an integer from 0 to 65535 (0 takes any free port).`,
    );
  }

  // 1. Load everything before starting anything.
  const deployments: Deployment[] = [];
  if (options.paths !== undefined && options.paths.length > 0) {
    deployments.push({
      paths: options.paths,
      stage,
      ...(options.stageFallback ? { stageFallback: options.stageFallback } : {}),
      ...(options.context ? { context: options.context } : {}),
    });
  }
  for (const d of options.deployments ?? []) deployments.push({ context: options.paths ?? [], ...d });
  const loaded: Loaded[] = [];
  for (const d of deployments) loaded.push(await loadDeployment(d, region, account, options.discovery));
  for (const w of new Set(loaded.flatMap((l) => l.warnings))) notice(`svc-mesh: ${w}`);
  const functions: LocalFunction[] = loaded.flatMap((l) => l.functions);
  for (const s of options.functions ?? []) functions.push(fromSpec(s, stage, region, account));

  const core = new MeshCore({
    region,
    account,
    iam: options.iam !== false,
    tracing: options.tracing !== false,
    asyncRetryDelaysMs: options.asyncRetryDelaysMs ?? DEFAULT_ASYNC_RETRY_DELAYS_MS,
    log: notice,
    failures: quiet ? undefined : log,
    ...(options.deadLetterFile === undefined ? {} : { deadLetterFile: resolve(options.deadLetterFile) }),
  });
  for (const f of functions) {
    const clash = core.byName.get(f.name);
    if (clash !== undefined) {
      throw new LocalMeshStartError(
        `The local mesh did not start: two functions share the physical name ${f.name} (${clash.target} at stage ${clash.stage} and ${f.target} at stage ${f.stage}). ` +
          'Give one of them another stage or a different `name:`.',
      );
    }
    core.byName.set(f.name, f);
    core.byAccessKey.set(f.accessKeyId, f);
  }

  // Faults given at start: checked before anything starts.
  let traceStore: { ingest(r: object): unknown } | undefined;
  const faults = new FaultInjector({
    targets: () => [...new Set(functions.map((f) => f.target))],
    log: notice,
    recordSpan: (s) => traceStore?.ingest(injectedSpanRequest(s)),
  });
  if (options.faults !== undefined && options.faults.length > 0) {
    try {
      faults.set(options.faults);
    } catch (err) {
      throw new LocalMeshStartError(
        `The local mesh did not start: ${(err as Error).message}. Nothing was started.`,
        [],
        err,
      );
    }
  }

  // 2. State, seeded from codegen's plan (validated before listening).
  let endpoint = '';
  const sns = new SnsService(core, () => endpoint);
  const ssm = new SsmService(core);
  const cfn = new CloudFormationService(core);
  try {
    // The ARN is what records, subscriptions and SVC_MESH_TOPICS refer to, so it names the topic.
    const topicName = (arn: string) => arn.slice(arn.lastIndexOf(':') + 1);
    for (const l of loaded) for (const t of l.seed.topics) sns.createTopic(topicName(t.arn));
    for (const l of loaded) {
      for (const sub of l.seed.subscriptions) {
        // A publisher outside this mesh may create the topic later in AWS; here it exists up front.
        if (!sns.topics.has(sub.topicArn)) sns.createTopic(topicName(sub.topicArn));
        sns.subscribe(
          sub.topicArn,
          'lambda',
          sub.functionArn,
          sub.filterPolicy === undefined ? {} : { FilterPolicy: JSON.stringify(sub.filterPolicy) },
        );
      }
      for (const p of l.seed.parameters) ssm.put(p.name, p.value, 'String', true);
      for (const e of l.seed.exports) {
        const owner = parseExportName(e.name);
        // The exporting stack is the service's own, as the Serverless Framework names it.
        cfn.addExport(e.name, e.value, owner ? `${owner.service}-${owner.stage}` : 'svc-mesh');
      }
    }
  } catch (err) {
    throw new LocalMeshStartError(
      `The local mesh did not start: the seed plan from codegen is invalid: ${(err as Error).message}`,
      [],
      err,
    );
  }

  // 2b. Hybrid mode: safety checks and the remote stage, before anything listens (remote/index.ts).
  let hybrid: Attached | undefined;
  if (options.remote !== undefined) {
    const { attachRemote } = await import('./remote/index.js');
    const withRecords = new Set(
      loaded.flatMap((l, i) => (l.seed.parameters.length > 0 ? [deployments[i]!.stage] : [])),
    );
    hybrid = await attachRemote(
      core,
      options.remote,
      {
        stage,
        stageFallback: options.stageFallback ?? [],
        localStagesWithRecords: withRecords,
        ssmPrefix: '/svc-mesh',
        contracts: new Map(loaded.flatMap((l) => [...l.contracts])),
      },
      log,
      {
        subscriptions: loaded.flatMap((l) => l.seed.subscriptions),
        localTopics: new Set(loaded.flatMap((l) => l.seed.topics.map((t) => t.arn))),
        deliver: (m) => {
          sns.publish({ topicArn: m.localTopicArn, message: m.message, attributes: m.attributes });
        },
      },
    );
  }

  // 3. The trace service (engineer D's), if present.
  let traces: TraceServiceLike | undefined;
  /** Spans from workers (IPC) and the mesh's own invocation spans go straight into the store. */
  let ingestSpans: ((body: string | object) => void) | undefined;
  if (options.tracing !== false) {
    try {
      const mod = await import('./traces/index.js');
      if (typeof mod.createTraceService === 'function') {
        const service = mod.createTraceService({});
        traces = service;
        traceStore = service.store;
        core.spans = new InvocationSpans((request) => service.store.later(() => service.store.ingest(request)), region);
        // Filed after the invocation is answered (TraceStore.later); reads of the store see them.
        ingestSpans = (body) =>
          service.store.later(() => {
            try {
              const decoded = typeof body === 'string' ? mod.decodeJsonRequest(body) : mod.normaliseRequest(body);
              if (decoded.spanCount > 0) service.store.ingest(decoded.request);
            } catch (err) {
              notice(`svc-mesh: spans from a worker were not readable: ${(err as Error).message}`);
            }
          });
      }
    } catch (err) {
      notice(`svc-mesh: trace service unavailable (${(err as Error).message}); /v1/traces answers 404`);
    }
  }

  // 4. Listen.
  let draining = false;
  const lambda = new LambdaService(core, faults);
  const adminView = (path: string): unknown => {
    if (path === '/_mesh/health')
      return {
        status: draining ? 'draining' : 'ok',
        functions: functions.length,
        inFlight: core.inFlight,
        spareSandbox: spare === undefined ? null : { pid: spare.pid ?? null },
      };
    if (path === '/_mesh/functions') {
      return functions.map((f) => ({
        target: f.target,
        stage: f.stage,
        name: f.name,
        arn: f.arn,
        handler: f.handler.raw,
        timeout: f.timeout,
        workers: core.pools.get(f.name)?.workerCount ?? 0,
        pids: core.pools.get(f.name)?.pids() ?? [],
      }));
    }
    if (path === '/_mesh/dead-letters') return core.dead;
    if (path === '/_mesh/resilience')
      return resilienceView(functions, traceStore as Parameters<typeof resilienceView>[1], faults);
    return undefined;
  };
  const server = createServer(
    createDispatcher({
      core,
      lambda,
      sns,
      ssm,
      cfn,
      traces,
      admin: adminView,
      draining: () => draining,
      port: () => listeningPort,
      faults,
    }),
  );
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;
  let actualPort: number;
  let listeningPort = port;
  server.once('listening', () => {
    const a = server.address();
    if (typeof a === 'object' && a !== null) listeningPort = a.port;
  });
  try {
    actualPort = await listen(server, port);
  } catch (err) {
    await traces?.close().catch(() => {});
    await hybrid?.close();
    throw err;
  }
  endpoint = `http://127.0.0.1:${actualPort}`;
  // Hybrid mode: each remote hop appears in the trace viewer as its own span (remote/span.ts).
  if (hybrid !== undefined && traces !== undefined) {
    const { postHopSpan } = await import('./remote/span.js');
    const link = options.remote?.traceLink;
    hybrid.info.onHop((h) => void postHopSpan(endpoint, h, link));
  }

  // 5. Worker pools (sandboxes start on first use).
  const maxWorkers = options.maxWorkersPerFunction ?? Math.max(2, os.availableParallelism?.() ?? os.cpus().length);
  const tracingOn = options.tracing !== false;
  const nodeMajor = process.versions.node.split('.')[0];
  /** What every sandbox's environment starts from (a spare's whole environment). */
  const baseEnv = (): Record<string, string> => {
    const base: Record<string, string> = {
      PATH: process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin',
      LANG: 'en_US.UTF-8',
      NODE_PATH: process.env['NODE_PATH'] ?? '',
      // The SDK's notice is about the machine's Node, not the function's runtime; once per worker is noise.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    if (process.env['HOME'] !== undefined) base['HOME'] = process.env['HOME'];
    if (process.env['TMPDIR'] !== undefined) base['TMPDIR'] = process.env['TMPDIR'];
    return base;
  };
  const workerEnv = (f: LocalFunction): Record<string, string> => {
    const date = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
    const base = baseEnv();
    const reserved: Record<string, string> = {
      _HANDLER: f.handler.raw,
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_EXECUTION_ENV: `AWS_Lambda_nodejs${nodeMajor}.x`,
      AWS_LAMBDA_FUNCTION_NAME: f.name,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(f.memorySize),
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${f.name}`,
      AWS_LAMBDA_LOG_STREAM_NAME: `${date}/[$LATEST]${createHash('md5').update(String(Math.random())).digest('hex')}`,
      AWS_ACCESS_KEY_ID: f.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_SECRET_ACCESS_KEY,
      AWS_LAMBDA_RUNTIME_API: endpoint.slice('http://'.length),
      LAMBDA_TASK_ROOT: f.dir,
      LAMBDA_RUNTIME_DIR: f.dir,
      TZ: ':UTC',
      AWS_ENDPOINT_URL: endpoint,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_SERVICE_NAME: f.service,
      SVC_MESH_LOCAL: '1',
    };
    if (!tracingOn) reserved['OTEL_SDK_DISABLED'] = 'true';
    return { ...base, ...f.environment, ...reserved };
  };
  // One spare sandbox, for the memory size most functions have (the heap limit is set at fork).
  const sizes = new Map<number, number>();
  for (const f of functions) sizes.set(f.memorySize, (sizes.get(f.memorySize) ?? 0) + 1);
  const spare =
    options.spare === false || functions.length === 0
      ? undefined
      : new Spare({
          bootstrap: workerBootstrap,
          tracing: tracingOn ? tracingBootstrap : async () => undefined,
          env: baseEnv(),
          cwd: process.cwd(),
          memorySize: [...sizes].sort((a, b) => b[1] - a[1])[0]![0],
        });
  const makePool = (f: LocalFunction) =>
    new WorkerPool(f, {
      ...(spare === undefined ? {} : { spare }),
      bootstrap: workerBootstrap,
      tracing: tracingOn ? tracingBootstrap : async () => undefined,
      env: workerEnv,
      log: quiet
        ? undefined
        : (fn, line) =>
            log(
              `[${fn.target}${fn.stage === stage ? '' : `@${fn.stage}`}] ${terminalSafe(line, { keepColors: true })}`,
            ),
      maxWorkers: Math.max(1, Math.min(maxWorkers, f.reservedConcurrency ?? Number.POSITIVE_INFINITY) || 1),
      ...(ingestSpans === undefined ? {} : { onSpans: ingestSpans }),
    });
  // The first call should not pay for bundling: build the worker's modules and every handler now,
  // in the background (a call that comes first waits for the same build).
  workerBootstrap().catch(() => undefined);
  if (tracingOn) tracingBootstrap().catch(() => undefined);
  for (const f of functions) core.pools.set(f.name, makePool(f));
  for (const p of core.pools.values()) p.prepare();
  spare?.replenish();

  // 6. Follow the serverless.yml files.
  const config =
    options.watch === false || deployments.length === 0
      ? undefined
      : new ConfigWatcher(
          {
            core,
            sns,
            ssm,
            cfn,
            functions,
            fixed: new Set(functions.filter((f) => !loaded.some((l) => l.functions.includes(f))).map((f) => f.name)),
            makePool,
            load: async () => {
              const again: Loaded[] = [];
              for (const d of deployments) again.push(await loadDeployment(d, region, account, options.discovery));
              return graphOf(again);
            },
            log,
          },
          graphOf(loaded),
        );

  const env: Record<string, string> = {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: DEVELOPER_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_EC2_METADATA_DISABLED: 'true',
    SVC_MESH_STAGE: stage,
  };
  if (options.stageFallback && options.stageFallback.length > 0)
    env['SVC_MESH_STAGE_FALLBACK'] = options.stageFallback.join(',');
  if (traces !== undefined) env['OTEL_EXPORTER_OTLP_ENDPOINT'] = endpoint;

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      draining = true;
      await config?.close();
      const drainMs = options.drainTimeoutMs ?? 30_000;
      core.flushRetries();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        core.whenIdle().then(() => false),
        new Promise<boolean>((r) => {
          timer = setTimeout(() => r(true), drainMs);
        }),
      ]);
      clearTimeout(timer);
      if (timedOut) notice(`svc-mesh: ${core.inFlight} invocation(s) still running after ${drainMs} ms; stopping them`);
      core.stopping = true;
      core.deadLetterPendingRetries();
      spare?.close();
      await Promise.all([...core.pools.values()].map((p) => p.close()));
      await config?.closePools();
      // Attempts cut short by the close end as dead letters (core.stopping); wait until they have.
      await core.whenIdle();
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      await hybrid?.close().catch(() => {});
      await traces?.close().catch(() => {});
    })();
    return stopped;
  };

  const byTarget = (target: string, st = stage) => functions.find((f) => f.target === target && f.stage === st);
  const mesh: LocalMesh & AsyncDisposable = {
    endpoint,
    port: actualPort,
    region,
    env,
    traces,
    functions,
    fn: byTarget,
    deadLetters: () => [...core.dead],
    onInvoke: (l) => {
      core.listeners.add(l);
      return () => core.listeners.delete(l);
    },
    idle: () => core.whenIdle(),
    remote: hybrid?.info,
    workerPids: (name) => core.pools.get(name)?.pids() ?? [],
    stop,
    faults,
    [Symbol.asyncDispose]: stop,
  };
  return mesh;
}
