import { AccessDeniedError } from '../errors/AccessDeniedError.js';
import { DiscoveryError } from '../errors/DiscoveryError.js';
import { DiscoveryRecordError } from '../errors/DiscoveryRecordError.js';
import { type SearchedLocation, TargetNotFoundError } from '../errors/TargetNotFoundError.js';
import {
  awsErrorMessage,
  awsErrorName,
  classifyAwsError,
  isAccessDenied,
  loadClassifier,
} from '../internal/awsErrors.js';
import type { AwsClients } from '../internal/clients.js';
import { type ResolvedConfig, requireStage } from '../internal/config.js';
import { type DiscoveryRecordIdentity, InvalidDiscoveryRecordError } from '../errors/InvalidDiscoveryRecordError.js';
import {
  DISCOVERY_RECORD_VERSION,
  type DiscoveryRecord,
  LAMBDA_ARN_RE,
  type LifecycleType,
  SNS_ARN_RE,
  discoveryRecordName,
  exportName,
  parseDiscoveryRecord,
  parseTarget,
  physicalFunctionName,
} from '../internal/names.js';
import { withRetries } from '../internal/retry.js';
import { DISCOVERY_BUDGET_MS, DISCOVERY_RETRIES, SSM_BATCH_SIZE, STALE_GRACE_MS } from './constants.js';
import type { ResolvedTarget, ResolverStats } from './types.js';

interface Entry {
  value?: ResolvedTarget;
  error?: TargetNotFoundError;
  expires: number;
}

interface Waiter {
  resolve: (v: string | undefined) => void;
  reject: (e: unknown) => void;
}

const TOPIC_FIELDS = [
  ['start', 'TopicStart'],
  ['success', 'TopicSuccess'],
  ['failed', 'TopicFailed'],
] as const;

/**
 * Resolves `service:function` to a function ARN: explicit routes, then SSM Parameter Store
 * (GetParameters, batched by 10), then CloudFormation exports (ListExports, paged, read once),
 * for each stage of `[stage, ...stageFallback]`.
 *
 * Results are cached for `cacheTtlMs`; "not found" for `negativeCacheTtlMs`. Concurrent lookups
 * of one target share one flight, lookups in the same event-loop turn share GetParameters
 * requests, and a stale record is served when discovery is throttled or failing.
 *
 * @example
 * ```ts
 * import { ServiceResolver } from 'svc-mesh/discovery';
 * const sdk = createSdk({ stage: 'dev' });
 * const where = await sdk.resolver.resolve('payments:charge'); // { functionArn, stage, source, … }
 * ```
 */
export class ServiceResolver {
  readonly stats: ResolverStats = { ssmRequests: 0, exportsRequests: 0, staleServed: 0 };
  readonly #config: ResolvedConfig;
  readonly #clients: AwsClients;
  readonly #cache = new Map<string, Entry>();
  readonly #flights = new Map<string, Promise<ResolvedTarget>>();
  #primed: Promise<void> | undefined;
  #batch: Map<string, Waiter[]> | undefined;
  #exports: { map: Map<string, string>; expires: number } | undefined;
  #exportsFlight: Promise<Map<string, string>> | undefined;
  #defaultChain: readonly string[] | undefined;
  #defaultKey: string | undefined;
  readonly #routed = new Map<string, ResolvedTarget>();

  constructor(config: ResolvedConfig, clients: AwsClients) {
    this.#config = config;
    this.#clients = clients;
  }

  /** The stage chain `[stage, ...fallback]`, or with `stage` replacing the configured stage. */
  chain(stage?: string): readonly string[] {
    if (stage === undefined) {
      this.#defaultChain ??= dedupe([requireStage(this.#config, 'targets'), ...this.#config.stageFallback]);
      return this.#defaultChain;
    }
    return dedupe([stage, ...this.#config.stageFallback]);
  }

  /** A fresh cached (or routed) result without any I/O, or undefined. */
  cached(target: string, stage?: string): ResolvedTarget | undefined {
    const routed = this.#route(target);
    if (routed) return routed;
    if (this.#config.stage === undefined && stage === undefined) return undefined;
    if (stage === undefined) this.#defaultKey ??= `${this.chain().join(',')}|`;
    const e = this.#cache.get(`${stage === undefined ? this.#defaultKey : `${this.chain(stage).join(',')}|`}${target}`);
    return e?.value !== undefined && e.expires > Date.now() ? e.value : undefined;
  }

  /**
   * Resolves a target. Throws {@link TargetNotFoundError} (with every stage and source searched),
   * {@link DiscoveryRecordError} for a malformed record ({@link InvalidDiscoveryRecordError} for the
   * record of another target), {@link AccessDeniedError} or
   * {@link DiscoveryError} when discovery itself fails and nothing stale can be served.
   */
  resolve(target: string, stage?: string): Promise<ResolvedTarget> {
    try {
      return this.#resolve(target, stage);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #resolve(target: string, stage: string | undefined): Promise<ResolvedTarget> {
    const t = parseTarget(target);
    const name = `${t.service}:${t.function}`;
    const routed = this.#route(name);
    if (routed) return Promise.resolve(routed);
    const chain = this.chain(stage);
    const key = `${chain.join(',')}|${name}`;
    const entry = this.#cache.get(key);
    if (entry !== undefined && entry.expires > Date.now()) {
      return entry.value !== undefined ? Promise.resolve(entry.value) : Promise.reject(entry.error);
    }
    let flight = this.#flights.get(key);
    if (flight === undefined) {
      flight = this.#lookup(name, t.service, t.function, chain, key, entry).finally(() => this.#flights.delete(key));
      this.#flights.set(key, flight);
    }
    return flight;
  }

  /**
   * Prefetches every declared `calling` target in one batch (⌈K/10⌉ GetParameters per stage
   * needed). Runs once; call it during Init (`await sdk.prime()`), or it runs lazily on the
   * first call. A target that cannot be resolved does not fail `prime()`: its call will.
   */
  prime(): Promise<void> {
    // Started from a microtask, so that a lookup which triggers it has already registered its flight.
    this.#primed ??= Promise.resolve()
      .then(() => this.#prefetch())
      .catch(() => {
        this.#primed = undefined;
      });
    return this.#primed;
  }

  /** Forgets a target (e.g. after ResourceNotFoundException), so the next call resolves it again. */
  invalidate(target: string): void {
    for (const [k, e] of this.#cache) {
      if (k.endsWith(`|${target}`)) {
        if (e.value?.source === 'exports') this.#exports = undefined;
        this.#cache.delete(k);
      }
    }
  }

  /** Drops every cached record. */
  clear(): void {
    this.#cache.clear();
    this.#exports = undefined;
    this.#primed = undefined;
  }

  #route(target: string): ResolvedTarget | undefined {
    const hit = this.#routed.get(target);
    if (hit !== undefined) return hit;
    if (!this.#config.discovery.includes('routes')) return undefined;
    const r = this.#config.routes.get(target);
    if (r === undefined) return undefined;
    const value: ResolvedTarget = {
      target,
      functionArn: r.functionArn,
      topics: r.topics,
      stage: undefined,
      source: 'routes',
      location: `routes['${target}']`,
      contract: undefined,
    };
    this.#routed.set(target, value);
    return value;
  }

  #store(key: string, value: ResolvedTarget): ResolvedTarget {
    this.#cache.set(key, { value, expires: Date.now() + this.#config.cacheTtlMs });
    return value;
  }

  /**
   * Looks up every declared target at once. Lookups queued in one event-loop turn share their
   * GetParameters requests (10 names each) and the one ListExports read, stage after stage, so K
   * targets cost ⌈K/10⌉ requests per stage needed. A target that fails is reported by its call.
   */
  async #prefetch(): Promise<void> {
    const calling = this.#config.calling;
    if (!calling || calling.size === 0) return;
    await Promise.all([...calling].map((t) => this.#resolve(t, undefined).catch(() => undefined)));
  }

  async #lookup(
    target: string,
    service: string,
    fn: string,
    chain: readonly string[],
    key: string,
    stale: Entry | undefined,
  ): Promise<ResolvedTarget> {
    // The first lookup of a declared target prefetches them all, in the same batch as this one.
    if (this.#primed === undefined && this.#config.calling?.has(target) && chain === this.#defaultChain)
      void this.prime();
    const sources = this.#config.discovery;
    const searched: SearchedLocation[] = [];
    if (sources.includes('routes')) searched.push({ stage: undefined, source: 'routes', name: `routes['${target}']` });
    try {
      for (const stage of chain) {
        if (sources.includes('ssm')) {
          const name = discoveryRecordName(this.#config.ssmPrefix, stage, service, fn);
          searched.push({ stage, source: 'ssm', name });
          const v = await this.#getParam(name).catch((err: unknown) => {
            throw this.#discoveryFailure(target, 'ssm', 'ssm:GetParameters', name, err);
          });
          if (v !== undefined) return this.#store(key, fromRecord(target, service, fn, stage, name, v));
        }
        if (sources.includes('exports')) {
          const name = exportName(stage, service, fn, 'FunctionArn');
          searched.push({ stage, source: 'exports', name });
          const map = await this.#exportsMap().catch((err: unknown) => {
            throw this.#discoveryFailure(target, 'exports', 'cloudformation:ListExports', '*', err);
          });
          const hit = fromExports(target, stage, service, fn, map);
          if (hit instanceof Error) throw hit;
          if (hit !== undefined) return this.#store(key, hit);
        }
      }
    } catch (err) {
      if (stale?.value !== undefined && err instanceof DiscoveryError) {
        // Stale-on-throttle: a known-good record beats failing the call; look again after a grace period.
        this.stats.staleServed++;
        this.#cache.set(key, { value: stale.value, expires: Date.now() + STALE_GRACE_MS });
        return stale.value;
      }
      throw err;
    }
    const notFound = new TargetNotFoundError(target, searched);
    this.#cache.set(key, { error: notFound, expires: Date.now() + this.#config.negativeCacheTtlMs });
    throw notFound;
  }

  #discoveryFailure(target: string, source: 'ssm' | 'exports', action: string, resource: string, err: unknown): Error {
    if (isAccessDenied(err))
      return new AccessDeniedError(target, action, resource, awsErrorMessage(err), this.#config.self, { cause: err });
    if (err instanceof Error && (err.name.startsWith('InvalidConfig') || err.name === 'MissingDependencyError'))
      return err;
    return new DiscoveryError(target, source, `${awsErrorName(err)}: ${awsErrorMessage(err)}`, { cause: err });
  }

  /** Queues a parameter name; all names queued in one event-loop turn go out together, 10 per request. */
  #getParam(name: string): Promise<string | undefined> {
    return new Promise((resolve, reject) => {
      if (this.#batch === undefined) {
        this.#batch = new Map();
        setImmediate(() => void this.#flush());
      }
      const list = this.#batch.get(name);
      if (list) list.push({ resolve, reject });
      else this.#batch.set(name, [{ resolve, reject }]);
    });
  }

  async #flush(): Promise<void> {
    const batch = this.#batch;
    this.#batch = undefined;
    if (!batch) return;
    const names = [...batch.keys()];
    const chunks: string[][] = [];
    for (let i = 0; i < names.length; i += SSM_BATCH_SIZE) chunks.push(names.slice(i, i + SSM_BATCH_SIZE));
    await Promise.all(
      chunks.map(async (chunk) => {
        try {
          const found = await this.#getParameters(chunk);
          for (const n of chunk) for (const w of batch.get(n) ?? []) w.resolve(found.get(n));
        } catch (err) {
          for (const n of chunk) for (const w of batch.get(n) ?? []) w.reject(err);
        }
      }),
    );
  }

  async #getParameters(names: string[]): Promise<Map<string, string>> {
    const { client, commands } = await this.#clients.ssm();
    const out = await readWithRetries(() => {
      this.stats.ssmRequests++;
      return client.send(new commands.GetParametersCommand({ Names: names }));
    });
    const found = new Map<string, string>();
    for (const p of (out?.Parameters ?? []) as { Name?: string; Value?: string }[]) {
      if (typeof p.Name === 'string' && typeof p.Value === 'string') found.set(p.Name, p.Value);
    }
    return found;
  }

  #exportsMap(): Promise<Map<string, string>> {
    if (this.#exports !== undefined && this.#exports.expires > Date.now()) return Promise.resolve(this.#exports.map);
    this.#exportsFlight ??= (async () => {
      try {
        const { client, commands } = await this.#clients.cloudformation();
        const map = new Map<string, string>();
        let token: string | undefined;
        do {
          const page = await readWithRetries(() => {
            this.stats.exportsRequests++;
            return client.send(new commands.ListExportsCommand(token ? { NextToken: token } : {}));
          });
          for (const e of (page?.Exports ?? []) as { Name?: string; Value?: string }[]) {
            if (typeof e.Name === 'string' && typeof e.Value === 'string' && e.Name.startsWith('svc-mesh:'))
              map.set(e.Name, e.Value);
          }
          token = typeof page?.NextToken === 'string' && page.NextToken.length > 0 ? page.NextToken : undefined;
        } while (token !== undefined);
        this.#exports = { map, expires: Date.now() + this.#config.cacheTtlMs };
        return map;
      } finally {
        this.#exportsFlight = undefined;
      }
    })();
    return this.#exportsFlight;
  }
}

function dedupe(xs: readonly string[]): readonly string[] {
  return [...new Set(xs)];
}

/** Reads are idempotent: retry throttling and every transient failure, briefly. */
async function readWithRetries<T>(run: () => Promise<T>): Promise<T> {
  return withRetries(run, {
    retries: DISCOVERY_RETRIES,
    baseMs: 100,
    deadline: Date.now() + DISCOVERY_BUDGET_MS,
    shouldRetry: async (err) => {
      await loadClassifier();
      return classifyAwsError(err) !== 'fatal';
    },
  });
}

function fromRecord(
  target: string,
  service: string,
  fn: string,
  stage: string,
  name: string,
  value: string,
): ResolvedTarget {
  const source = `ssm:${name}`;
  const rec = parseDiscoveryRecord(value, source);
  checkIdentity(rec, { service, function: fn, stage }, source);
  return {
    target,
    functionArn: rec.functionArn,
    topics: rec.topics,
    stage,
    source: 'ssm',
    location: name,
    contract: rec.contract,
  };
}

/**
 * A record must be the one of the target it was read for. Version 2 names its target: all three
 * must match. Version 1 names nothing: it is accepted only when its function is the target's
 * default Lambda name `{service}-{stage}-{function}` (so a record copied from another target is
 * refused); a version-1 record of a function with a `name:` override must be regenerated.
 */
function checkIdentity(rec: DiscoveryRecord, expected: DiscoveryRecordIdentity, source: string): void {
  const want = `${expected.service}:${expected.function} in stage '${expected.stage}'`;
  if (rec.v === 2) {
    if (rec.service === expected.service && rec.function === expected.function && rec.stage === expected.stage) return;
    throw new InvalidDiscoveryRecordError(
      source,
      expected,
      { service: rec.service!, function: rec.function!, stage: rec.stage!, functionArn: rec.functionArn },
      `it is the record of ${rec.service}:${rec.function} in stage '${rec.stage}', but it was read as the record of ${want} (copied or written to the wrong name?); nothing was invoked`,
    );
  }
  const name = LAMBDA_ARN_RE.exec(rec.functionArn)?.[4];
  const expectedName = physicalFunctionName(expected.service, expected.stage, expected.function);
  if (name === expectedName) return;
  throw new InvalidDiscoveryRecordError(
    source,
    expected,
    { functionArn: rec.functionArn },
    `it is a version-1 record, which does not say whose it is, and its function '${name}' is not the default name '${expectedName}' of ${want}; nothing was invoked. If the function has a 'name:' override, regenerate the record with svc-codegen (version ${DISCOVERY_RECORD_VERSION} names its target)`,
  );
}

function fromExports(
  target: string,
  stage: string,
  service: string,
  fn: string,
  map: ReadonlyMap<string, string>,
): ResolvedTarget | DiscoveryRecordError | undefined {
  const name = exportName(stage, service, fn, 'FunctionArn');
  const arn = map.get(name);
  if (arn === undefined) return undefined;
  if (!LAMBDA_ARN_RE.test(arn))
    return new DiscoveryRecordError(`exports:${name}`, `value ${JSON.stringify(arn)} is not a Lambda function ARN`);
  const topics: Partial<Record<LifecycleType, string>> = {};
  let any = false;
  for (const [type, field] of TOPIC_FIELDS) {
    const n = exportName(stage, service, fn, field);
    const v = map.get(n);
    if (v === undefined) continue;
    if (!SNS_ARN_RE.test(v))
      return new DiscoveryRecordError(`exports:${n}`, `value ${JSON.stringify(v)} is not an SNS topic ARN`);
    topics[type] = v;
    any = true;
  }
  return {
    target,
    functionArn: arn,
    topics: any ? topics : undefined,
    stage,
    source: 'exports',
    location: name,
    contract: map.get(exportName(stage, service, fn, 'Contract')),
  };
}
