/**
 * A small IAM policy evaluator for the subset svc-mesh generates: identity-based policies
 * with `Effect` Allow/Deny, `Action` and `Resource` (strings or lists) with `*` and `?`
 * wildcards. No conditions, no NotAction/NotResource, no principals. Semantics as AWS
 * documents them: an explicit Deny wins, otherwise any matching Allow allows, otherwise
 * the request is implicitly denied. Actions match case-insensitively, resources
 * case-sensitively. Our own code (MIT), cross-checked in tests against an independent
 * evaluator.
 */
import type { PolicyDocument } from '../../../codegen/model.js';

export type Decision = 'allowed' | 'explicitDeny' | 'implicitDeny';

const cache = new Map<string, RegExp>();

function compile(pattern: string, caseInsensitive: boolean): RegExp {
  const key = `${caseInsensitive ? 'i' : 's'}${pattern}`;
  let re = cache.get(key);
  if (re === undefined) {
    let src = '^';
    for (const ch of pattern) {
      if (ch === '*') src += '.*';
      else if (ch === '?') src += '.';
      else src += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
    re = new RegExp(`${src}$`, caseInsensitive ? 'is' : 's');
    if (cache.size > 10_000) cache.clear();
    cache.set(key, re);
  }
  return re;
}

/** IAM wildcard match: `*` any run of characters (also none), `?` exactly one. */
export function wildcardMatch(pattern: string, value: string, caseInsensitive = false): boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) {
    return caseInsensitive ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
  }
  return compile(pattern, caseInsensitive).test(value);
}

const list = (v: string | string[]): string[] => (Array.isArray(v) ? v : [v]);

export function evaluatePolicies(policies: readonly PolicyDocument[], action: string, resource: string): Decision {
  let allowed = false;
  for (const doc of policies) {
    for (const st of doc.Statement) {
      if (!list(st.Action).some((a) => wildcardMatch(a, action, true))) continue;
      if (!list(st.Resource).some((r) => wildcardMatch(r, resource))) continue;
      if (st.Effect === 'Deny') return 'explicitDeny';
      if (st.Effect === 'Allow') allowed = true;
    }
  }
  return allowed ? 'allowed' : 'implicitDeny';
}
