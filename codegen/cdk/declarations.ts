/**
 * The CDK front end's declarations, and how they become codegen's model (codegen/model.ts).
 * Pure: no aws-cdk-lib import, so `svc-codegen` and `svc-mesh dev` read a synthesized
 * `svc-mesh.json` with the same code the constructs use at synth time. Everything after the
 * model (validation, IAM, topics, records, environment) is codegen's own, shared with serverless.yml.
 */
import { isInvalidTargetError } from 'svc-mesh/errors';
import {
  FUNCTION_NAME_RE,
  LIFECYCLE_TYPES,
  type LifecycleType,
  parseTarget,
  physicalFunctionName,
  SERVICE_NAME_RE,
  type Target,
} from 'svc-mesh/internal';
import type { Diagnostic } from '../errors.js';
import { checkFilterPolicy } from '../load/service.js';
import type { FunctionModel, ServiceModel, SourceLoc, Subscription } from '../model.js';

/** `events: - function: {…}` of serverless.yml, as a CDK prop. */
export interface SvcMeshSubscription {
  /** The publishing service; default: this function's own service. */
  readonly service?: string;
  /** The publishing function's key. */
  readonly name: string;
  /** Which lifecycle event: `start`, `success` or `failed`. */
  readonly type: LifecycleType;
  /** SNS FilterPolicy on message attributes, added to the `svcmesh_type` condition svc-mesh writes. */
  readonly filterPolicy?: Record<string, unknown[]>;
}

/** What a function declares: the same keys as serverless.yml (`calling`, `subscribable`, `events`). */
export interface SvcMeshFunctionDeclaration {
  /** Service name (serverless.yml `service:`). */
  readonly service: string;
  /** Function key (the key under serverless.yml `functions:`). Its Lambda name is `{service}-{stage}-{name}`. */
  readonly name: string;
  /** `service:function` targets this function invokes. */
  readonly calling?: readonly string[];
  /** Publishes `start`/`success`/`failed` lifecycle events (three SNS topics). */
  readonly subscribable?: boolean;
  /** Subscriptions to other functions' lifecycle events, exactly as in serverless.yml. */
  readonly events?: readonly { readonly function: SvcMeshSubscription }[];
  /**
   * The handler's source as `path/to/file.export`, relative to the CDK app's directory (where
   * `cdk synth` runs), e.g. `orders/handler.placeOrder`. Only `svc-codegen` (contracts, typed
   * clients) and `svc-mesh dev` (runs it) need it; synth does not.
   */
  readonly handler?: string;
}

/** One declaration as the model builder sees it (from a construct, or from svc-mesh.json). */
export interface DeclaredFunction {
  /** As given by the user: checked here, so a manifest edited by hand is checked too. */
  readonly declaration: unknown;
  /** Construct path, e.g. `ShopOrders/PlaceOrder`. */
  readonly path: string;
  /** Where the declaration was written (the `new SvcMeshFunction(…)` call), or the construct path. */
  readonly loc: SourceLoc;
  /** The stack's region, when it is not environment-agnostic. */
  readonly region?: string;
  readonly runtime?: string;
  readonly timeout?: number;
  readonly memorySize?: number;
  /** Absolute path of the handler source file and its export, when `handler` was given and resolved. */
  readonly handlerFile?: string;
  readonly handlerExport?: string;
  /** The function's own environment variables with literal values (the local mesh sets them). */
  readonly environment?: Record<string, string>;
  /** `handler.raw` of the model (relative to the service directory), when not the declaration's own. */
  readonly handlerRaw?: string;
}

export interface ModelContext {
  stage: string;
  /** `[stage, ...stageFallback]`. */
  stages: string[];
  /** Region of services whose stack has none (environment-agnostic). */
  region: string;
  /** `ServiceModel.dir` / `.file` of the services built (the manifest's directory and path). */
  dir: string;
  file: string;
}

const DECL_KEYS = ['service', 'name', 'calling', 'subscribable', 'events', 'handler'];
const EVENT_KEYS = ['service', 'name', 'type', 'filterPolicy'];

const typeName = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'string' ? JSON.stringify(v) : `a ${typeof v}`;

/**
 * Declarations → services (sorted as loadProject sorts them). Every problem is a diagnostic at
 * the declaration's location whose message starts with the construct path; a declaration with
 * errors is still modelled where possible, so the caller sees every problem at once.
 */
export function servicesFromDeclarations(
  decls: readonly DeclaredFunction[],
  ctx: ModelContext,
): { services: ServiceModel[]; diagnostics: Diagnostic[] } {
  const diags: Diagnostic[] = [];
  const byService = new Map<string, { fns: FunctionModel[]; region: string; regionFrom: string; loc: SourceLoc }>();
  const seen = new Map<string, string>();
  for (const d of decls) {
    const err = (message: string, severity: Diagnostic['severity'] = 'error') =>
      diags.push({ ...d.loc, severity, message: `${d.path}: ${message}` });
    const raw = d.declaration;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      err(`the svc-mesh declaration must be an object with 'service' and 'name', got ${typeName(raw)}`);
      continue;
    }
    const o = raw as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (!DECL_KEYS.includes(k) && o[k] !== undefined) err(`unknown key '${k}' (allowed: ${DECL_KEYS.join(', ')})`);
    }
    const service = o['service'];
    const key = o['name'];
    let ok = true;
    if (typeof service !== 'string' || !SERVICE_NAME_RE.test(service)) {
      err(
        `service ${typeName(service)} is not a valid service name: it must start with a letter and contain only letters, digits and '-'`,
      );
      ok = false;
    }
    if (typeof key !== 'string' || !FUNCTION_NAME_RE.test(key)) {
      err(
        `name ${typeName(key)} is not a valid function key: it must start with a letter and contain only letters, digits, '-' and '_'`,
      );
      ok = false;
    }
    if (!ok) continue;
    const svc = service as string;
    const fnKey = key as string;
    const id = `${svc}:${fnKey}`;
    const prev = seen.get(id);
    if (prev !== undefined) {
      err(`'${id}' is already declared by ${prev}; a function is declared once`);
      continue;
    }
    seen.set(id, d.path);

    const calling: Target[] = [];
    const locs: Record<string, SourceLoc> = {};
    const c = o['calling'];
    if (c !== undefined) {
      locs['calling'] = d.loc;
      if (!Array.isArray(c)) {
        err(`calling must be a list of 'service:function' strings, got ${typeName(c)}`);
      } else {
        const ids = new Map<string, number>();
        c.forEach((v: unknown, i: number) => {
          try {
            const t = parseTarget(v);
            const tid = `${t.service}:${t.function}`;
            if (ids.has(tid)) {
              err(`calling[${i}]: '${tid}' is listed twice (also calling[${ids.get(tid)}])`, 'warning');
              return;
            }
            ids.set(tid, i);
            locs[`calling[${calling.length}]`] = d.loc;
            calling.push(t);
          } catch (e) {
            if (!isInvalidTargetError(e)) throw e;
            err(`calling[${i}]: ${e.message}`);
          }
        });
      }
    }
    const sb = o['subscribable'];
    if (sb !== undefined && typeof sb !== 'boolean') err(`subscribable must be true or false, got ${typeName(sb)}`);
    if (sb !== undefined) locs['subscribable'] = d.loc;

    const subscriptions: Subscription[] = [];
    const ev = o['events'];
    if (ev !== undefined && !Array.isArray(ev)) {
      err(`events must be a list of { function: { service, name, type, filterPolicy? } }, got ${typeName(ev)}`);
    }
    (Array.isArray(ev) ? ev : []).forEach((e: unknown, i: number) => {
      const where = `events[${i}].function`;
      const fe = e !== null && typeof e === 'object' ? (e as Record<string, unknown>)['function'] : undefined;
      if (fe === null || typeof fe !== 'object' || Array.isArray(fe)) {
        err(`${where} must be { service, name, type: start|success|failed, filterPolicy? }, got ${typeName(fe)}`);
        return;
      }
      const f = fe as Record<string, unknown>;
      let good = true;
      for (const k of Object.keys(f)) {
        if (!EVENT_KEYS.includes(k) && f[k] !== undefined) {
          err(`unknown key '${k}' in ${where} (allowed: ${EVENT_KEYS.join(', ')})`);
          good = false;
        }
      }
      const pub = f['service'] ?? svc;
      const name = f['name'];
      const type = f['type'];
      if (typeof pub !== 'string' || !SERVICE_NAME_RE.test(pub)) {
        err(`${where}.service ${typeName(pub)} is not a valid service name`);
        good = false;
      }
      if (typeof name !== 'string' || !FUNCTION_NAME_RE.test(name)) {
        err(`${where}.name ${typeName(name)} is not a valid function key`);
        good = false;
      }
      if (typeof type !== 'string' || !(LIFECYCLE_TYPES as readonly string[]).includes(type)) {
        err(`${where}.type ${typeName(type)} is not a lifecycle event type (one of ${LIFECYCLE_TYPES.join(', ')})`);
        good = false;
      }
      let filterPolicy: Record<string, unknown> | undefined;
      if (f['filterPolicy'] !== undefined) {
        const problem = checkFilterPolicy(f['filterPolicy'], typeof type === 'string' ? type : undefined);
        if (problem !== undefined) {
          err(`${where}.filterPolicy ${problem}`);
          good = false;
        } else filterPolicy = f['filterPolicy'] as Record<string, unknown>;
      }
      if (!good) return;
      const dup = subscriptions.find((s) => s.service === pub && s.function === name && s.type === type);
      if (dup !== undefined) {
        err(`${where}: duplicate subscription to ${pub as string}:${name as string} ${type as string}`);
        return;
      }
      const sub: Subscription = {
        service: pub as string,
        function: name as string,
        type: type as LifecycleType,
        loc: d.loc,
      };
      if (filterPolicy !== undefined) sub.filterPolicy = filterPolicy;
      subscriptions.push(sub);
    });

    const h = o['handler'];
    if (h !== undefined && (typeof h !== 'string' || !/^.+\.[A-Za-z_$][\w$]*$/.test(h))) {
      err(`handler ${typeName(h)} must be 'path/to/file.export', e.g. '${svc}/handler.${fnKey}'`);
    } else if (h !== undefined) locs['handler'] = d.loc; // codegen's validator checks the file and export

    const physicalNames: Record<string, string> = {};
    for (const s of ctx.stages) physicalNames[s] = physicalFunctionName(svc, s, fnKey);
    const fn: FunctionModel = {
      service: svc,
      key: fnKey,
      physicalName: physicalNames[ctx.stage]!,
      physicalNames,
      handler: {
        raw: d.handlerRaw ?? (typeof h === 'string' ? h : ''),
        file: d.handlerFile,
        export: d.handlerExport ?? '',
      },
      runtime: d.runtime ?? 'nodejs20.x',
      timeout: d.timeout ?? 6,
      memorySize: d.memorySize ?? 1024,
      environment: { ...(d.environment ?? {}) },
      calling,
      subscribable: sb === true,
      subscriptions,
      loc: d.loc,
      locs,
    };
    const region = d.region ?? ctx.region;
    const entry = byService.get(svc);
    if (entry === undefined) {
      byService.set(svc, { fns: [fn], region, regionFrom: d.path, loc: d.loc });
    } else {
      if (entry.region !== region) {
        err(
          `service '${svc}' is in region ${region} here but in ${entry.region} at ${entry.regionFrom}; a service lives in one region`,
        );
      }
      entry.fns.push(fn);
    }
  }
  const services: ServiceModel[] = [...byService.entries()].map(([name, e]) => ({
    name,
    dir: ctx.dir,
    file: ctx.file,
    region: e.region,
    runtime: e.fns[0]!.runtime,
    functions: e.fns.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
    loc: e.loc,
    external: false,
  }));
  services.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { services, diagnostics: diags };
}
