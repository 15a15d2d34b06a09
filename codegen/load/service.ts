/**
 * One serverless.yml → one ServiceModel. Reads only what svc-mesh needs; every problem becomes
 * a diagnostic with its position, and reading goes on, so the user sees all of them at once.
 */
import { dirname } from 'node:path';
import { closest, distance } from 'fastest-levenshtein';
import { isMap, isScalar, isSeq, type Node } from 'yaml';
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
import type { EdgePolicy, FunctionModel, ServiceModel, SourceLoc, Subscription } from '../model.js';
import { findHandlerFile, splitHandler } from './handlers.js';
import { readCallingEntry, readPolicy, readServiceResiliency } from './resiliency.js';
import { SourceError, type SourceFile, typeName } from './source.js';

/** Function keys svc-mesh adds, and the Serverless ones near them (to catch `callng:` but not `role:`). */
const MESH_FUNCTION_KEYS = ['calling', 'subscribable', 'resiliency'];
const SERVERLESS_FUNCTION_KEYS = [
  'handler',
  'name',
  'description',
  'memorySize',
  'ephemeralStorageSize',
  'reservedConcurrency',
  'provisionedConcurrency',
  'runtime',
  'timeout',
  'environment',
  'events',
  'layers',
  'tags',
  'vpc',
  'package',
  'role',
  'onError',
  'destinations',
  'tracing',
  'architecture',
  'image',
  'kmsKeyArn',
  'logRetentionInDays',
  'snapStart',
  'url',
  'fileSystemConfig',
  'maximumEventAge',
  'maximumRetryAttempts',
  'condition',
  'dependsOn',
  'disableLogs',
  'logs',
  'runtimeManagement',
  'iamRoleStatements',
  'iamRoleStatementsName',
];
const FUNCTION_EVENT_KEYS = ['name', 'service', 'type', 'filterPolicy'];

export interface ReadServiceContext {
  stage: string;
  stages: string[];
  region: string | undefined;
  /**
   * Variables svc-codegen does not resolve, inside `environment:` values only, become warnings
   * (the value is left out). The Serverless plugin runs after the framework resolved them all,
   * and svc-mesh's own output does not depend on those values.
   */
  lenientEnvironment?: boolean;
}

export interface ReadResult {
  service: ServiceModel | undefined;
  diagnostics: Diagnostic[];
}

export function readService(src: SourceFile, ctx: ReadServiceContext): ReadResult {
  const diags: Diagnostic[] = [...src.parseDiagnostics];
  if (src.doc.errors.some((e) => e.code !== 'DUPLICATE_KEY')) return { service: undefined, diagnostics: diags };
  const root = src.deref(src.doc.contents as Node | null);
  if (!isMap(root)) {
    diags.push(src.diag(root, `a service file must be a mapping with 'service:', 'provider:' and 'functions:'`));
    return { service: undefined, diagnostics: diags };
  }

  /** Resolves a node's value; a variable problem becomes a diagnostic and `undefined`. */
  const val = (node: Node | null | undefined): unknown => {
    try {
      return src.value(node);
    } catch (err) {
      if (err instanceof SourceError) {
        diags.push(err.diagnostic);
        return undefined;
      }
      throw err;
    }
  };
  const err = (node: Node | null | undefined, message: string) => diags.push(src.diag(node, message));

  // service: name | { name }
  const svcPair = src.pair(root, 'service');
  let name: string | undefined;
  if (svcPair === undefined) {
    err(root, `missing 'service:'; add e.g. 'service: users' at the top of the file`);
  } else {
    const v = val(isMap(svcPair.value) ? src.pair(svcPair.value, 'name')?.value : svcPair.value);
    if (typeof v !== 'string') {
      if (v !== undefined) err(svcPair.value, `'service:' must be a name, got ${typeName(v)}`);
    } else if (!SERVICE_NAME_RE.test(v)) {
      err(
        svcPair.value,
        `invalid service name ${JSON.stringify(v)}: it must start with a letter and contain only letters, digits and '-'`,
      );
    } else {
      name = v;
    }
  }

  const provider = src.pair(root, 'provider')?.value ?? null;
  const pv = (key: string): { node: Node | null; value: unknown } | undefined => {
    const p = src.pair(provider, key);
    return p === undefined ? undefined : { node: p.value, value: val(p.value) };
  };
  const providerName = pv('name');
  if (providerName !== undefined && providerName.value !== 'aws' && providerName.value !== undefined) {
    err(providerName.node, `provider.name is ${typeName(providerName.value)}; svc-mesh supports only 'aws'`);
  }
  const regionV = pv('region');
  let region = ctx.region ?? 'us-east-1';
  if (ctx.region === undefined && regionV !== undefined && regionV.value !== undefined) {
    if (typeof regionV.value === 'string' && /^[a-z]{2}(-[a-z]+)+-\d$/.test(regionV.value)) region = regionV.value;
    else err(regionV.node, `provider.region ${typeName(regionV.value)} is not an AWS region like 'us-east-1'`);
  }
  const runtimeV = pv('runtime');
  const runtime = typeof runtimeV?.value === 'string' ? runtimeV.value : 'nodejs20.x';
  const num = (x: { node: Node | null; value: unknown } | undefined, what: string, dflt: number): number => {
    if (x === undefined || x.value === undefined || x.value === null) return dflt;
    if (typeof x.value === 'number' && Number.isFinite(x.value) && x.value > 0) return x.value;
    err(x.node, `${what} must be a positive number, got ${typeName(x.value)}`);
    return dflt;
  };
  const providerTimeout = num(pv('timeout'), 'provider.timeout', 6);
  const providerMemory = num(pv('memorySize'), 'provider.memorySize', 1024);
  const envVal = (node: Node | null | undefined): unknown => {
    if (ctx.lenientEnvironment !== true) return val(node);
    try {
      return src.value(node);
    } catch (e) {
      if (!(e instanceof SourceError)) throw e;
      diags.push({ ...e.diagnostic, severity: 'warning', message: `${e.diagnostic.message} (left to the framework)` });
      return undefined;
    }
  };
  const providerEnv = readEnvironment(src, src.pair(provider, 'environment')?.value ?? null, envVal, err, 'provider');

  const fnsPair = src.pair(root, 'functions');
  const functions: FunctionModel[] = [];
  if (fnsPair !== undefined && fnsPair.value !== null && !isMap(fnsPair.value)) {
    err(fnsPair.value, `'functions:' must be a mapping of function keys to definitions`);
  }
  for (const entry of src.entries(fnsPair?.value ?? null)) {
    const key = entry.key;
    const keyLoc = src.nodeLoc(entry.keyNode);
    if (!FUNCTION_NAME_RE.test(key)) {
      err(
        entry.keyNode,
        `invalid function key ${JSON.stringify(key)}: it must start with a letter and contain only letters, digits, '-' and '_'`,
      );
      continue;
    }
    if (!isMap(entry.value)) {
      err(entry.value ?? entry.keyNode, `function '${key}' must be a mapping with at least 'handler:'`);
      continue;
    }
    const fnode = entry.value;
    const locs: Record<string, SourceLoc> = {};
    const fp = (k: string) => src.pair(fnode, k);

    for (const e of src.entries(fnode)) {
      if (MESH_FUNCTION_KEYS.includes(e.key) || SERVERLESS_FUNCTION_KEYS.includes(e.key)) continue;
      const near = closest(e.key, MESH_FUNCTION_KEYS);
      if (distance(e.key.toLowerCase(), near.toLowerCase()) <= 2) {
        diags.push(src.diag(e.keyNode, `unknown function key '${e.key}'; did you mean '${near}'?`, 'warning'));
      }
    }

    // handler
    const hp = fp('handler');
    const handlerRaw = hp === undefined ? undefined : val(hp.value);
    let handler: FunctionModel['handler'] = { raw: '', file: undefined, export: '' };
    if (hp === undefined) {
      err(entry.keyNode, `function '${key}' has no 'handler:'; add e.g. 'handler: src/${key}.handler'`);
    } else if (typeof handlerRaw !== 'string') {
      if (handlerRaw !== undefined)
        err(hp.value, `'handler:' must be a string like 'src/file.export', got ${typeName(handlerRaw)}`);
    } else {
      locs['handler'] = src.nodeLoc(hp.value);
      const sp = splitHandler(handlerRaw);
      if (sp === undefined) {
        err(hp.value, `handler ${JSON.stringify(handlerRaw)} must be 'path/to/file.export', e.g. 'src/${key}.handler'`);
        handler = { raw: handlerRaw, file: undefined, export: '' };
      } else {
        handler = { raw: handlerRaw, file: findHandlerFile(dirname(src.file), sp.base), export: sp.export };
      }
    }

    // name override → physical names per stage
    const np = fp('name');
    const physicalNames: Record<string, string> = {};
    const nameErrors: Diagnostic[] = [];
    if (name !== undefined) {
      for (const stage of ctx.stages) {
        let pn = physicalFunctionName(name, stage, key);
        if (np !== undefined) {
          const s = stage === ctx.stage ? src : src.withStage(stage);
          let v: unknown;
          try {
            v = s.value(s.pair(s.pair(s.pair(s.doc.contents as Node, 'functions')?.value, key)?.value, 'name')?.value);
          } catch (e) {
            if (!(e instanceof SourceError)) throw e;
            // In a fallback stage too: the name there is what a caller falling back is granted.
            const d =
              stage === ctx.stage
                ? e.diagnostic
                : { ...e.diagnostic, message: `in stage '${stage}' (a fallback stage): ${e.diagnostic.message}` };
            diags.push(d);
            nameErrors.push(d);
            v = undefined;
          }
          if (typeof v === 'string') pn = v;
          else if (stage === ctx.stage && v !== undefined)
            err(np.value, `'name:' must be a string, got ${typeName(v)}`);
        }
        physicalNames[stage] = pn;
      }
      if (np !== undefined) locs['name'] = src.nodeLoc(np.value);
    }

    // calling
    const calling: Target[] = [];
    const policies: Record<string, EdgePolicy> = {};
    const cp = fp('calling');
    if (cp !== undefined) {
      locs['calling'] = src.nodeLoc(cp.key);
      const cnode = cp.value;
      const seen = new Map<string, number>();
      // One entry of the list: `itemNode` is where its errors point (the variable, when the list
      // came from one, e.g. `calling: ${self:custom.targets}`).
      const addTarget = (v: unknown, i: number, itemNode: Node | null): string | undefined => {
        if (v === undefined) return;
        if (typeof v !== 'string') {
          err(itemNode, `calling[${i}] must be a 'service:function' string, got ${typeName(v)}`);
          return;
        }
        try {
          const t = parseTarget(v);
          const id = `${t.service}:${t.function}`;
          if (seen.has(id)) {
            diags.push(
              src.diag(itemNode, `'${id}' is listed twice under calling: (also item ${seen.get(id)})`, 'warning'),
            );
            return;
          }
          seen.set(id, i);
          locs[`calling[${calling.length}]`] = src.nodeLoc(itemNode);
          calling.push(t);
          return id;
        } catch (e) {
          if (!isInvalidTargetError(e)) throw e;
          err(itemNode, `calling[${i}]: ${e.message}`);
        }
      };
      if (isSeq(cnode)) {
        for (const [i, item] of cnode.items.entries())
          readCallingEntry(src, src.deref(item as Node), i, val, err, addTarget, policies);
      } else if (cnode !== null) {
        const v = val(cnode);
        if (Array.isArray(v))
          for (const [i, item] of v.entries())
            readCallingEntry(src, src.deref(cnode), i, () => item, err, addTarget, policies);
        else if (v !== undefined) {
          const hint = typeof v === 'string' ? `; write it as a list: calling: [${JSON.stringify(v)}]` : '';
          err(cnode, `'calling:' must be a list of 'service:function' strings, got ${typeName(v)}${hint}`);
        }
      }
    }

    // subscribable
    let subscribable = false;
    const sp = fp('subscribable');
    if (sp !== undefined) {
      const v = val(sp.value);
      locs['subscribable'] = src.nodeLoc(sp.value);
      if (typeof v === 'boolean') subscribable = v;
      else if (v !== undefined) err(sp.value, `'subscribable:' must be true or false, got ${typeName(v)}`);
    }

    // events: - function: {…}
    const subscriptions: Subscription[] = [];
    const ep = fp('events');
    if (ep !== undefined && ep.value !== null && !isSeq(ep.value)) {
      err(ep.value, `'events:' must be a list, e.g. '- function: { service: users, name: createUser, type: success }'`);
    }
    if (ep !== undefined && isSeq(ep.value)) {
      ep.value.items.forEach((item, i) => {
        const inode = src.deref(item as Node);
        if (!isMap(inode)) return; // other shapes belong to Serverless and its plugins
        const fe = src.pair(inode, 'function');
        if (fe === undefined) {
          for (const e of src.entries(inode)) {
            if (e.key !== 'function' && distance(e.key, 'function') <= 2 && e.key.length > 4) {
              err(e.keyNode, `unknown event type '${e.key}'; did you mean 'function'?`);
            }
          }
          return;
        }
        const sub = readSubscription(src, fe.value, name, key, i, val, err, diags);
        if (sub !== undefined) sub.loc = src.nodeLoc(fe.key);
        if (sub !== undefined) {
          const dup = subscriptions.find(
            (s) => s.service === sub.service && s.function === sub.function && s.type === sub.type,
          );
          if (dup !== undefined) {
            err(
              fe.value,
              `duplicate subscription to ${sub.service}:${sub.function} ${sub.type} (also at line ${dup.loc.line})`,
            );
            return;
          }
          subscriptions.push(sub);
        }
      });
    }

    const environment = {
      ...providerEnv,
      ...readEnvironment(src, fp('environment')?.value ?? null, envVal, err, `functions.${key}`),
    };
    const fx = (k: string) => {
      const p = fp(k);
      return p === undefined ? undefined : { node: p.value, value: val(p.value) };
    };
    const rc = fx('reservedConcurrency');
    const rp = fp('resiliency');
    const resiliency =
      rp === undefined ? undefined : readPolicy(src, rp.value, `functions.${key}.resiliency`, val, err);
    const fn: FunctionModel = {
      service: name ?? '',
      key,
      physicalName: physicalNames[ctx.stage] ?? '',
      physicalNames,
      ...(nameErrors.length > 0 ? { nameErrors } : {}),
      handler,
      runtime: typeof fx('runtime')?.value === 'string' ? (fx('runtime')!.value as string) : runtime,
      timeout: num(fx('timeout'), `functions.${key}.timeout`, providerTimeout),
      memorySize: num(fx('memorySize'), `functions.${key}.memorySize`, providerMemory),
      environment,
      calling,
      subscribable,
      subscriptions,
      loc: keyLoc,
      locs,
    };
    if (rc !== undefined && typeof rc.value === 'number') fn.reservedConcurrency = rc.value;
    if (Object.keys(policies).length > 0) fn.policies = policies;
    if (resiliency !== undefined) fn.resiliency = resiliency;
    functions.push(fn);
  }

  if (name === undefined) return { service: undefined, diagnostics: diags };
  const resiliency = readServiceResiliency(src, root, val, err);
  functions.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    service: {
      name,
      dir: dirname(src.file),
      file: src.file,
      region,
      runtime,
      functions,
      loc: svcPair === undefined ? src.nodeLoc(root) : src.nodeLoc(svcPair.value),
      external: false,
      ...(resiliency === undefined ? {} : { resiliency }),
    },
    diagnostics: diags,
  };
}

function readSubscription(
  src: SourceFile,
  node: Node | null,
  ownService: string | undefined,
  fnKey: string,
  index: number,
  val: (n: Node | null | undefined) => unknown,
  err: (n: Node | null | undefined, m: string) => void,
  diags: Diagnostic[],
): Subscription | undefined {
  const where = `functions.${fnKey}.events[${index}].function`;
  if (!isMap(node)) {
    err(node, `${where} must be a mapping: { name: <function>, service: <service>, type: start|success|failed }`);
    return undefined;
  }
  let ok = true;
  for (const e of src.entries(node)) {
    if (!FUNCTION_EVENT_KEYS.includes(e.key)) {
      err(
        e.keyNode,
        `unknown key '${e.key}' in ${where}; did you mean '${closest(e.key, FUNCTION_EVENT_KEYS)}'? (allowed: ${FUNCTION_EVENT_KEYS.join(', ')})`,
      );
      ok = false;
    }
  }
  const str = (k: string, required: boolean): string | undefined => {
    const p = src.pair(node, k);
    if (p === undefined) {
      if (required) {
        err(node, `${where} has no '${k}:'`);
        ok = false;
      }
      return undefined;
    }
    const v = val(p.value);
    if (typeof v !== 'string' || v.length === 0) {
      if (v !== undefined) err(p.value, `${where}.${k} must be a name, got ${typeName(v)}`);
      ok = false;
      return undefined;
    }
    return v;
  };
  const fname = str('name', true);
  const service = str('service', false) ?? ownService;
  const typeRaw = str('type', true);
  let type: LifecycleType | undefined;
  if (typeRaw !== undefined) {
    if ((LIFECYCLE_TYPES as readonly string[]).includes(typeRaw)) type = typeRaw as LifecycleType;
    else {
      err(
        src.pair(node, 'type')?.value,
        `unknown lifecycle event type '${typeRaw}'; did you mean '${closest(typeRaw, [...LIFECYCLE_TYPES])}'? (one of ${LIFECYCLE_TYPES.join(', ')})`,
      );
      ok = false;
    }
  }
  if (fname !== undefined && !FUNCTION_NAME_RE.test(fname)) {
    err(src.pair(node, 'name')?.value, `${where}.name ${JSON.stringify(fname)} is not a valid function key`);
    ok = false;
  }
  if (service !== undefined && !SERVICE_NAME_RE.test(service)) {
    err(src.pair(node, 'service')?.value, `${where}.service ${JSON.stringify(service)} is not a valid service name`);
    ok = false;
  }
  let filterPolicy: Record<string, unknown> | undefined;
  const fpp = src.pair(node, 'filterPolicy');
  if (fpp !== undefined) {
    const v = val(fpp.value);
    const problem = v === undefined ? undefined : filterPolicyProblem(v, type);
    if (problem !== undefined) {
      // Point at the attribute the problem is about, when there is one.
      const keyNode = problem.key === undefined ? undefined : src.pair(fpp.value, problem.key)?.key;
      err(keyNode ?? (fpp.key as Node | null), `${where}.filterPolicy ${problem.message}`);
      ok = false;
    } else if (v !== undefined) filterPolicy = v as Record<string, unknown>;
  }
  void diags;
  if (!ok || fname === undefined || service === undefined || type === undefined) return undefined;
  const sub: Subscription = { service, function: fname, type, loc: src.nodeLoc(node) };
  if (filterPolicy !== undefined) sub.filterPolicy = filterPolicy;
  return sub;
}

/** SNS's limits on a filter policy (Amazon SNS developer guide, "Filter policy constraints"). */
export const FILTER_POLICY_MAX_KEYS = 5;
export const FILTER_POLICY_MAX_COMBINATIONS = 150;

/** What is wrong with a filter policy, and the attribute it is about (for the diagnostic's position). */
export interface FilterPolicyProblem {
  message: string;
  /** The top-level key the problem is at, when it is at one. */
  key?: string;
}

const own = (o: object, k: string) => Object.hasOwn(o, k);

/**
 * SNS filter policies on message attributes: an object whose values are lists of conditions,
 * plus `$or` (a list of at least two such objects). SNS allows at most 5 keys in a policy (svc-mesh
 * adds one, `svcmesh_type`, so 4 are yours; with `$or`, in every alternative) and at most 150
 * combinations (the product of the list lengths; the alternatives of `$or` add up). Keys are
 * ordinary names to SNS, `toString`, `constructor` or `__proto__` included, and are read as own
 * properties only. Lifecycle messages carry `svcmesh_type`, `svcmesh_code` (failed events with a
 * coded error), `traceparent`, `tracestate` and `baggage`.
 */
export function filterPolicyProblem(v: unknown, type?: string): FilterPolicyProblem | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    return { message: `must be a mapping of attribute names to lists, got ${typeName(v)}` };
  const keys = Object.keys(v);
  if (keys.length === 0) return { message: 'is empty; remove it or add an attribute' };
  const mine = FILTER_POLICY_MAX_KEYS - 1;
  const check = (
    policy: Record<string, unknown>,
    outer: string[],
    where: string,
    top: string | undefined,
  ): { combos: number } | FilterPolicyProblem => {
    const ks = Object.keys(policy);
    const plain = ks.filter((k) => k !== '$or');
    const at = (k: string) => top ?? k;
    if (own(policy, 'svcmesh_type'))
      return { message: `must not set 'svcmesh_type': svc-mesh sets it from 'type:'`, key: at('svcmesh_type') };
    // svcmesh_code is only on `failed` events: filtering on it elsewhere would match nothing, ever.
    if (own(policy, 'svcmesh_code') && type !== undefined && type !== 'failed')
      return {
        message: `filters on 'svcmesh_code', which only 'failed' events carry (the error's code); this '${type}' subscription would never receive anything. Use type: failed, or remove svcmesh_code`,
        key: at('svcmesh_code'),
      };
    const count = outer.length + plain.length + (top === undefined && own(policy, '$or') ? 1 : 0);
    if (count > mine) {
      const names = [...outer, ...plain, ...(top === undefined && own(policy, '$or') ? ['$or'] : [])];
      return {
        message:
          `has ${count} keys${where} (${names.map((n) => JSON.stringify(n)).join(', ')}); SNS allows ` +
          `${FILTER_POLICY_MAX_KEYS} per policy and svc-mesh uses one (svcmesh_type), so at most ${mine} are yours`,
        key: top ?? ks[mine]!,
      };
    }
    let combos = 1;
    for (const k of plain) {
      const list = policy[k];
      if (!Array.isArray(list) || list.length === 0)
        return { message: `attribute '${k}' must be a non-empty list of conditions, e.g. ['gold']`, key: at(k) };
      for (const c of list) {
        if (c === null || typeof c === 'string' || typeof c === 'number' || typeof c === 'boolean') continue;
        if (typeof c === 'object' && !Array.isArray(c)) continue; // {prefix: …}, {anything-but: …}, {numeric: […]}, {exists: …}
        return { message: `attribute '${k}' has a condition that is ${typeName(c)}`, key: at(k) };
      }
      combos *= list.length;
    }
    if (own(policy, '$or')) {
      if (top !== undefined) return { message: `'$or' cannot be nested inside '$or'`, key: top };
      const alts = policy['$or'];
      if (!Array.isArray(alts) || alts.length < 2)
        return { message: `'$or' must be a list of at least two policies`, key: '$or' };
      let sum = 0;
      for (const [i, alt] of alts.entries()) {
        if (alt === null || typeof alt !== 'object' || Array.isArray(alt) || Object.keys(alt).length === 0)
          return { message: `'$or'[${i}] must be a non-empty mapping of attribute names to lists`, key: '$or' };
        const r = check(alt as Record<string, unknown>, plain, ` with '$or'[${i}]`, '$or');
        if ('message' in r) return r;
        sum += r.combos;
      }
      combos *= sum;
    }
    return { combos };
  };
  const r = check(v as Record<string, unknown>, [], '', undefined);
  if ('message' in r) return r;
  if (r.combos > FILTER_POLICY_MAX_COMBINATIONS)
    return {
      message:
        `allows ${r.combos} combinations of values (the product of the list lengths, alternatives of '$or' added); ` +
        `SNS allows at most ${FILTER_POLICY_MAX_COMBINATIONS}: split it across subscriptions or use fewer values`,
    };
  return undefined;
}

/** {@link filterPolicyProblem}'s message, or undefined when the policy is acceptable. */
export function checkFilterPolicy(v: unknown, type?: string): string | undefined {
  return filterPolicyProblem(v, type)?.message;
}

function readEnvironment(
  src: SourceFile,
  node: Node | null,
  val: (n: Node | null | undefined) => unknown,
  err: (n: Node | null | undefined, m: string) => void,
  where: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (node === null) return out;
  if (!isMap(node)) {
    err(node, `${where}.environment must be a mapping of names to values`);
    return out;
  }
  for (const e of src.entries(node)) {
    const v = val(e.value);
    if (v === undefined) continue;
    if (v === null || typeof v === 'object') {
      // CloudFormation intrinsics (Ref, Fn::GetAtt) are fine for Serverless; they have no local value.
      if (isMap(e.value) && !isScalar(e.value)) continue;
      err(e.value, `${where}.environment.${e.key} must be a string, got ${typeName(v)}`);
      continue;
    }
    out[e.key] = String(v);
  }
  return out;
}
