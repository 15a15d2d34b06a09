/**
 * Breaking-change check between two sets of contracts. A change breaks callers when:
 * - a function (or a whole service) disappears, or stops being subscribable;
 * - the new input rejects something the old input accepted (a new required field, a narrowed
 *   or changed type): the new input schema must accept every old input;
 * - the new output can produce something the old output did not promise (a removed or
 *   now-optional field, a changed type): every new output must be a valid old output.
 * Additive changes (new functions, new optional inputs, new output fields) pass.
 */
import type { BreakingChange } from '../errors.js';
import type { JsonSchema, ServiceContract } from '../model.js';

type Kind = BreakingChange['kind'];
interface Side {
  schema: unknown;
  defs: Record<string, JsonSchema>;
}

function deref(s: Side, seen = 0): Side {
  const v = s.schema;
  if (seen > 32 || v === null || typeof v !== 'object') return s;
  const ref = (v as JsonSchema)['$ref'];
  if (typeof ref !== 'string') return s;
  const m = /^#\/definitions\/(.+)$/.exec(ref);
  if (m === null) return { ...s, schema: {} };
  return deref({ ...s, schema: s.defs[decodeURIComponent(m[1]!)] ?? {} }, seen + 1);
}

const obj = (v: unknown): JsonSchema => (v !== null && typeof v === 'object' ? (v as JsonSchema) : {});
const isAny = (v: unknown) =>
  v === true || v === undefined || (typeof v === 'object' && v !== null && Object.keys(v).length === 0);

function branches(v: unknown): unknown[] | undefined {
  const s = obj(v);
  const xs = s['anyOf'] ?? s['oneOf'];
  return Array.isArray(xs) ? xs : undefined;
}

/** Primitive types a schema admits (undefined when it does not say). */
function types(v: unknown): Set<string> | undefined {
  const s = obj(v);
  if ('const' in s) return new Set([jsonType(s['const'])]);
  if (Array.isArray(s['enum'])) return new Set((s['enum'] as unknown[]).map(jsonType));
  const t = s['type'];
  if (typeof t === 'string') return new Set([t]);
  if (Array.isArray(t)) return new Set(t as string[]);
  if (s['properties'] !== undefined) return new Set(['object']);
  return undefined;
}

function jsonType(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'array';
  if (typeof x === 'number') return Number.isInteger(x) ? 'integer' : 'number';
  return typeof x;
}

export function describeSchema(side: Side): string {
  const raw = obj(side.schema);
  if (typeof raw['$ref'] === 'string') return decodeURIComponent(String(raw['$ref']).replace('#/definitions/', ''));
  const s = obj(deref(side).schema);
  if (isAny(s)) return 'unknown';
  if ('const' in s) return JSON.stringify(s['const']);
  if (Array.isArray(s['enum'])) return (s['enum'] as unknown[]).map((x) => JSON.stringify(x)).join(' | ');
  const bs = branches(s);
  if (bs !== undefined) return bs.map((b) => describeSchema({ ...side, schema: b })).join(' | ');
  const t = types(s);
  if (t === undefined) return 'unknown';
  if (t.has('array')) return `${describeSchema({ ...side, schema: s['items'] })}[]`;
  return [...t].join(' | ');
}

/**
 * True when every value valid for `narrow` is valid for `wide`. Calls `report` for each
 * reason it is not (with a path), and keeps looking to report them all.
 */
function subsumes(
  wide: Side,
  narrow: Side,
  path: string,
  mode: 'input' | 'output',
  report: (kind: Kind, path: string, message: string) => void,
  seen: Set<string>,
): boolean {
  // Recursive types recur through $ref: compare each pair of referenced types once.
  const refOf = (v: unknown) => (v !== null && typeof v === 'object' ? (v as JsonSchema)['$ref'] : undefined);
  if (refOf(wide.schema) !== undefined || refOf(narrow.schema) !== undefined) {
    const key = `${JSON.stringify(wide.schema)}|${JSON.stringify(narrow.schema)}`;
    if (seen.has(key)) return true;
    seen.add(key);
  }
  const W = deref(wide);
  const N = deref(narrow);
  if (isAny(W.schema)) return true;
  const changed = () => {
    const [was, now] = mode === 'input' ? [N, W] : [W, N];
    report('type-changed', path, `type changed from ${describeSchema(was)} to ${describeSchema(now)}`);
    return false;
  };
  if (isAny(N.schema)) return changed();
  const nb = branches(N.schema);
  if (nb !== undefined) {
    // Every alternative of the narrow side must fit the wide side.
    const quiet = () => {};
    if (nb.every((b) => subsumes(W, { ...N, schema: b }, path, mode, quiet, new Set(seen)))) return true;
    return changed();
  }
  const wb = branches(W.schema);
  if (wb !== undefined) {
    const quiet = () => {};
    if (wb.some((b) => subsumes({ ...W, schema: b }, N, path, mode, quiet, new Set(seen)))) return true;
    return changed();
  }
  const ws = obj(W.schema);
  const ns = obj(N.schema);
  // Literals: the narrow side's values must all be allowed by the wide side.
  const lits = (s: JsonSchema): unknown[] | undefined =>
    'const' in s ? [s['const']] : Array.isArray(s['enum']) ? (s['enum'] as unknown[]) : undefined;
  const wl = lits(ws);
  const nl = lits(ns);
  if (wl !== undefined) {
    if (nl === undefined) return changed();
    const allowed = new Set(wl.map((x) => JSON.stringify(x)));
    return nl.every((x) => allowed.has(JSON.stringify(x))) ? true : changed();
  }
  const wt = types(ws);
  const nt = types(nl !== undefined ? { enum: nl } : ns);
  if (wt === undefined || nt === undefined) return JSON.stringify(ws) === JSON.stringify(ns) ? true : changed();
  for (const t of nt) {
    if (wt.has(t) || (t === 'integer' && wt.has('number'))) continue;
    return changed();
  }
  if (nl !== undefined) return true;
  let ok = true;
  if (nt.has('array') && wt.has('array')) {
    if (!subsumes({ ...W, schema: ws['items'] }, { ...N, schema: ns['items'] }, `${path}[]`, mode, report, seen))
      ok = false;
  }
  if (nt.has('object') && wt.has('object')) {
    const wp = obj(ws['properties']);
    const np = obj(ns['properties']);
    const wr = new Set((ws['required'] as string[] | undefined) ?? []);
    const nr = new Set((ns['required'] as string[] | undefined) ?? []);
    for (const p of Object.keys(wp).sort()) {
      const at = `${path}.${p}`;
      if (wr.has(p) && !nr.has(p)) {
        ok = false;
        if (mode === 'input')
          report(
            'input-field-required',
            at,
            `new required input field '${p}' (callers do not send it yet); make it optional`,
          );
        else
          report(
            'output-field-removed',
            at,
            p in np ? `output field '${p}' is no longer always present` : `output field '${p}' was removed`,
          );
        continue;
      }
      if (mode === 'output' && !(p in np)) {
        ok = false;
        report('output-field-removed', at, `output field '${p}' was removed`);
        continue;
      }
      if (p in np && !subsumes({ ...W, schema: wp[p] }, { ...N, schema: np[p] }, at, mode, report, seen)) ok = false;
    }
    // A property the narrow side has and the wide side does not list: fine unless the wide side
    // types the extra properties (an index signature) and they do not fit.
    const extra = ws['additionalProperties'];
    if (extra !== undefined && extra !== false && extra !== true) {
      for (const p of Object.keys(np).filter((k) => !(k in wp))) {
        if (!subsumes({ ...W, schema: extra }, { ...N, schema: np[p] }, `${path}.${p}`, mode, report, seen)) ok = false;
      }
    }
  }
  return ok;
}

/**
 * Every breaking change from `before` to `after` (contracts by service name), sorted by service,
 * function and path. An empty list means every caller of `before` still works against `after`.
 *
 * @example
 * ```ts
 * import { breakingChanges } from 'svc-mesh-tools/codegen';
 * const changes = breakingChanges(previous, project.contracts);
 * if (changes.length > 0) process.exitCode = 1;
 * ```
 */
export function breakingChanges(
  before: Record<string, ServiceContract>,
  after: Record<string, ServiceContract>,
): BreakingChange[] {
  const out: BreakingChange[] = [];
  for (const service of Object.keys(before).sort()) {
    const old = before[service]!;
    const cur = after[service];
    for (const fn of Object.keys(old.functions).sort()) {
      const o = old.functions[fn]!;
      const n = cur?.functions[fn];
      const add = (kind: Kind, path: string, message: string) =>
        out.push({ service, function: fn, kind, path, message });
      // A subscriber is invoked by SNS, not by callers: only its topics (if subscribable) are a promise.
      if (o.kind === 'subscriber') {
        if (o.subscribable && n?.subscribable !== true) {
          add(
            'subscribable-removed',
            'subscribable',
            'no longer subscribable: subscribers lose their lifecycle topics',
          );
        }
        continue;
      }
      if (n === undefined) {
        add(
          'function-removed',
          '',
          cur === undefined ? `service '${service}' was removed` : `function '${fn}' was removed`,
        );
        continue;
      }
      if (o.subscribable && !n.subscribable) {
        add('subscribable-removed', 'subscribable', 'no longer subscribable: subscribers lose their lifecycle topics');
      }
      subsumes(
        { schema: n.input, defs: cur!.definitions },
        { schema: o.input, defs: old.definitions },
        'input',
        'input',
        add,
        new Set(),
      );
      subsumes(
        { schema: o.output, defs: old.definitions },
        { schema: n.output, defs: cur!.definitions },
        'output',
        'output',
        add,
        new Set(),
      );
    }
  }
  return out;
}
