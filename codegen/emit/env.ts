/**
 * The SVC_MESH_* environment of each function (src/internal/env.ts names every variable).
 * Only svc-mesh's own variables: the user's `environment:` stays in the model and in Serverless.
 */
import { ENV } from 'svc-mesh/internal';
import { effectivePolicy, runtimePolicy } from '../load/resiliency.js';
import type { FunctionModel, Project, ServiceModel } from '../model.js';
import type { Arns } from './arns.js';

export function functionEnv(
  project: Project,
  arns: Arns,
  service: ServiceModel,
  f: FunctionModel,
): Record<string, string> {
  const o = project.options;
  const env: Record<string, string> = {
    [ENV.SERVICE]: service.name,
    [ENV.FUNCTION]: f.key,
    [ENV.STAGE]: o.stage,
    [ENV.STAGE_FALLBACK]: o.stageFallback.join(','),
    [ENV.CALLING]: f.calling.map((t) => `${t.service}:${t.function}`).join(','),
    [ENV.SUBSCRIBABLE]: f.subscribable ? 'true' : 'false',
    [ENV.DISCOVERY]: o.discovery.join(','),
    [ENV.SSM_PREFIX]: o.ssmPrefix,
  };
  if (f.subscribable) env[ENV.TOPICS] = JSON.stringify(arns.topics(service, f, o.stage, service));
  const policies = edgePolicies(project, service, f);
  if (policies !== undefined) env[ENV.POLICIES] = JSON.stringify(policies);
  return env;
}

/** The merged resiliency policy of each of `f`'s edges that has one (SVC_MESH_POLICIES), or undefined. */
export function edgePolicies(
  project: Project,
  service: ServiceModel,
  f: FunctionModel,
): Record<string, Record<string, unknown>> | undefined {
  let out: Record<string, Record<string, unknown>> | undefined;
  for (const t of f.calling) {
    const id = `${t.service}:${t.function}`;
    const callee = project.services.find((s) => s.name === t.service)?.functions.find((x) => x.key === t.function);
    const p = effectivePolicy(service, f, id, callee);
    const r = p === undefined ? undefined : runtimePolicy(p);
    if (r !== undefined) (out ??= {})[id] = r;
  }
  return out;
}

/** Lambda's limit on the whole environment: 4 KB for keys and values together. */
export const LAMBDA_ENV_QUOTA = 4096;

export function envSize(env: Record<string, string>): number {
  let n = 0;
  for (const [k, v] of Object.entries(env)) n += Buffer.byteLength(k) + Buffer.byteLength(v);
  return n;
}
