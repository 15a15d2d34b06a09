/**
 * graph.mmd: a Mermaid flowchart. Services are subgraphs; solid arrows are sync calls (caller →
 * callee), dotted arrows are event subscriptions (publisher -. type .-> subscriber).
 */
import { effectivePolicy, policyLabel } from '../load/resiliency.js';
import type { FunctionModel, Project } from '../model.js';

/** Injective id: `_` → `_u`, `-` → `_d`, so `__` never occurs inside a part and can join them. */
const esc = (s: string) => s.replace(/_/g, '_u').replace(/-/g, '_d');
const id = (service: string, fn: string) => `${esc(service)}__${esc(fn)}`;
const label = (s: string) => s.replace(/"/g, '#quot;');

export function mermaidGraph(project: Project): string {
  const lines = ['flowchart LR'];
  const known = new Set<string>();
  const fns = new Map<string, FunctionModel>();
  for (const s of project.services) {
    lines.push(`  subgraph ${esc(s.name)}["${label(s.name)}${s.external ? ' (contract)' : ''}"]`);
    for (const f of s.functions) {
      known.add(`${s.name}:${f.key}`);
      fns.set(`${s.name}:${f.key}`, f);
      const shape = f.subscribable ? `(["${label(f.key)}"])` : `["${label(f.key)}"]`;
      lines.push(`    ${id(s.name, f.key)}${shape}`);
    }
    lines.push('  end');
  }
  const calls: string[] = [];
  const events: string[] = [];
  for (const s of project.services) {
    for (const f of s.functions) {
      for (const t of f.calling) {
        const tid = `${t.service}:${t.function}`;
        if (!known.has(tid)) continue;
        // A resiliency policy labels its edge: -->|"timeout 2s · breaker 5/30s"|
        const p = s.external ? undefined : effectivePolicy(s, f, tid, fns.get(tid));
        const text = p === undefined ? '' : policyLabel(p);
        const arrow = text === '' ? '-->' : `-->|"${label(text)}"|`;
        calls.push(`  ${id(s.name, f.key)} ${arrow} ${id(t.service, t.function)}`);
      }
      for (const sub of f.subscriptions) {
        if (!known.has(`${sub.service}:${sub.function}`)) continue;
        const filtered = sub.filterPolicy !== undefined ? ' (filtered)' : '';
        events.push(`  ${id(sub.service, sub.function)} -. "${sub.type}${filtered}" .-> ${id(s.name, f.key)}`);
      }
    }
  }
  lines.push(...calls.sort(), ...events.sort());
  if (project.services.some((s) => s.external)) {
    lines.push('  classDef external stroke-dasharray: 4 4');
    for (const s of project.services) if (s.external) lines.push(`  class ${esc(s.name)} external`);
  }
  return lines.join('\n') + '\n';
}
