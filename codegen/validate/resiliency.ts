/**
 * Resiliency checks across levels (docs/resiliency.md): a merged per-edge timeout must be shorter
 * than the caller's own Lambda timeout (it could never be used otherwise), and a service's
 * `targets:` may only name edges its functions declare.
 */
import type { Diagnostic } from '../errors.js';
import { effectivePolicy, formatDuration } from '../load/resiliency.js';
import type { FunctionModel, ServiceModel } from '../model.js';

export function validateResiliency(
  byName: ReadonlyMap<string, ServiceModel>,
  fnIndex: ReadonlyMap<string, FunctionModel>,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const s of byName.values()) {
    if (s.external) continue;
    const declared = new Set<string>();
    for (const f of s.functions) {
      for (const t of f.calling) {
        const id = `${t.service}:${t.function}`;
        declared.add(id);
        const p = effectivePolicy(s, f, id, fnIndex.get(id));
        if (p?.timeoutMs === undefined) continue;
        const own = f.timeout * 1000;
        if (p.timeoutMs >= own) {
          const loc = p.locs['timeout'] ?? p.loc;
          out.push({
            ...loc,
            severity: 'error',
            message:
              `calling '${id}' from ${s.name}:${f.key}: timeout ${formatDuration(p.timeoutMs)} is not shorter than ` +
              `${s.name}:${f.key}'s own Lambda timeout (${formatDuration(own)}), so the caller would be killed first. ` +
              `Lower the timeout, or raise functions.${f.key}.timeout`,
          });
        }
      }
    }
    for (const [id, p] of Object.entries(s.resiliency?.targets ?? {})) {
      if (declared.has(id)) continue;
      out.push({
        ...p.loc,
        severity: 'error',
        message:
          `custom.svcMesh.resiliency.targets has a policy for '${id}', but no function of service '${s.name}' ` +
          `lists it under calling:. Add '- ${id}' to the calling: of the function that calls it, or remove the policy`,
      });
    }
  }
  return out;
}
