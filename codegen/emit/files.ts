/**
 * The output directory as a map of relative path → contents, built in memory so nothing is
 * written until everything succeeded (see write.ts). Stable order, no timestamps.
 */
import { sortKeys } from '../contracts/io.js';
import type { Project } from '../model.js';
import { Arns } from './arns.js';
import { clientFiles } from './clients.js';
import type { GenerateResult } from './generate.js';
import { functionPolicies } from './iam.js';

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

/** `iam/<service>-<function>.json` (the inline policy), `…-managed-<n>.json` for splits. */
function iamFiles(prefix: string, docs: readonly unknown[], files: Record<string, string>, base: string): void {
  docs.forEach((d, i) => {
    files[`${prefix}${base}${i === 0 ? '' : `.managed-${i}`}.json`] = json(d);
  });
}

/**
 * Every output file as `relative path → contents`, sorted (what `svc-codegen` writes).
 *
 * @example
 * ```ts
 * import { generate, loadProject, outputFiles, writeOutput } from 'svc-mesh-tools/codegen';
 * const project = await loadProject(['services'], { stage: 'dev', contracts: true });
 * await writeOutput('.svc-mesh/codegen', outputFiles(project, generate(project)));
 * ```
 */
export function outputFiles(project: Project, g: GenerateResult): Record<string, string> {
  const files: Record<string, string> = {};
  const byName = new Map(project.services.map((s) => [s.name, s] as const));
  const concrete = project.options.account !== undefined ? Arns.concrete(project) : undefined;
  for (const s of project.services) {
    if (s.external) continue;
    for (const f of s.functions) {
      const id = `${s.name}:${f.key}`;
      iamFiles('iam/', g.templatePolicies[id] ?? [], files, `${s.name}-${f.key}`);
      if (concrete !== undefined) {
        const c = functionPolicies(project, concrete, s, f, byName);
        if (Array.isArray(c)) iamFiles('iam/concrete/', c, files, `${s.name}-${f.key}`);
      }
    }
    files[`cloudformation/${s.name}.json`] = json(g.cloudformation[s.name]);
    files[`env/${s.name}.json`] = json(g.templateEnv[s.name] ?? {});
  }
  files['graph.mmd'] = g.graph;
  const local = Object.fromEntries(Object.entries(project.contracts).filter(([name]) => !byName.get(name)?.external));
  // Header fields first (svcMesh, service, hash), then the sorted functions and definitions.
  for (const [name, c] of Object.entries(local)) {
    files[`contracts/${name}.json`] = json({
      svcMesh: c.svcMesh,
      service: c.service,
      hash: c.hash,
      functions: sortKeys(c.functions),
      definitions: sortKeys(c.definitions),
    });
  }
  if (Object.keys(project.contracts).length > 0) {
    const calling: Record<string, string[]> = {};
    for (const s of project.services)
      if (!s.external)
        for (const f of s.functions) calling[`${s.name}:${f.key}`] = f.calling.map((t) => `${t.service}:${t.function}`);
    Object.assign(files, clientFiles(project.contracts, calling));
  }
  files['seed.json'] = json(g.seed);
  files['.svc-codegen.json'] = json({
    generatedBy: 'svc-codegen',
    stage: project.options.stage,
    stageFallback: project.options.stageFallback,
    services: project.services.filter((s) => !s.external).map((s) => s.name),
  });
  return Object.fromEntries(Object.entries(files).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
}
