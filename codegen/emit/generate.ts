/**
 * generate(project): everything derived from the model, in memory. Pure and deterministic:
 * the same project gives byte-identical output (sorted services, functions and plan entries).
 */
import { CodegenError, type Diagnostic, PolicyTooLargeError } from '../errors.js';
import type { FunctionModel, Generated, PolicyDocument, Project, ServiceModel } from '../model.js';
import { Arns } from './arns.js';
import { serviceTemplate } from './cloudformation.js';
import { envSize, functionEnv, LAMBDA_ENV_QUOTA } from './env.js';
import { mermaidGraph } from './graph.js';
import { functionPolicies, wildcardResources } from './iam.js';
import { seedPlan } from './seed.js';

export interface GenerateResult extends Generated {
  /** Policies with `${AWS::…}` placeholders (what iam/*.json holds), whatever `account` is. */
  templatePolicies: Record<string, PolicyDocument[]>;
  /** env with placeholders (what env/*.json holds). */
  templateEnv: Generated['env'];
}

/**
 * Derives policies, environment, seed plan, CloudFormation fragments and the graph.
 *
 * @throws PolicyTooLargeError when a function's exact grants cannot fit IAM's quotas;
 * CodegenError when a function's environment would exceed Lambda's 4 KB.
 *
 * @example
 * ```ts
 * import { generate, loadProject } from 'svc-mesh-tools/codegen';
 * const out = generate(await loadProject(['.'], { stage: 'dev', account: '123456789012', region: 'us-east-1' }));
 * console.log(out.policies['orders:placeOrder']);
 * ```
 */
export function generate(project: Project): GenerateResult {
  const byName = new Map<string, ServiceModel>();
  for (const s of project.services) if (!byName.has(s.name)) byName.set(s.name, s);
  const template = Arns.template(project);
  const preferred = Arns.preferred(project);
  const concrete = Arns.concrete(project);

  const tooLarge: Diagnostic[] = [];
  const invalid: Diagnostic[] = [];
  const policies: Record<string, PolicyDocument[]> = {};
  const templatePolicies: Record<string, PolicyDocument[]> = {};
  const env: Generated['env'] = {};
  const templateEnv: Generated['env'] = {};
  const cloudformation: Record<string, object> = {};

  for (const s of project.services) {
    if (s.external) continue;
    const fnPolicies = new Map<FunctionModel, PolicyDocument[]>();
    const fnEnv = new Map<FunctionModel, Record<string, string>>();
    env[s.name] = {};
    templateEnv[s.name] = {};
    for (const f of s.functions) {
      const id = `${s.name}:${f.key}`;
      const t = functionPolicies(project, template, s, f, byName);
      if (!Array.isArray(t)) {
        tooLarge.push(t);
        continue;
      }
      templatePolicies[id] = t;
      fnPolicies.set(f, t);
      if (preferred.concrete) {
        const c = functionPolicies(project, preferred, s, f, byName);
        policies[id] = Array.isArray(c) ? c : t;
      } else policies[id] = t;
      const wild = [...t, ...policies[id]!].flatMap(wildcardResources);
      if (wild.length > 0) {
        invalid.push({
          ...f.loc,
          severity: 'error',
          message: `${id}: refusing a policy with a wildcard resource (${[...new Set(wild)].join(', ')}); check the stage, region, account and partition of the project`,
        });
      }
      const te = functionEnv(project, template, s, f);
      fnEnv.set(f, te);
      templateEnv[s.name]![f.key] = te;
      const e = functionEnv(project, preferred, s, f);
      env[s.name]![f.key] = e;
      const total = envSize({ ...f.environment, ...functionEnv(project, concrete, s, f) });
      if (total > LAMBDA_ENV_QUOTA) {
        invalid.push({
          ...(f.locs['calling'] ?? f.loc),
          severity: 'error',
          message: `${id}: its environment would be ${total} bytes; Lambda allows ${LAMBDA_ENV_QUOTA} for all variables together (SVC_MESH_CALLING lists every target, SVC_MESH_POLICIES their resiliency policies). Shorten 'calling:' or 'environment:'`,
        });
      }
    }
    cloudformation[s.name] = serviceTemplate(project, template, s, fnPolicies, fnEnv, byName);
  }
  if (invalid.length > 0) throw new CodegenError([...invalid, ...tooLarge]);
  if (tooLarge.length > 0) throw new PolicyTooLargeError(tooLarge);
  return {
    policies,
    templatePolicies,
    env,
    templateEnv,
    seed: seedPlan(project, concrete, byName),
    cloudformation,
    graph: mermaidGraph(project),
  };
}
