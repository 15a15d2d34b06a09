/**
 * SNS subscription filter policies: validation and matching, for both scopes
 * (`MessageAttributes`, the default, and `MessageBody`). Keys are ANDed, the conditions
 * in a key's list are ORed; supported operators: exact string/number, `prefix`, `suffix`,
 * `equals-ignore-case`, `anything-but` (value, list, or `prefix`/`suffix`), `numeric`
 * (`=`, `<`, `<=`, `>`, `>=`, ranges) and `exists`, plus `$or`.
 * @internal
 */

export interface AttributeValue {
  Type: string;
  Value: string;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const NUMERIC_OPS = new Set(['=', '<', '<=', '>', '>=']);

/** AWS's limits on one filter policy (SNS developer guide, "Filter policy constraints"). */
export const FILTER_POLICY_MAX_KEYS = 5;
export const FILTER_POLICY_MAX_COMBINATIONS = 150;

/**
 * The value of an untrusted key, own properties only: `toString`, `constructor` or
 * `__proto__` as attribute or field names are ordinary names, as in SNS.
 */
function own<T>(o: Record<string, T> | undefined, k: string): T | undefined {
  return o !== undefined && Object.hasOwn(o, k) ? o[k] : undefined;
}

/**
 * How AWS counts a policy's combinations: for each list of values, its length times the depth
 * of its key, multiplied over the keys; the branches of `$or` add up.
 */
export function filterPolicyCombinations(policy: Record<string, unknown>, depth = 1, acc = 1): number {
  let n = acc;
  for (const [k, v] of Object.entries(policy)) {
    if (k === '$or' && Array.isArray(v)) {
      let sum = 0;
      for (const branch of v)
        if (branch !== null && typeof branch === 'object') sum += filterPolicyCombinations(branch, depth, n);
      n = sum;
    } else if (Array.isArray(v)) n *= v.length * depth;
    else if (v !== null && typeof v === 'object')
      n = filterPolicyCombinations(v as Record<string, unknown>, depth + 1, n);
  }
  return n;
}

/** Returns an error message, or undefined when the policy is acceptable. */
export function validateFilterPolicy(policy: unknown, path = ''): string | undefined {
  const shape = validateShape(policy, path);
  if (shape !== undefined || path !== '') return shape;
  // only the top-level keys count (AWS: "for a nested policy, only parent keys are counted")
  if (Object.keys(policy as object).length > FILTER_POLICY_MAX_KEYS)
    return `Filter policy can not have more than ${FILTER_POLICY_MAX_KEYS} keys`;
  if (filterPolicyCombinations(policy as Record<string, unknown>) > FILTER_POLICY_MAX_COMBINATIONS)
    return `Filter policy is too complex (more than ${FILTER_POLICY_MAX_COMBINATIONS} combinations of values)`;
  return undefined;
}

function validateShape(policy: unknown, path = ''): string | undefined {
  if (policy === null || typeof policy !== 'object' || Array.isArray(policy))
    return `${path || 'FilterPolicy'}: must be a JSON object`;
  const entries = Object.entries(policy as Record<string, unknown>);
  if (entries.length === 0 && path === '') return 'FilterPolicy: must not be empty';
  for (const [k, v] of entries) {
    const here = path ? `${path}.${k}` : k;
    if (k === '$or') {
      if (!Array.isArray(v) || v.length < 2) return `${here}: must be an array of at least two policies`;
      for (const sub of v) {
        const e = validateShape(sub, here);
        if (e) return e;
      }
      continue;
    }
    if (Array.isArray(v)) {
      if (v.length === 0) return `${here}: the list of conditions is empty`;
      for (const c of v) {
        const e = validateCondition(c, here);
        if (e) return e;
      }
    } else if (v !== null && typeof v === 'object') {
      const e = validateShape(v, here);
      if (e) return e;
    } else {
      return `${here}: must be a list of conditions, e.g. ["value"]`;
    }
  }
  return undefined;
}

function validateCondition(c: unknown, where: string): string | undefined {
  if (c === null || typeof c === 'string' || typeof c === 'number' || typeof c === 'boolean') return undefined;
  if (typeof c !== 'object' || Array.isArray(c)) return `${where}: unsupported condition ${JSON.stringify(c)}`;
  const keys = Object.keys(c);
  if (keys.length !== 1) return `${where}: an operator object must have exactly one key`;
  const op = keys[0]!;
  const v = (c as Record<string, unknown>)[op];
  switch (op) {
    case 'prefix':
    case 'suffix':
    case 'equals-ignore-case':
      return typeof v === 'string' ? undefined : `${where}: "${op}" needs a string`;
    case 'exists':
      return typeof v === 'boolean' ? undefined : `${where}: "exists" needs true or false`;
    case 'anything-but':
      if (typeof v === 'string' || typeof v === 'number') return undefined;
      if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) return undefined;
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        const [k, val] = Object.entries(v)[0] ?? [];
        if ((k === 'prefix' || k === 'suffix') && typeof val === 'string') return undefined;
      }
      return `${where}: unsupported "anything-but" value`;
    case 'numeric': {
      if (!Array.isArray(v) || v.length === 0 || v.length % 2 !== 0 || v.length > 4)
        return `${where}: "numeric" needs [op, number] or [op, number, op, number]`;
      for (let i = 0; i < v.length; i += 2) {
        if (!NUMERIC_OPS.has(v[i] as string) || typeof v[i + 1] !== 'number' || !Number.isFinite(v[i + 1]))
          return `${where}: "numeric" needs [op, number] pairs with op one of = < <= > >=`;
      }
      return undefined;
    }
    default:
      return `${where}: unsupported operator "${op}"`;
  }
}

function numericMatch(ops: Json[], n: number): boolean {
  for (let i = 0; i < ops.length; i += 2) {
    const op = ops[i] as string;
    const x = ops[i + 1] as number;
    const ok = op === '=' ? n === x : op === '<' ? n < x : op === '<=' ? n <= x : op === '>' ? n > x : n >= x;
    if (!ok) return false;
  }
  return true;
}

/** One condition against one scalar value (`undefined` = absent). */
function conditionMatches(c: Json, value: string | number | boolean | null | undefined, isNumber: boolean): boolean {
  if (c === null) return value === null;
  if (typeof c === 'string') return typeof value === 'string' && !isNumber && value === c;
  if (typeof c === 'number') {
    if (typeof value === 'number') return value === c;
    return isNumber && typeof value === 'string' && Number(value) === c;
  }
  if (typeof c === 'boolean') return value === c;
  if (Array.isArray(c)) return false;
  const [op, arg] = Object.entries(c)[0] ?? ['', null];
  if (op === 'exists') return arg === (value !== undefined);
  if (value === undefined) return false;
  const str = typeof value === 'string' ? value : undefined;
  switch (op) {
    case 'prefix':
      return str !== undefined && !isNumber && str.startsWith(arg as string);
    case 'suffix':
      return str !== undefined && !isNumber && str.endsWith(arg as string);
    case 'equals-ignore-case':
      return str !== undefined && !isNumber && str.toLowerCase() === (arg as string).toLowerCase();
    case 'numeric': {
      const n = typeof value === 'number' ? value : isNumber && str !== undefined ? Number(str) : Number.NaN;
      return Number.isFinite(n) && numericMatch(arg as Json[], n);
    }
    case 'anything-but': {
      if (arg !== null && typeof arg === 'object' && !Array.isArray(arg)) {
        const [k, v] = Object.entries(arg)[0] ?? [];
        if (str === undefined) return true;
        return k === 'prefix' ? !str.startsWith(v as string) : !str.endsWith(v as string);
      }
      const list = Array.isArray(arg) ? arg : [arg];
      return !list.some((x) =>
        typeof x === 'number'
          ? (typeof value === 'number' ? value : isNumber ? Number(value) : Number.NaN) === x
          : value === x && !isNumber,
      );
    }
    default:
      return false;
  }
}

function valuesOf(
  attr: AttributeValue | undefined,
): { values: (string | number | boolean | null)[]; isNumber: boolean } | undefined {
  if (attr === undefined) return undefined;
  const base = attr.Type.split('.')[0];
  if (attr.Type.startsWith('String.Array')) {
    try {
      const arr = JSON.parse(attr.Value) as unknown;
      if (Array.isArray(arr)) {
        return {
          values: arr.filter((x) => x === null || ['string', 'number', 'boolean'].includes(typeof x)) as (
            | string
            | number
            | boolean
            | null
          )[],
          isNumber: false,
        };
      }
    } catch {
      // not an array: matches nothing
    }
    return { values: [], isNumber: false };
  }
  if (base === 'Number') return { values: [attr.Value], isNumber: true };
  if (base === 'String') return { values: [attr.Value], isNumber: false };
  return { values: [], isNumber: false }; // Binary attributes are never matched
}

function listMatches(
  conds: Json[],
  vals: { values: (string | number | boolean | null)[]; isNumber: boolean } | undefined,
): boolean {
  return conds.some((c) => {
    if (vals === undefined) return conditionMatches(c, undefined, false);
    if (c !== null && typeof c === 'object' && !Array.isArray(c) && 'exists' in c) return c['exists'] === true;
    return vals.values.some((v) => conditionMatches(c, v, vals.isNumber));
  });
}

export function matchesAttributes(policy: Record<string, Json>, attrs: Record<string, AttributeValue>): boolean {
  for (const [k, v] of Object.entries(policy)) {
    if (k === '$or') {
      if (!(v as Record<string, Json>[]).some((p) => matchesAttributes(p, attrs))) return false;
      continue;
    }
    if (!Array.isArray(v)) return false; // nested keys only apply to MessageBody scope
    if (!listMatches(v, valuesOf(own(attrs, k)))) return false;
  }
  return true;
}

export function matchesBody(policy: Record<string, Json>, body: unknown): boolean {
  const obj =
    body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  for (const [k, v] of Object.entries(policy)) {
    if (k === '$or') {
      if (!(v as Record<string, Json>[]).some((p) => matchesBody(p, body))) return false;
      continue;
    }
    const field = own(obj, k);
    if (Array.isArray(v)) {
      let vals: { values: (string | number | boolean | null)[]; isNumber: boolean } | undefined;
      if (field !== undefined) {
        const arr = Array.isArray(field) ? field : [field];
        vals = {
          values: arr.filter((x) => x === null || ['string', 'number', 'boolean'].includes(typeof x)) as (
            | string
            | number
            | boolean
            | null
          )[],
          isNumber: false,
        };
      }
      if (!listMatches(v, vals)) return false;
    } else if (v !== null && typeof v === 'object') {
      if (!matchesBody(v as Record<string, Json>, field)) return false;
    }
  }
  return true;
}
