/**
 * Configuration: explicit option, then environment variable, then default (in that order).
 * `SdkConfig` is what users pass; `ResolvedConfig` is what the runtime uses.
 * @internal
 */
import { InvalidConfigError } from '../errors/InvalidConfigError.js';
import { ENV } from './env.js';
import {
  DEFAULT_SSM_PREFIX,
  LAMBDA_ARN_RE,
  LIFECYCLE_TYPES,
  type LifecycleType,
  SNS_ARN_RE,
  STAGE_NAME_RE,
  DEFAULT_DISCOVERY,
  formatTarget,
  isLoopbackUrl,
  LOCAL_DEVELOPER_CREDENTIALS,
  parseTarget,
} from './names.js';

/** Where discovery looks, in order. */
export type DiscoverySource = 'routes' | 'ssm' | 'exports';
export const DISCOVERY_SOURCES: readonly DiscoverySource[] = ['routes', 'ssm', 'exports'];

/** An explicit route: a function ARN or name (optionally `:qualifier`), or a record with topics. */
export type Route = string | { functionArn: string; topics?: Partial<Record<LifecycleType, string>> };

/** When invokes carry an `X-Amzn-Trace-Id` header: see {@link SdkConfig.xrayHeader}. */
export type XRayHeaderMode = 'auto' | 'always' | 'never';
const XRAY_HEADER_MODES: readonly XRayHeaderMode[] = ['auto', 'always', 'never'];

/** Anything with the AWS SDK v3 `send(command, options)` shape. */
export interface SendClient {
  send(command: any, options?: any): Promise<any>;
}

/** Static or provider credentials, as the AWS SDK v3 accepts them. */
export type Credentials =
  | { accessKeyId: string; secretAccessKey: string; sessionToken?: string }
  | (() => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }>);

/**
 * Options of {@link createSdk}. Every field is optional: a missing one is read from the
 * environment (`SVC_MESH_*`, `AWS_REGION`), then defaulted.
 */
export interface SdkConfig {
  /** Stage to resolve targets in. Env: `SVC_MESH_STAGE`. */
  stage?: string;
  /** Stages tried after `stage`, e.g. `['dev']`. Env: `SVC_MESH_STAGE_FALLBACK` (comma list). */
  stageFallback?: readonly string[];
  /** AWS region. Env: `AWS_REGION`, then `AWS_DEFAULT_REGION`. */
  region?: string;
  /** This function's service. Env: `SVC_MESH_SERVICE`. */
  service?: string;
  /** This function's key under `functions:`. Env: `SVC_MESH_FUNCTION`. */
  function?: string;
  /**
   * Declared targets; any other call is refused before the network. `null` turns enforcement
   * off. Env: `SVC_MESH_CALLING` (comma list; unset = not enforced).
   */
  calling?: readonly string[] | null;
  /** Explicit routes, tried first and never cached out. Env: `SVC_MESH_ROUTES` (JSON object). */
  routes?: Readonly<Record<string, Route>>;
  /** Discovery sources in order. Env: `SVC_MESH_DISCOVERY`. Default `routes,ssm` (as codegen's). */
  discovery?: readonly DiscoverySource[];
  /** SSM prefix of discovery records. Env: `SVC_MESH_SSM_PREFIX`. Default `/svc-mesh`. */
  ssmPrefix?: string;
  /** Endpoint for every AWS client (e.g. the local mesh). Default: the SDK's own (`AWS_ENDPOINT_URL*`). */
  endpoint?: string;
  /**
   * Credentials for every AWS client. Default: the SDK's provider chain; with a loopback `endpoint`
   * (the local mesh: 127.x.x.x, localhost, [::1]), the local developer credentials
   * {@link LOCAL_DEVELOPER_CREDENTIALS}, so no AWS credentials are needed or ever sent there.
   */
  credentials?: Credentials;
  /** Whether this function publishes lifecycle events. Env: `SVC_MESH_SUBSCRIBABLE`. */
  subscribable?: boolean;
  /** This function's own lifecycle topic ARNs. Env: `SVC_MESH_TOPICS` (JSON). Default: its discovery record. */
  topics?: Partial<Record<LifecycleType, string>>;
  /**
   * Whether invokes carry an `X-Amzn-Trace-Id` header (Lambda turns it into the callee's
   * `_X_AMZN_TRACE_ID`, which is how a hop joins AWS X-Ray). `auto` (default) sends it when X-Ray is
   * in use: an X-Ray propagator is registered, or this invocation's `_X_AMZN_TRACE_ID` says
   * `Sampled=1` (active tracing). Env: `SVC_MESH_XRAY_HEADER`.
   */
  xrayHeader?: XRayHeaderMode;
  /** How long a discovery record is fresh. Default 300,000 ms. */
  cacheTtlMs?: number;
  /** How long "not found" is remembered. Default 5,000 ms. */
  negativeCacheTtlMs?: number;
  /** Kept back from the Lambda deadline for the caller's own work. Default 250 ms. */
  deadlineMarginMs?: number;
  /** Timeout of a call outside any Lambda invocation when no `timeoutMs` is given. Default 60,000 ms. */
  defaultTimeoutMs?: number;
  /** Retries for throttling and failures before the request reached the function. Default 3. */
  maxRetries?: number;
  /** First retry delay (exponential, jittered). Default 100 ms. */
  retryBaseMs?: number;
  /** Ready-made AWS clients to use instead of building them (e.g. instrumented ones). */
  clients?: { lambda?: SendClient; ssm?: SendClient; cloudformation?: SendClient; sns?: SendClient };
  /**
   * Per-target resiliency policies (timeout, retries, breaker, bulkhead, fallback; docs/resiliency.md).
   * Env: `SVC_MESH_POLICIES` (JSON, written by codegen from `calling:`). Unset: no resiliency code loads.
   */
  policies?: Readonly<Record<string, unknown>>;
  /**
   * Caller-side fault injection for tests, e.g. `'payments:charge=error:30%'` (docs/resiliency.md).
   * Env: `SVC_MESH_FAULTS`. Off unless set.
   */
  faults?: string;
  /** Receives breaker state changes and injected faults instead of the default JSON line on stderr. */
  onResilienceEvent?: (e: import('../resilience/index.js').ResilienceEvent) => void;
  /** Environment to read instead of `process.env` (tests). */
  env?: Readonly<Record<string, string | undefined>>;
}

/** @internal */
export interface ResolvedConfig {
  stage: string | undefined;
  stageFallback: readonly string[];
  region: string | undefined;
  service: string | undefined;
  function: string | undefined;
  /** `svc:fn` of this function when both are known. */
  self: string | undefined;
  calling: ReadonlySet<string> | undefined;
  callingList: readonly string[];
  routes: ReadonlyMap<string, { functionArn: string; topics?: Partial<Record<LifecycleType, string>> }>;
  discovery: readonly DiscoverySource[];
  ssmPrefix: string;
  endpoint: string | undefined;
  credentials: Credentials | undefined;
  subscribable: boolean;
  topics: Partial<Record<LifecycleType, string>> | undefined;
  xrayHeader: XRayHeaderMode;
  cacheTtlMs: number;
  negativeCacheTtlMs: number;
  deadlineMarginMs: number;
  defaultTimeoutMs: number;
  maxRetries: number;
  retryBaseMs: number;
  clients: NonNullable<SdkConfig['clients']>;
  /** Set by ./env when the stage is missing, to explain where to set it. */
  stageSetting: string;
  /** Per-target policies as given (checked when src/resilience loads); undefined = none. */
  policies: Readonly<Record<string, unknown>> | undefined;
  faults: string | undefined;
  onResilienceEvent: SdkConfig['onResilienceEvent'];
}

const FUNCTION_REF_RE = /^[A-Za-z0-9_-]{1,64}(?::(?:\$LATEST|[A-Za-z0-9_-]{1,128}))?$/;

function bad(setting: string, what: string): never {
  throw new InvalidConfigError(setting, `${setting} ${what}`);
}

function checkStage(setting: string, s: string): string {
  if (!STAGE_NAME_RE.test(s)) bad(setting, `has stage ${JSON.stringify(s)}; a stage is letters, digits and '-' only.`);
  return s;
}

function list(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function parseJsonSetting(setting: string, raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return bad(setting, `is not valid JSON (got ${JSON.stringify(raw.slice(0, 60))}).`);
  }
}

function checkTopics(setting: string, v: unknown): Partial<Record<LifecycleType, string>> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    bad(setting, 'must be a JSON object {"start":"arn:aws:sns:…","success":…,"failed":…}.');
  const out: Partial<Record<LifecycleType, string>> = {};
  for (const [k, arn] of Object.entries(v)) {
    if (!(LIFECYCLE_TYPES as readonly string[]).includes(k))
      bad(setting, `has unknown lifecycle type ${JSON.stringify(k)} (expected start, success or failed).`);
    if (typeof arn !== 'string' || !SNS_ARN_RE.test(arn)) bad(setting, `.${k} is not an SNS topic ARN.`);
    out[k as LifecycleType] = arn;
  }
  return out;
}

function checkRoutes(setting: string, v: unknown): ResolvedConfig['routes'] {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    bad(setting, 'must be an object {"service:function": "<function ARN or name>"}.');
  const out = new Map<string, { functionArn: string; topics?: Partial<Record<LifecycleType, string>> }>();
  for (const [key, val] of Object.entries(v)) {
    let t: string;
    try {
      t = formatTarget(parseTarget(key));
    } catch (err) {
      return bad(setting, `has an invalid key: ${(err as Error).message}`);
    }
    if (typeof val === 'string') {
      if (!LAMBDA_ARN_RE.test(val) && !FUNCTION_REF_RE.test(val))
        bad(setting, `route for '${t}' is ${JSON.stringify(val)}, which is neither a Lambda function ARN nor a name.`);
      out.set(t, { functionArn: val });
    } else if (
      typeof val === 'object' &&
      val !== null &&
      typeof (val as { functionArn?: unknown }).functionArn === 'string'
    ) {
      const r = val as { functionArn: string; topics?: unknown };
      if (!LAMBDA_ARN_RE.test(r.functionArn) && !FUNCTION_REF_RE.test(r.functionArn))
        bad(
          setting,
          `route for '${t}' has functionArn ${JSON.stringify(r.functionArn)}, which is not a Lambda function.`,
        );
      out.set(
        t,
        r.topics === undefined
          ? { functionArn: r.functionArn }
          : { functionArn: r.functionArn, topics: checkTopics(`${setting}['${t}'].topics`, r.topics) },
      );
    } else {
      bad(setting, `route for '${t}' must be a function ARN/name or {"functionArn": …}.`);
    }
  }
  return out;
}

function num(setting: string, v: number | undefined, def: number, min = 0): number {
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) bad(setting, `must be a number ≥ ${min} (got ${v}).`);
  return v;
}

const CONFIG_KEYS = new Set([
  'stage',
  'stageFallback',
  'region',
  'service',
  'function',
  'calling',
  'routes',
  'discovery',
  'ssmPrefix',
  'endpoint',
  'credentials',
  'subscribable',
  'topics',
  'xrayHeader',
  'cacheTtlMs',
  'negativeCacheTtlMs',
  'deadlineMarginMs',
  'defaultTimeoutMs',
  'maxRetries',
  'retryBaseMs',
  'clients',
  'policies',
  'faults',
  'onResilienceEvent',
  'env',
]);

/** Resolves options over the environment. Throws {@link InvalidConfigError} naming the bad setting. @internal */
export function resolveConfig(input: SdkConfig = {}): ResolvedConfig {
  if (typeof input !== 'object' || input === null)
    throw new InvalidConfigError(
      'createSdk',
      `createSdk(options) needs an options object, got ${input === null ? 'null' : typeof input}.`,
    );
  for (const k of Object.keys(input)) {
    if (!CONFIG_KEYS.has(k))
      throw new InvalidConfigError(
        k,
        `createSdk() has no option ${JSON.stringify(k)}. Options: ${[...CONFIG_KEYS].join(', ')}.`,
      );
  }
  const env = input.env ?? process.env;
  const e = (k: string): string | undefined => {
    const v = env[k];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };

  const stageSetting = input.stage !== undefined ? 'stage option' : ENV.STAGE;
  const stageRaw = input.stage ?? e(ENV.STAGE);
  const stage = stageRaw === undefined ? undefined : checkStage(stageSetting, stageRaw);
  const fbSetting = input.stageFallback ? 'stageFallback option' : ENV.STAGE_FALLBACK;
  const stageFallback = (input.stageFallback ?? list(e(ENV.STAGE_FALLBACK) ?? '')).map((s) => checkStage(fbSetting, s));

  const region = input.region ?? e('AWS_REGION') ?? e('AWS_DEFAULT_REGION');
  const service = input.service ?? e(ENV.SERVICE);
  const fn = input.function ?? e(ENV.FUNCTION);
  if (service !== undefined && fn !== undefined) {
    try {
      parseTarget(`${service}:${fn}`);
    } catch (err) {
      bad(
        input.service ? 'service/function options' : `${ENV.SERVICE}/${ENV.FUNCTION}`,
        `are invalid: ${(err as Error).message}`,
      );
    }
  }

  let calling: Set<string> | undefined;
  const callingSetting = input.calling !== undefined ? 'calling option' : ENV.CALLING;
  const callingRaw =
    input.calling !== undefined
      ? input.calling
      : env[ENV.CALLING] === undefined
        ? undefined
        : list(env[ENV.CALLING] ?? '');
  if (callingRaw) {
    calling = new Set();
    for (const c of callingRaw) {
      try {
        calling.add(formatTarget(parseTarget(c)));
      } catch (err) {
        bad(callingSetting, `lists an invalid target: ${(err as Error).message}`);
      }
    }
  }

  const routesRaw = input.routes ?? (e(ENV.ROUTES) === undefined ? {} : parseJsonSetting(ENV.ROUTES, e(ENV.ROUTES)!));
  const routes = checkRoutes(input.routes ? 'routes option' : ENV.ROUTES, routesRaw);

  const discSetting = input.discovery ? 'discovery option' : ENV.DISCOVERY;
  const discovery = (input.discovery ?? (e(ENV.DISCOVERY) ? list(e(ENV.DISCOVERY)!) : DEFAULT_DISCOVERY)).map((s) => {
    if (!(DISCOVERY_SOURCES as readonly string[]).includes(s))
      bad(discSetting, `has unknown source ${JSON.stringify(s)} (expected routes, ssm or exports).`);
    return s as DiscoverySource;
  });

  const ssmPrefix = input.ssmPrefix ?? e(ENV.SSM_PREFIX) ?? DEFAULT_SSM_PREFIX;
  if (!/^\/[A-Za-z0-9_.\-/]*$/.test(ssmPrefix))
    bad(
      input.ssmPrefix ? 'ssmPrefix option' : ENV.SSM_PREFIX,
      `must start with '/' and use only [A-Za-z0-9_.-/] (got ${JSON.stringify(ssmPrefix)}).`,
    );

  let subscribable = input.subscribable;
  if (subscribable === undefined) {
    const s = e(ENV.SUBSCRIBABLE)?.toLowerCase();
    if (s !== undefined && !['true', 'false', '1', '0'].includes(s))
      bad(ENV.SUBSCRIBABLE, `must be true or false (got ${JSON.stringify(s)}).`);
    subscribable = s === 'true' || s === '1';
  }
  const topicsRaw =
    input.topics ?? (e(ENV.TOPICS) === undefined ? undefined : parseJsonSetting(ENV.TOPICS, e(ENV.TOPICS)!));
  const topics =
    topicsRaw === undefined ? undefined : checkTopics(input.topics ? 'topics option' : ENV.TOPICS, topicsRaw);

  const policiesRaw =
    input.policies ?? (e(ENV.POLICIES) === undefined ? undefined : parseJsonSetting(ENV.POLICIES, e(ENV.POLICIES)!));
  if (
    policiesRaw !== undefined &&
    (typeof policiesRaw !== 'object' || policiesRaw === null || Array.isArray(policiesRaw))
  )
    bad(
      input.policies ? 'policies option' : ENV.POLICIES,
      'must be an object {"service:function": {"timeoutMs": 2000, …}}.',
    );
  const policies =
    policiesRaw === undefined || Object.keys(policiesRaw).length === 0
      ? undefined
      : (policiesRaw as Readonly<Record<string, unknown>>);
  const faults = input.faults ?? e(ENV.FAULTS);

  const xraySetting = input.xrayHeader !== undefined ? 'xrayHeader option' : ENV.XRAY_HEADER;
  const xrayHeader = input.xrayHeader ?? e(ENV.XRAY_HEADER) ?? 'auto';
  if (!(XRAY_HEADER_MODES as readonly string[]).includes(xrayHeader))
    bad(xraySetting, `must be auto, always or never (got ${JSON.stringify(xrayHeader)}).`);

  let endpointUrl: URL | undefined;
  if (input.endpoint !== undefined) {
    try {
      endpointUrl = new URL(input.endpoint);
    } catch {
      endpointUrl = undefined;
    }
    if (endpointUrl === undefined || (endpointUrl.protocol !== 'http:' && endpointUrl.protocol !== 'https:'))
      bad(
        'endpoint option',
        `must be an http(s) URL such as 'http://127.0.0.1:4710' (got ${JSON.stringify(String(input.endpoint).slice(0, 100))}).`,
      );
  }

  return {
    stage,
    stageFallback,
    region,
    service,
    function: fn,
    self: service !== undefined && fn !== undefined ? `${service}:${fn}` : undefined,
    calling,
    callingList: calling ? [...calling] : [],
    routes,
    discovery,
    ssmPrefix,
    endpoint: input.endpoint,
    // A fresh object each time: the AWS SDK records on it where the credentials came from.
    credentials:
      input.credentials ??
      (endpointUrl !== undefined && isLoopbackUrl(endpointUrl) ? { ...LOCAL_DEVELOPER_CREDENTIALS } : undefined),
    subscribable,
    topics,
    xrayHeader: xrayHeader as XRayHeaderMode,
    cacheTtlMs: num('cacheTtlMs', input.cacheTtlMs, 300_000),
    negativeCacheTtlMs: num('negativeCacheTtlMs', input.negativeCacheTtlMs, 5_000),
    deadlineMarginMs: num('deadlineMarginMs', input.deadlineMarginMs, 250),
    defaultTimeoutMs: num('defaultTimeoutMs', input.defaultTimeoutMs, 60_000, 1),
    maxRetries: num('maxRetries', input.maxRetries, 3),
    retryBaseMs: num('retryBaseMs', input.retryBaseMs, 100),
    clients: input.clients ?? {},
    stageSetting,
    policies,
    faults: faults === undefined || faults.trim() === '' ? undefined : faults,
    onResilienceEvent: input.onResilienceEvent,
  };
}

/** The stage, or a clear error saying where to set it. @internal */
export function requireStage(c: ResolvedConfig, forWhat: string): string {
  if (c.stage === undefined)
    throw new InvalidConfigError(
      ENV.STAGE,
      `No stage is configured, so ${forWhat} cannot be resolved. Set ${ENV.STAGE} (codegen writes it into the ` +
        "function's environment) or pass createSdk({ stage: 'dev' }).",
    );
  return c.stage;
}

/** The region, or a clear error. @internal */
export function requireRegion(c: ResolvedConfig): string {
  if (c.region === undefined)
    throw new InvalidConfigError(
      'AWS_REGION',
      'No AWS region is configured. Set AWS_REGION (Lambda sets it for you) or pass createSdk({ region: "us-east-1" }).',
    );
  return c.region;
}
