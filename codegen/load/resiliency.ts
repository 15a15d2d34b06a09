/**
 * Resiliency policies in serverless.yml (docs/resiliency.md): on a `calling:` edge
 * (`- payments:charge: { timeout: 2s, retries: 2, circuitBreaker: {…}, maxConcurrent: 10 }`),
 * as the callee's defaults for its callers (a function's `resiliency:`), and as the caller
 * service's defaults (`custom.svcMesh.resiliency: { default: {…}, targets: { 'svc:fn': {…} } }`).
 * Every value is checked here, with its position; cross-service checks (a timeout longer than the
 * caller's own Lambda timeout, a policy on an edge nobody declares) are in validate/resiliency.ts.
 */
import { closest } from 'fastest-levenshtein';
import { isMap, type Node } from 'yaml';
import { parseTarget } from 'svc-mesh/internal';
import type { EdgePolicy, ServiceResiliency, SourceLoc } from '../model.js';
import { type SourceFile, typeName } from './source.js';

export const POLICY_KEYS = ['timeout', 'retries', 'circuitBreaker', 'maxConcurrent', 'queue', 'fallback'] as const;
export const BREAKER_KEYS = ['consecutiveFailures', 'halfOpenAfter', 'tripOn'] as const;
/** When a `circuitBreaker:` leaves a value out. */
export const BREAKER_DEFAULTS = { consecutiveFailures: 5, halfOpenAfterMs: 30_000 } as const;
/** Upper bounds that keep a policy meaningful (Lambda's own maximum timeout is 900 s). */
const MAX_RETRIES = 10;
const MAX_CONCURRENT = 1_000;
const MAX_QUEUE = 10_000;
const MAX_DURATION_MS = 900_000;
const MAX_HALF_OPEN_MS = 3_600_000;
const CODE_RE = /^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/;

/** The allowed key that contains `k` (`failures` → `consecutiveFailures`), else the closest spelling. */
function near(k: string, keys: readonly string[]): string {
  return keys.find((x) => x.toLowerCase().includes(k.toLowerCase())) ?? closest(k, [...keys]);
}

type Val = (n: Node | null | undefined) => unknown;
type Err = (n: Node | null | undefined, m: string) => void;

/** `500ms`, `2s`, `1.5s`, `1m` → ms; a string saying what is wrong otherwise. */
export function parseDuration(v: unknown): number | string {
  if (typeof v === 'number')
    return `needs a unit: write ${v}s or ${v}ms (a bare number is ambiguous between seconds and milliseconds)`;
  if (typeof v !== 'string') return `must be a duration like 2s or 500ms, got ${typeName(v)}`;
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*(ms|s|m)\s*$/.exec(v);
  if (m === null) return `must be a duration like 2s, 500ms or 1m, got ${JSON.stringify(v)}`;
  const ms = Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000);
  if (!(ms > 0)) return `must be greater than zero, got ${JSON.stringify(v)}`;
  if (!Number.isInteger(ms)) return `must be a whole number of milliseconds, got ${JSON.stringify(v)}`;
  return ms;
}

/** `1500` → `1.5s`, `500` → `500ms`, `60000` → `1m` (graph labels, messages). */
export function formatDuration(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000 && ms % 100 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

interface Field {
  key: string;
  keyNode: Node | null;
  valueNode: Node | null;
  value: unknown;
}

/** The entries of a mapping, from YAML nodes (exact positions) or from a variable's value. */
function fields(src: SourceFile, node: Node | null, val: Val, known?: unknown): Field[] | undefined {
  const n = src.deref(node);
  if (isMap(n))
    return src.entries(n).map((e) => ({ key: e.key, keyNode: e.keyNode, valueNode: e.value, value: val(e.value) }));
  const v = known !== undefined ? known : val(n);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
  return Object.entries(v).map(([key, value]) => ({ key, keyNode: n, valueNode: n, value }));
}

function int(v: unknown, min: number, max: number): number | string {
  if (typeof v !== 'number' || !Number.isInteger(v)) return `must be a whole number, got ${typeName(v)}`;
  if (v < min) return min === 1 ? `must be at least 1, got ${v}` : `must be ${min} or more, got ${v}`;
  if (v > max) return `must be at most ${max}, got ${v}`;
  return v;
}

/**
 * Reads one policy mapping. `where` names it in messages (e.g. `calling 'payments:charge'`).
 * Returns undefined when it has errors (each reported through `err`).
 */
export function readPolicy(
  src: SourceFile,
  node: Node | null,
  where: string,
  val: Val,
  err: Err,
  known?: unknown,
): EdgePolicy | undefined {
  const fs = fields(src, node, val, known);
  const loc = src.nodeLoc(node);
  if (fs === undefined) {
    const v = known !== undefined ? known : val(node);
    if (v !== undefined)
      err(node, `${where}: the policy must be a mapping of ${POLICY_KEYS.join(', ')}, got ${typeName(v)}`);
    return undefined;
  }
  const p: EdgePolicy = { loc, locs: {} };
  let ok = true;
  const bad = (f: Field, m: string) => {
    err(f.valueNode ?? f.keyNode, `${where}: ${f.key} ${m}`);
    ok = false;
  };
  for (const f of fs) {
    const at = src.nodeLoc(f.valueNode ?? f.keyNode);
    switch (f.key) {
      case 'timeout': {
        const d = parseDuration(f.value);
        if (typeof d === 'string') bad(f, d);
        else if (d > MAX_DURATION_MS) bad(f, `is ${formatDuration(d)}; Lambda runs a function for at most 15m`);
        else {
          p.timeoutMs = d;
          p.locs['timeout'] = at;
        }
        break;
      }
      case 'retries': {
        const n = int(f.value, 0, MAX_RETRIES);
        if (typeof n === 'string') bad(f, n);
        else p.retries = n;
        break;
      }
      case 'maxConcurrent': {
        const n = int(f.value, 1, MAX_CONCURRENT);
        if (typeof n === 'string') bad(f, n);
        else p.maxConcurrent = n;
        break;
      }
      case 'queue': {
        const n = int(f.value, 0, MAX_QUEUE);
        if (typeof n === 'string') bad(f, n);
        else p.queue = n;
        break;
      }
      case 'fallback': {
        if (f.value === 'event' || f.value === 'none') p.fallback = f.value;
        else
          bad(
            f,
            `must be 'event' (send the call as an Event invocation when the breaker is open or the bulkhead is full) or 'none', got ${typeName(f.value)}; a fallback function is given in code (invoke option 'fallback')`,
          );
        break;
      }
      case 'circuitBreaker': {
        if (f.value === false) {
          p.circuitBreaker = false;
          break;
        }
        if (f.value === true || f.value === null) {
          p.circuitBreaker = {};
          break;
        }
        const cfs = fields(src, f.valueNode, val, f.value);
        if (cfs === undefined) {
          bad(f, `must be a mapping of ${BREAKER_KEYS.join(', ')} (or true/false), got ${typeName(f.value)}`);
          break;
        }
        const cb: Exclude<EdgePolicy['circuitBreaker'], false | undefined> = {};
        for (const c of cfs) {
          const sub = { ...c, key: `circuitBreaker.${c.key}` };
          if (c.key === 'consecutiveFailures') {
            const n = int(c.value, 1, 1_000);
            if (typeof n === 'string') bad(sub, n);
            else cb.consecutiveFailures = n;
          } else if (c.key === 'halfOpenAfter') {
            const d = parseDuration(c.value);
            if (typeof d === 'string') bad(sub, d);
            else if (d > MAX_HALF_OPEN_MS) bad(sub, `is ${formatDuration(d)}; use at most 60m`);
            else cb.halfOpenAfterMs = d;
          } else if (c.key === 'tripOn') {
            const list = c.value;
            if (
              !Array.isArray(list) ||
              list.length === 0 ||
              list.some((x) => typeof x !== 'string' || !CODE_RE.test(x))
            )
              bad(
                sub,
                `must be a non-empty list of error codes the callee throws (e.g. [UPSTREAM_DOWN]) that should count as failures, got ${typeName(list)}`,
              );
            else cb.tripOn = [...new Set(list as string[])].sort();
          } else {
            err(
              c.keyNode,
              `${where}: unknown key 'circuitBreaker.${c.key}'; did you mean '${near(c.key, BREAKER_KEYS)}'? (allowed: ${BREAKER_KEYS.join(', ')})`,
            );
            ok = false;
          }
        }
        p.circuitBreaker = cb;
        break;
      }
      default:
        err(
          f.keyNode,
          `${where}: unknown policy key '${f.key}'; did you mean '${near(f.key, POLICY_KEYS)}'? (allowed: ${POLICY_KEYS.join(', ')})`,
        );
        ok = false;
    }
  }
  if (p.queue !== undefined && p.maxConcurrent === undefined && ok) {
    err(node, `${where}: 'queue' needs 'maxConcurrent' (the queue holds calls waiting for one of those slots)`);
    ok = false;
  }
  return ok ? p : undefined;
}

/** `custom.svcMesh.resiliency`: `{ default: policy, targets: { 'svc:fn': policy } }`. */
export function readServiceResiliency(
  src: SourceFile,
  root: Node | null,
  val: Val,
  err: Err,
): ServiceResiliency | undefined {
  const custom = src.pair(root, 'custom')?.value ?? null;
  const mesh = src.pair(custom, 'svcMesh')?.value ?? null;
  const rp = src.pair(mesh, 'resiliency');
  if (rp === undefined) return undefined;
  const where = 'custom.svcMesh.resiliency';
  const fs = fields(src, rp.value, val);
  if (fs === undefined) {
    err(rp.value, `${where} must be a mapping with 'default:' and/or 'targets:', got ${typeName(val(rp.value))}`);
    return undefined;
  }
  const out: ServiceResiliency = { targets: {}, loc: src.nodeLoc(rp.key) };
  for (const f of fs) {
    if (f.key === 'default') {
      const p = readPolicy(src, f.valueNode, `${where}.default`, val, err, f.value);
      if (p !== undefined) out.default = p;
    } else if (f.key === 'targets') {
      const ts = fields(src, f.valueNode, val, f.value);
      if (ts === undefined) {
        err(
          f.valueNode,
          `${where}.targets must be a mapping of 'service:function' to a policy, got ${typeName(f.value)}`,
        );
        continue;
      }
      for (const t of ts) {
        let id: string;
        try {
          const pt = parseTarget(t.key);
          id = `${pt.service}:${pt.function}`;
        } catch (e) {
          err(t.keyNode, `${where}.targets: ${(e as Error).message}`);
          continue;
        }
        const p = readPolicy(src, t.valueNode, `${where}.targets['${id}']`, val, err, t.value);
        if (p !== undefined) {
          p.loc = src.nodeLoc(t.keyNode);
          out.targets[id] = p;
        }
      }
    } else {
      err(
        f.keyNode,
        `unknown key '${f.key}' in ${where}; did you mean '${closest(f.key, ['default', 'targets'])}'? (allowed: default, targets)`,
      );
    }
  }
  return out;
}

/** The policy a caller applies on one edge: each key from the most specific level that sets it. */
export function mergePolicies(levels: readonly (EdgePolicy | undefined)[]): EdgePolicy | undefined {
  let out: EdgePolicy | undefined;
  // least specific first; later levels override key by key (circuitBreaker keys too)
  for (const p of levels) {
    if (p === undefined) continue;
    out ??= { loc: p.loc, locs: {} };
    for (const k of ['timeoutMs', 'retries', 'maxConcurrent', 'queue', 'fallback'] as const) {
      if (p[k] !== undefined) (out as unknown as Record<string, unknown>)[k] = p[k];
    }
    if (p.locs['timeout'] !== undefined) out.locs['timeout'] = p.locs['timeout'];
    if (p.circuitBreaker === false) out.circuitBreaker = false;
    else if (p.circuitBreaker !== undefined)
      out.circuitBreaker = { ...(out.circuitBreaker === false ? {} : out.circuitBreaker), ...p.circuitBreaker };
    out.loc = p.loc;
  }
  return out;
}

/** The JSON the runtime reads from SVC_MESH_POLICIES for one edge (src/resilience/policy.ts). */
export function runtimePolicy(p: EdgePolicy): Record<string, unknown> | undefined {
  const o: Record<string, unknown> = {};
  if (p.timeoutMs !== undefined) o['timeoutMs'] = p.timeoutMs;
  if (p.retries !== undefined) o['retries'] = p.retries;
  if (p.circuitBreaker !== undefined && p.circuitBreaker !== false) {
    const b: Record<string, unknown> = {
      failures: p.circuitBreaker.consecutiveFailures ?? BREAKER_DEFAULTS.consecutiveFailures,
      halfOpenMs: p.circuitBreaker.halfOpenAfterMs ?? BREAKER_DEFAULTS.halfOpenAfterMs,
    };
    if (p.circuitBreaker.tripOn !== undefined) b['tripOn'] = p.circuitBreaker.tripOn;
    o['breaker'] = b;
  }
  if (p.maxConcurrent !== undefined) {
    o['maxConcurrent'] = p.maxConcurrent;
    if (p.queue !== undefined && p.queue > 0) o['queue'] = p.queue;
  }
  if (p.fallback === 'event') o['fallback'] = 'event';
  return Object.keys(o).length === 0 ? undefined : o;
}

/** A short label for graph.mmd: `timeout 2s · retries 2 · breaker 5/30s · max 10 · fallback event`. */
export function policyLabel(p: EdgePolicy): string {
  const parts: string[] = [];
  if (p.timeoutMs !== undefined) parts.push(`timeout ${formatDuration(p.timeoutMs)}`);
  if (p.retries !== undefined) parts.push(`retries ${p.retries}`);
  if (p.circuitBreaker !== undefined && p.circuitBreaker !== false) {
    const n = p.circuitBreaker.consecutiveFailures ?? BREAKER_DEFAULTS.consecutiveFailures;
    const h = p.circuitBreaker.halfOpenAfterMs ?? BREAKER_DEFAULTS.halfOpenAfterMs;
    parts.push(`breaker ${n}/${formatDuration(h)}`);
  }
  if (p.maxConcurrent !== undefined)
    parts.push(`max ${p.maxConcurrent}${p.queue !== undefined && p.queue > 0 ? `+${p.queue}` : ''}`);
  if (p.fallback === 'event') parts.push('fallback event');
  return parts.join(' · ');
}

export type { EdgePolicy, ServiceResiliency, SourceLoc };

/**
 * One item of `calling:`: a `'service:function'` string, or a one-key mapping from the target to
 * its policy (`- payments:charge: { timeout: 2s }`). `add` registers the target (and reports its
 * problems); the policy goes into `policies` under the target's id.
 */
export function readCallingEntry(
  src: SourceFile,
  node: Node | null,
  i: number,
  val: Val,
  err: Err,
  add: (v: unknown, i: number, node: Node | null) => string | undefined,
  policies: Record<string, EdgePolicy>,
): void {
  const v = val(node);
  const isObj = v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isObj) {
    add(v, i, node);
    return;
  }
  const n = src.deref(node);
  const fs = isMap(n) ? src.entries(n) : undefined;
  const keys = Object.keys(v as object);
  if (keys.length !== 1) {
    err(
      node,
      `calling[${i}] must be 'service:function' or one 'service:function: { policy }' mapping, got a mapping with ${keys.length} keys` +
        (keys.length > 1 ? ` (${keys.slice(0, 3).join(', ')}); put each target on its own '- ' line` : ''),
    );
    return;
  }
  const keyNode = fs?.[0]?.keyNode ?? n;
  const valueNode = fs?.[0]?.value ?? n;
  const id = add(keys[0], i, keyNode);
  if (id === undefined) return;
  const p = readPolicy(src, valueNode, `calling '${id}'`, val, err, (v as Record<string, unknown>)[keys[0]!]);
  if (p !== undefined) {
    p.loc = src.nodeLoc(keyNode);
    policies[id] = p;
  }
}

/**
 * The merged policy of the edge `f` → `target` (undefined when no level sets one). Levels, least
 * specific first: the caller service's `default`, the callee's own `resiliency:`, the caller
 * service's `targets[target]`, the edge itself.
 */
export function effectivePolicy(
  service: { resiliency?: ServiceResiliency },
  f: { policies?: Record<string, EdgePolicy> },
  target: string,
  callee: { resiliency?: EdgePolicy } | undefined,
): EdgePolicy | undefined {
  const r = service.resiliency;
  if (r === undefined && f.policies === undefined && callee?.resiliency === undefined) return undefined;
  return mergePolicies([r?.default, callee?.resiliency, r?.targets[target], f.policies?.[target]]);
}
