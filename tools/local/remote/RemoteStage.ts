/**
 * The deployed side of a hybrid mesh (`svc-mesh dev --remote`): the developer's AWS account
 * (or a stand-in endpoint: moto, LocalStack, another `svc-mesh dev`). Read-only SSM lookups of
 * discovery records (batched ≤ 10 names, cached like the runtime caches) and Lambda Invoke
 * forwarded byte for byte, signed SigV4 with the developer's own credentials.
 *
 * Nothing here writes to the deployed stage; the event bridge (bridge.ts) creates only its own
 * tagged queue and subscription.
 * @internal
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { isLoopbackEndpoint, LOCAL_DEVELOPER_CREDENTIALS } from 'svc-mesh/internal';
import { RemoteCredentialsError, RemoteUnreachableError } from './errors.js';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

export interface RemoteStageOptions {
  region: string;
  /** The stages looked up remotely, in order (the overlay stage and its fallbacks). */
  stages: string[];
  /** One endpoint for every service (moto, LocalStack, another `svc-mesh dev`); default: AWS. */
  endpoint?: string;
  /** Per-service endpoints overriding `endpoint` (e.g. `{ sns, sqs }` at moto for the bridge). */
  endpoints?: Record<string, string>;
  /** Named profile of the default credential chain (default: `AWS_PROFILE`, else `default`). */
  profile?: string;
  /** Fixed credentials (tests); default: the AWS default chain, or dummy ones for a loopback endpoint. */
  credentials?: Credentials;
  ssmPrefix?: string;
  /** Cache of found records (default 300 s, as the runtime) and of misses (default 5 s). */
  cacheTtlMs?: number;
  negativeCacheTtlMs?: number;
  /** How long to wait for a TCP connection (default 5 s). Calls themselves are bounded by Lambda. */
  connectTimeoutMs?: number;
  /** This developer's session id, carried as `svcmesh.origin` baggage on every hop. */
  devId?: string;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface RemoteStats {
  ssmRequests: number;
  lambdaRequests: number;
  otherRequests: number;
}

/** The `sha256` constructor SignatureV4 takes (what @smithy/hash-node does, on node:crypto). */
class NodeSha256 {
  readonly #h: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.#h = secret === undefined ? createHash('sha256') : createHmac('sha256', toBytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.#h.update(toBytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.#h.digest()));
  }
}

const toBytes = (d: string | ArrayBuffer | ArrayBufferView): string | Uint8Array =>
  typeof d === 'string'
    ? d
    : d instanceof ArrayBuffer
      ? new Uint8Array(d)
      : new Uint8Array(d.buffer, d.byteOffset, d.byteLength);

type Signer = { sign(req: unknown): Promise<{ headers: Record<string, string> }> };
const signers = new Map<string, Signer>();

/** Signs with the AWS SDK's own SigV4 (@smithy/signature-v4). */
async function sign(
  req: {
    method: string;
    protocol: string;
    hostname: string;
    port?: number;
    path: string;
    query?: URLSearchParams;
    headers: Record<string, string>;
    body: Buffer;
  },
  service: string,
  region: string,
  creds: Credentials,
): Promise<Record<string, string>> {
  const key = `${service}\0${region}\0${creds.accessKeyId}\0${creds.sessionToken ?? ''}`;
  let signer = signers.get(key);
  if (signer === undefined) {
    const { SignatureV4 } = await import('@smithy/signature-v4');
    signer = new SignatureV4({ service, region, credentials: creds, sha256: NodeSha256 }) as unknown as Signer;
    if (signers.size > 32) signers.clear();
    signers.set(key, signer);
  }
  const signed = await signer.sign({
    method: req.method,
    protocol: req.protocol,
    hostname: req.hostname,
    ...(req.port === undefined ? {} : { port: req.port }),
    path: req.path,
    query: req.query ? Object.fromEntries(req.query) : {},
    headers: req.headers,
    body: req.body,
  });
  return signed.headers;
}

export class RemoteStage {
  readonly region: string;
  readonly stages: readonly string[];
  readonly endpoint: string | undefined;
  readonly profile: string;
  readonly ssmPrefix: string;
  readonly devId: string;
  readonly stats: RemoteStats = { ssmRequests: 0, lambdaRequests: 0, otherRequests: 0 };
  #creds: Credentials | undefined;
  #credsFlight: Promise<Credentials> | undefined;
  readonly #opts: RemoteStageOptions;
  readonly #cache = new Map<string, { value: string | undefined; expires: number }>();
  readonly #flights = new Map<string, Promise<string | undefined>>();
  readonly #httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  readonly #httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 64 });
  #unreachableSince: number | undefined;
  /** Notices (unreachable, back again); set by the mesh. */
  log: (line: string) => void = () => {};

  constructor(opts: RemoteStageOptions) {
    this.#opts = opts;
    this.region = opts.region;
    this.stages = opts.stages;
    this.endpoint = opts.endpoint?.replace(/\/+$/, '');
    this.profile = opts.profile ?? process.env['AWS_PROFILE'] ?? 'default';
    const p = opts.ssmPrefix ?? '/svc-mesh';
    this.ssmPrefix = p.endsWith('/') ? p.slice(0, -1) : p;
    this.devId = opts.devId ?? `${opts.stages[0] ?? 'dev'}-${randomBytes(4).toString('hex')}`;
  }

  /** Where a service's requests go. */
  endpointFor(service: string): string {
    return this.#opts.endpoints?.[service] ?? this.endpoint ?? `https://${service}.${this.region}.amazonaws.com`;
  }

  /** A human name of the remote side for messages: the endpoint or `AWS (<region>)`. */
  get where(): string {
    return this.endpoint ?? `AWS ${this.region}`;
  }

  /**
   * Resolves credentials once (before any request): fixed ones, dummy ones for a loopback
   * stand-in without --profile, else the AWS default chain for the profile. Throws
   * {@link RemoteCredentialsError} naming the profile.
   */
  credentials(): Promise<Credentials> {
    const c = this.#creds;
    if (c !== undefined && (c.expiration === undefined || c.expiration.getTime() - Date.now() > 60_000))
      return Promise.resolve(c);
    this.#credsFlight ??= this.#loadCredentials().finally(() => {
      this.#credsFlight = undefined;
    });
    return this.#credsFlight;
  }

  async #loadCredentials(): Promise<Credentials> {
    if (this.#opts.credentials) return (this.#creds = this.#opts.credentials);
    const all = [this.endpoint, ...Object.values(this.#opts.endpoints ?? {})];
    if (this.endpoint !== undefined && all.every((e) => isLoopbackEndpoint(e)) && this.#opts.profile === undefined)
      return (this.#creds = { ...LOCAL_DEVELOPER_CREDENTIALS });
    let provider: (() => Promise<Credentials>) | undefined;
    try {
      const mod = (await import('@aws-sdk/credential-provider-node')) as {
        defaultProvider: (o: { profile?: string }) => () => Promise<Credentials>;
      };
      provider = mod.defaultProvider(this.#opts.profile === undefined ? {} : { profile: this.#opts.profile });
    } catch (err) {
      throw new RemoteCredentialsError(
        this.profile,
        `cannot load @aws-sdk/credential-provider-node: ${(err as Error).message}; npm install @aws-sdk/credential-provider-node`,
        { cause: err },
      );
    }
    let got: Credentials;
    try {
      got = await provider();
    } catch (err) {
      throw new RemoteCredentialsError(this.profile, (err as Error).message.split('\n')[0] ?? String(err), {
        cause: err,
      });
    }
    if (got.expiration !== undefined && got.expiration.getTime() <= Date.now())
      throw new RemoteCredentialsError(this.profile, `the session expired at ${got.expiration.toISOString()}`);
    this.#creds = got;
    return got;
  }

  /** One signed request to the remote endpoint. Network failures are {@link RemoteUnreachableError}. */
  async request(
    service: string,
    operation: string,
    req: { method: string; path: string; query?: URLSearchParams; headers?: Record<string, string>; body?: Buffer },
    timeoutMs?: number,
  ): Promise<RawResponse> {
    const creds = await this.credentials();
    const base = new URL(this.endpointFor(service));
    const body = req.body ?? Buffer.alloc(0);
    const path = (base.pathname === '/' ? '' : base.pathname.replace(/\/$/, '')) + req.path;
    const headers = await sign(
      {
        method: req.method,
        protocol: base.protocol,
        hostname: base.hostname,
        ...(base.port ? { port: Number(base.port) } : {}),
        path,
        ...(req.query ? { query: req.query } : {}),
        headers: { ...(req.headers ?? {}), host: base.host, 'content-length': String(body.length) },
        body,
      },
      service,
      this.region,
      creds,
    );
    const qs = req.query && [...req.query].length > 0 ? `?${req.query.toString()}` : '';
    const isHttps = base.protocol === 'https:';
    const where = `${base.protocol}//${base.host}`;
    return new Promise<RawResponse>((resolve, reject) => {
      const r = (isHttps ? https : http).request(
        {
          method: req.method,
          host: base.hostname,
          port: base.port || (isHttps ? 443 : 80),
          path: path + qs,
          headers,
          agent: isHttps ? this.#httpsAgent : this.#httpAgent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            this.#reachable();
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
          });
          res.on('error', (err) => reject(this.#unreachable(where, operation, err)));
        },
      );
      const connectTimer = setTimeout(
        () => r.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })),
        this.#opts.connectTimeoutMs ?? 5_000,
      );
      r.once('socket', (s) => {
        if (!s.connecting) clearTimeout(connectTimer);
        else s.once('connect', () => clearTimeout(connectTimer));
      });
      if (timeoutMs !== undefined) r.setTimeout(timeoutMs, () => r.destroy(new Error(`no answer in ${timeoutMs} ms`)));
      r.on('error', (err) => {
        clearTimeout(connectTimer);
        reject(this.#unreachable(where, operation, err));
      });
      r.end(body);
    });
  }

  #unreachable(where: string, operation: string, err: Error): RemoteUnreachableError {
    const code = (err as NodeJS.ErrnoException).code;
    if (this.#unreachableSince === undefined) {
      this.#unreachableSince = Date.now();
      this.log(
        `svc-mesh: the remote stage at ${where} is unreachable (${code ?? err.message}); local functions keep serving`,
      );
    }
    return new RemoteUnreachableError(where, operation, code ? `${code}: ${err.message}` : err.message, { cause: err });
  }

  #reachable(): void {
    if (this.#unreachableSince !== undefined) {
      this.#unreachableSince = undefined;
      this.log(`svc-mesh: the remote stage at ${this.where} answers again`);
    }
  }

  /** An awsJson1_1 call (SSM, SQS). Throws the service's error as `{name, message, status}`. */
  async json(
    service: string,
    target: string,
    input: unknown,
    contentType = 'application/x-amz-json-1.1',
  ): Promise<Record<string, unknown>> {
    const op = target.slice(target.indexOf('.') + 1);
    const res = await this.request(service, `${service}:${op}`, {
      method: 'POST',
      path: '/',
      headers: { 'content-type': contentType, 'x-amz-target': target },
      body: Buffer.from(JSON.stringify(input)),
    });
    let parsed: Record<string, unknown> = {};
    try {
      parsed = res.body.length > 0 ? (JSON.parse(res.body.toString('utf8')) as Record<string, unknown>) : {};
    } catch {
      // not JSON: reported below by status
    }
    if (res.status >= 300) {
      const type = String(parsed['__type'] ?? res.headers['x-amzn-errortype'] ?? `HTTP ${res.status}`);
      const name = type.slice(type.lastIndexOf('#') + 1).split(':')[0]!;
      const msg = String(parsed['message'] ?? parsed['Message'] ?? res.body.toString('utf8').slice(0, 300));
      throw Object.assign(new Error(`${name}: ${msg}`), { name, status: res.status });
    }
    return parsed;
  }

  /** Is `name` a discovery record of a stage of the remote chain (the only names read remotely)? */
  isDiscoveryName(name: string): boolean {
    return this.stages.some((s) => name.startsWith(`${this.ssmPrefix}/${s}/`)) && !/:\d+$/.test(name);
  }

  /** A cached value, or `null` when not cached (undefined = known missing). */
  cachedParameter(name: string): string | undefined | null {
    const e = this.#cache.get(name);
    return e !== undefined && e.expires > Date.now() ? e.value : null;
  }

  /**
   * Looks up discovery records remotely: cached ones answer at once; the others go out in
   * GetParameters requests of at most 10 names; concurrent lookups of a name share one request.
   */
  async getParameters(names: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const waits: Promise<void>[] = [];
    const todo: string[] = [];
    for (const n of new Set(names)) {
      const c = this.cachedParameter(n);
      if (c !== null) {
        if (c !== undefined) out.set(n, c);
        continue;
      }
      const f = this.#flights.get(n);
      if (f !== undefined)
        waits.push(
          f.then((v) => {
            if (v !== undefined) out.set(n, v);
          }),
        );
      else todo.push(n);
    }
    for (let i = 0; i < todo.length; i += 10) {
      const chunk = todo.slice(i, i + 10);
      const flight = this.#fetchChunk(chunk);
      for (const n of chunk) {
        const p = flight.then((m) => m.get(n));
        p.catch(() => {});
        this.#flights.set(n, p);
        waits.push(
          p.then((v) => {
            if (v !== undefined) out.set(n, v);
          }),
        );
        void p.finally(() => this.#flights.delete(n)).catch(() => {});
      }
    }
    await Promise.all(waits);
    return out;
  }

  async #fetchChunk(names: string[]): Promise<Map<string, string>> {
    this.stats.ssmRequests++;
    const res = await this.json('ssm', 'AmazonSSM.GetParameters', { Names: names });
    const found = new Map<string, string>();
    for (const p of (res['Parameters'] ?? []) as { Name?: unknown; Value?: unknown }[]) {
      if (typeof p.Name === 'string' && typeof p.Value === 'string') found.set(p.Name, p.Value);
    }
    const now = Date.now();
    for (const n of names) {
      const v = found.get(n);
      this.#cache.set(n, {
        value: v,
        expires:
          now + (v === undefined ? (this.#opts.negativeCacheTtlMs ?? 5_000) : (this.#opts.cacheTtlMs ?? 300_000)),
      });
    }
    return found;
  }

  /** Does `stage` have at least one discovery record remotely? (GetParametersByPath, one result.) */
  async stageHasRecords(stage: string): Promise<boolean> {
    this.stats.ssmRequests++;
    const res = await this.json('ssm', 'AmazonSSM.GetParametersByPath', {
      Path: `${this.ssmPrefix}/${stage}`,
      Recursive: true,
      MaxResults: 1,
    });
    return Array.isArray(res['Parameters']) && res['Parameters'].length > 0;
  }

  /** The caller's account, from STS GetCallerIdentity (read-only); undefined when the endpoint does not serve STS. */
  async account(): Promise<string | undefined> {
    this.stats.otherRequests++;
    const res = await this.request('sts', 'sts:GetCallerIdentity', {
      method: 'POST',
      path: '/',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: Buffer.from('Action=GetCallerIdentity&Version=2011-06-15'),
    });
    const text = res.body.toString('utf8');
    if (res.status === 403 && /ExpiredToken|InvalidClientTokenId|SignatureDoesNotMatch/.test(text)) {
      const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? 'denied';
      throw new RemoteCredentialsError(this.profile, `STS GetCallerIdentity answered ${code}`);
    }
    if (res.status !== 200) return undefined;
    return /<Account>(\d{12})<\/Account>/.exec(text)?.[1];
  }

  /**
   * Forwards one Lambda Invoke to the remote function, adding this developer's origin to the
   * trace baggage (ClientContext for sync calls, the envelope's meta for Event calls).
   */
  async invoke(req: {
    functionName: string;
    qualifier?: string | undefined;
    type: string;
    logType?: string | undefined;
    clientContext?: string | undefined;
    traceHeader?: string | undefined;
    payload: string;
    timeoutMs?: number;
  }): Promise<RawResponse> {
    this.stats.lambdaRequests++;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-amz-invocation-type': req.type,
    };
    if (req.logType !== undefined) headers['x-amz-log-type'] = req.logType;
    let payload = req.payload;
    if (req.type === 'Event') payload = withOriginInEnvelope(payload, this.devId);
    else {
      const cc = withOriginInClientContext(req.clientContext, this.devId);
      if (cc !== undefined) headers['x-amz-client-context'] = cc;
    }
    if (req.traceHeader !== undefined) headers['x-amzn-trace-id'] = req.traceHeader;
    const query = req.qualifier === undefined ? undefined : new URLSearchParams({ Qualifier: req.qualifier });
    return this.request(
      'lambda',
      `lambda:Invoke ${req.functionName}`,
      {
        method: 'POST',
        path: `/2015-03-31/functions/${encodeURIComponent(req.functionName)}/invocations`,
        ...(query ? { query } : {}),
        headers,
        body: Buffer.from(payload),
      },
      req.timeoutMs,
    );
  }

  close(): void {
    this.#httpAgent.destroy();
    this.#httpsAgent.destroy();
  }
}

const ORIGIN_KEY = 'svcmesh.origin';

/** Adds (or replaces) `svcmesh.origin=<id>` in a W3C baggage header. */
export function withOrigin(baggage: string | undefined, devId: string): string {
  const rest = (baggage ?? '')
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m.length > 0 && m.split('=')[0]!.trim() !== ORIGIN_KEY);
  return [...rest, `${ORIGIN_KEY}=${devId}`].join(',');
}

/** ClientContext (base64 JSON) with the origin in `custom.baggage`; a plain one gets `custom` added. */
export function withOriginInClientContext(cc: string | undefined, devId: string): string | undefined {
  let obj: Record<string, unknown> = {};
  if (cc !== undefined && cc.length > 0) {
    try {
      const v: unknown = JSON.parse(Buffer.from(cc, 'base64').toString('utf8'));
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return cc;
      obj = v as Record<string, unknown>;
    } catch {
      return cc;
    }
  }
  const custom = (typeof obj['custom'] === 'object' && obj['custom'] !== null ? obj['custom'] : {}) as Record<
    string,
    unknown
  >;
  const next = { ...obj, custom: { svcmesh: '1', ...custom, baggage: withOrigin(custom['baggage'] as string, devId) } };
  const b64 = Buffer.from(JSON.stringify(next)).toString('base64');
  // Lambda's limit: keep the caller's context rather than fail the call.
  return b64.length <= 3_583 ? b64 : cc;
}

/** An svc-mesh Event envelope with the origin in `meta.baggage`; any other payload unchanged. */
export function withOriginInEnvelope(payload: string, devId: string): string {
  if (!payload.startsWith('{"svcmesh":1') && !payload.includes('"svcmesh":1')) return payload;
  try {
    const v = JSON.parse(payload) as { svcmesh?: unknown; meta?: Record<string, unknown>; payload?: unknown };
    if (v.svcmesh !== 1 || typeof v.meta !== 'object' || v.meta === null || !('payload' in v)) return payload;
    v.meta = { ...v.meta, baggage: withOrigin(v.meta['baggage'] as string | undefined, devId) };
    return JSON.stringify(v);
  } catch {
    return payload;
  }
}
