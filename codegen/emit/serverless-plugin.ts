/**
 * The work behind the Serverless Framework v3 plugin (serverless.cjs): during `serverless
 * package`, load this service (plus configured siblings and contracts), generate, and merge
 * the svc-mesh wiring into the compiled CloudFormation template.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { CodegenError, type Diagnostic, formatDiagnostic } from '../errors.js';
import { loadProject } from '../load/loadProject.js';
import type { DiscoverySource, ProjectOptions } from '../model.js';
import { lambdaLogicalId } from './cloudformation.js';
import { generate } from './generate.js';
import { INLINE_POLICY_QUOTA } from './iam.js';
import schemas from './serverless-schema.json' with { type: 'json' };

/** `custom.svcMesh` in serverless.yml. */
export interface PluginConfig {
  /**
   * Service directories this one calls or subscribes to, read as references (names, Lambda
   * names, subscribable). Default: the sibling directories that hold a serverless.yml.
   */
  paths?: string[];
  /** Contract directories of services in other repositories. */
  contracts?: string[];
  stageFallback?: string[];
  discovery?: DiscoverySource[];
  ssmPrefix?: string;
  /**
   * Derive the contract from handler types and put its hash in the discovery records (default
   * true; `false` skips the TypeScript type check).
   */
  types?: boolean;
  /**
   * `false`: the template already holds the svc-mesh wiring, merged by the framework from
   * `resources: ${file(.svc-mesh/codegen/cloudformation/<service>.json)}` (docs/deploy.md); the
   * plugin only declares the schema, checks that the wiring is there, and checks the deploy order.
   */
  merge?: boolean;
}

/** JSON Schema of `custom.svcMesh`, declared to the framework (one copy, shared with serverless.cjs). */
export const CUSTOM_SCHEMA = schemas.custom;

/** Function keys svc-mesh adds. */
export const FUNCTION_PROPERTIES_SCHEMA = schemas.functionProperties;

/** `events: - function: {…}`. */
export const FUNCTION_EVENT_SCHEMA = schemas.functionEvent;

interface CfnResource {
  Type?: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
}
export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, unknown>;
}

export interface PluginRun {
  serviceDir: string;
  serviceName: string;
  stage: string;
  region: string;
  config: PluginConfig;
  template: CfnTemplate;
}

export interface PluginResult {
  warnings: Diagnostic[];
  summary: string;
}

const DEFAULT_ROLE = 'IamRoleLambdaExecution';

/**
 * Statements the framework's shared role carries besides its own log permissions (the user's
 * `provider.iam.role.statements`): every function role keeps them, as the user asked for them.
 */
function userStatements(template: CfnTemplate): { statements: unknown[]; managed: unknown[] } {
  const role = template.Resources[DEFAULT_ROLE];
  const policies = (role?.Properties?.['Policies'] ?? []) as { PolicyDocument?: { Statement?: unknown[] } }[];
  const statements: unknown[] = [];
  for (const p of policies) {
    for (const st of p.PolicyDocument?.Statement ?? []) {
      const actions = ([] as unknown[]).concat((st as { Action?: unknown }).Action ?? []);
      const onlyLogs = actions.length > 0 && actions.every((a) => typeof a === 'string' && a.startsWith('logs:'));
      if (!onlyLogs) statements.push(st);
    }
  }
  const managed = (role?.Properties?.['ManagedPolicyArns'] ?? []) as unknown[];
  return { statements, managed };
}

/** Directories next to `dir` that hold a service file. */
function siblingServiceDirs(dir: string): string[] {
  const parent = dirname(dir);
  let names: string[];
  try {
    names = readdirSync(parent, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules')
      .map((e) => e.name);
  } catch {
    return [];
  }
  return names
    .map((n) => join(parent, n))
    .filter((d) => d !== dir && (existsSync(join(d, 'serverless.yml')) || existsSync(join(d, 'serverless.yaml'))))
    .sort();
}

export async function applySvcMesh(run: PluginRun): Promise<PluginResult> {
  const dir = resolve(run.serviceDir);
  if (!existsSync(join(dir, 'serverless.yml')) && !existsSync(join(dir, 'serverless.yaml'))) {
    throw new CodegenError([
      {
        file: dir,
        line: 1,
        col: 1,
        severity: 'error',
        message: 'svc-mesh reads serverless.yml (or .yaml); serverless.ts/.js/.json service files are not supported',
      },
    ]);
  }
  const c = run.config;
  const opts: ProjectOptions = {
    stage: run.stage,
    region: run.region,
    stageFallback: c.stageFallback ?? [],
    externalContracts: (c.contracts ?? []).map((p) => resolve(dir, p)),
    unknownServices: 'warning',
    lenientEnvironment: true,
    contracts: c.types !== false,
  };
  if (c.discovery !== undefined) opts.discovery = c.discovery;
  if (c.ssmPrefix !== undefined) opts.ssmPrefix = c.ssmPrefix;
  // Other services are references (names, Lambda names, subscribable); by default the sibling
  // service directories, as in a monorepo of services (`paths: []` turns that off).
  opts.referencePaths = c.paths !== undefined ? c.paths.map((p) => resolve(dir, p)) : siblingServiceDirs(dir);
  const project = await loadProject([dir], opts);
  rememberSubscriptions(`${dir}\0${run.stage}\0${run.region}`, project, dir);
  const service = project.services.find((s) => !s.external && s.dir === dir);
  if (service === undefined || service.name !== run.serviceName) {
    throw new CodegenError([
      {
        file: join(dir, 'serverless.yml'),
        line: 1,
        col: 1,
        severity: 'error',
        message: `svc-mesh read service '${service?.name ?? '?'}' but the framework packages '${run.serviceName}'`,
      },
    ]);
  }
  const g = generate(project);
  const fragment = g.cloudformation[service.name] as {
    Resources: Record<string, CfnResource>;
    Outputs: Record<string, unknown>;
  };
  const T = run.template;
  const { statements, managed } = userStatements(T);
  const problems: Diagnostic[] = [];

  for (const [id, r] of Object.entries(fragment.Resources)) {
    const existing = T.Resources[id];
    // Everything but the patches of the framework's functions (role, environment) is new.
    if (r.Type !== 'AWS::Lambda::Function') {
      if (existing !== undefined) {
        problems.push({
          ...service.loc,
          severity: 'error',
          message: `the template already has a resource '${id}'; rename yours (svc-mesh generates it)`,
        });
        continue;
      }
      const copy = structuredClone(r);
      if (r.Type === 'AWS::IAM::Role') {
        const props = copy.Properties!;
        if (statements.length > 0) {
          const extra = {
            PolicyName: 'service-statements',
            PolicyDocument: { Version: '2012-10-17', Statement: statements },
          };
          const policies = props['Policies'] as unknown[];
          policies.push(extra);
          const size = JSON.stringify(policies.map((p) => (p as { PolicyDocument: unknown }).PolicyDocument)).length;
          if (size > INLINE_POLICY_QUOTA) {
            problems.push({
              ...service.loc,
              severity: 'error',
              message: `role ${id}: the svc-mesh policy plus provider.iam.role.statements come to ${size} characters; IAM allows ${INLINE_POLICY_QUOTA} of inline policies per role. Move the statements into provider.iam.role.managedPolicies`,
            });
          }
        }
        if (managed.length > 0)
          props['ManagedPolicyArns'] = [...((props['ManagedPolicyArns'] as unknown[]) ?? []), ...managed];
      }
      T.Resources[id] = copy;
      continue;
    }
    // A patch of a function the framework compiled: role and environment.
    if (existing === undefined || existing.Type !== 'AWS::Lambda::Function') {
      problems.push({
        ...service.loc,
        severity: 'error',
        message: `expected the framework to compile '${id}', but it is not in the template`,
      });
      continue;
    }
    const f = service.functions.find((x) => lambdaLogicalId(x) === id);
    const props = (existing.Properties ??= {});
    if (f !== undefined && typeof props['FunctionName'] === 'string' && props['FunctionName'] !== f.physicalName) {
      problems.push({
        ...(f.locs['name'] ?? f.loc),
        severity: 'error',
        message: `svc-mesh computed the Lambda name '${f.physicalName}' but the framework uses '${props['FunctionName']}'; use only the supported variables in 'name:'`,
      });
    }
    const patch = r.Properties as { Role: unknown; Environment: { Variables: Record<string, unknown> } };
    props['Role'] = patch.Role;
    const env = (props['Environment'] ??= {}) as { Variables?: Record<string, unknown> };
    env.Variables = { ...(env.Variables ?? {}), ...patch.Environment.Variables };
    if (Array.isArray(existing.DependsOn)) existing.DependsOn = existing.DependsOn.filter((d) => d !== DEFAULT_ROLE);
    else if (existing.DependsOn === DEFAULT_ROLE) delete existing.DependsOn;
  }
  T.Outputs ??= {};
  for (const [id, o] of Object.entries(fragment.Outputs)) T.Outputs[id] = o;
  if (problems.length > 0) throw new CodegenError(problems);

  // The framework's shared role is unused once every function has its own.
  if (T.Resources[DEFAULT_ROLE] !== undefined) {
    const { [DEFAULT_ROLE]: _role, ...rest } = T.Resources;
    if (!JSON.stringify({ Resources: rest, Outputs: T.Outputs }).includes(`"${DEFAULT_ROLE}"`))
      delete T.Resources[DEFAULT_ROLE];
  }
  const subs = service.functions.reduce((n, f) => n + f.subscriptions.length, 0);
  const topics = service.functions.filter((f) => f.subscribable).length * 3;
  return {
    warnings: project.diagnostics.filter((d) => d.severity === 'warning'),
    summary: `svc-mesh: ${service.functions.length} function roles, ${topics} topics, ${subs} subscriptions, ${service.functions.length} discovery records`,
  };
}

export { formatDiagnostic };

// ---------------------------------------------------------------------------------------------
// Serverless Framework v4 / osls: `provider.iam.role.mode: perFunction` (v4's own per-function roles).

/**
 * Refuses `provider.iam.role.mode: perFunction` (Serverless Framework v4): svc-mesh already gives
 * every function its own least-privilege role, and two per-function roles would fight over
 * `Role:` of the same function. Returns the message, or undefined when the mode is absent/shared.
 */
export function iamRoleModeProblem(provider: { iam?: { role?: unknown } } | undefined): string | undefined {
  const role = provider?.iam?.role;
  if (role === null || typeof role !== 'object') return undefined;
  const mode = (role as { mode?: unknown }).mode;
  if (mode === undefined || mode === 'shared') return undefined;
  return (
    `svc-mesh: provider.iam.role.mode is ${JSON.stringify(mode)}, but svc-mesh already gives every function its own ` +
    'least-privilege role (<Function>SvcMeshRole) and keeps provider.iam.role.statements on each of them. ' +
    "Remove 'mode' (or set it to 'shared'); statements a single function needs go into provider.iam.role.statements."
  );
}

// ---------------------------------------------------------------------------------------------
// Deploy order: before `serverless deploy` touches CloudFormation, every topic this service
// subscribes to must exist (docs/deploy.md).

/** The framework's AWS provider, as far as the check uses it (v3: request(); osls/v4: getAwsSdkV3Config()). */
export interface FrameworkProvider {
  getAccountInfo?(): Promise<{ accountId: string; partition: string }>;
  getAccountId?(): Promise<string>;
  getAwsSdkV3Config?(options?: { region?: string }): Promise<Record<string, unknown>>;
  request?(service: string, method: string, params: object, options?: { region?: string }): Promise<unknown>;
}

const planned = new Map<string, Awaited<ReturnType<typeof plannedSubscriptions>>>();

/** The subscriptions of the service in `run.serviceDir` (cached per directory and stage for the deploy hook). */
export async function plannedSubscriptions(
  run: Omit<PluginRun, 'template'>,
): Promise<
  { subscriber: string; publisher: string; type: string; topicName: string; region: string; publisherDir?: string }[]
> {
  const dir = resolve(run.serviceDir);
  const key = `${dir}\0${run.stage}\0${run.region}`;
  const hit = planned.get(key);
  if (hit !== undefined) return hit;
  const c = run.config;
  const project = await loadProject([dir], {
    stage: run.stage,
    region: run.region,
    stageFallback: c.stageFallback ?? [],
    externalContracts: (c.contracts ?? []).map((p) => resolve(dir, p)),
    unknownServices: 'warning',
    lenientEnvironment: true,
    contracts: false,
    referencePaths: c.paths !== undefined ? c.paths.map((p) => resolve(dir, p)) : siblingServiceDirs(dir),
  });
  return rememberSubscriptions(key, project, dir);
}

function rememberSubscriptions(key: string, project: Awaited<ReturnType<typeof loadProject>>, dir: string) {
  const byName = new Map(project.services.map((s) => [s.name, s]));
  const service = project.services.find((s) => !s.external && s.dir === dir);
  const out: Awaited<ReturnType<typeof plannedSubscriptions>> = [];
  for (const f of service?.functions ?? []) {
    for (const s of f.subscriptions) {
      const pub = byName.get(s.service);
      const item: (typeof out)[number] = {
        subscriber: `${service!.name}:${f.key}`,
        publisher: `${s.service}:${s.function}`,
        type: s.type,
        topicName: `${s.service}-${project.options.stage}-${s.function}-${s.type}`,
        region: pub?.region ?? service!.region,
      };
      // A sibling read as a reference has a service file; a contract-only service has none.
      if (pub !== undefined && /serverless\.ya?ml$/.test(pub.file)) item.publisherDir = pub.dir;
      out.push(item);
    }
  }
  planned.set(key, out);
  return out;
}

/** Existence of a topic through the framework's credentials. */
async function topicExists(provider: FrameworkProvider, arn: string, region: string): Promise<boolean> {
  if (typeof provider.getAwsSdkV3Config === 'function') {
    let sns: typeof import('@aws-sdk/client-sns');
    try {
      sns = await import('@aws-sdk/client-sns');
    } catch {
      throw new Error(
        "svc-mesh: the deploy-order check needs '@aws-sdk/client-sns' (a peer dependency of svc-mesh): npm install --save-dev @aws-sdk/client-sns",
      );
    }
    const client = new sns.SNSClient(await provider.getAwsSdkV3Config({ region }));
    try {
      await client.send(new sns.GetTopicAttributesCommand({ TopicArn: arn }));
      return true;
    } catch (err) {
      if ((err as { name?: string }).name === 'NotFoundException' || (err as { name?: string }).name === 'NotFound')
        return false;
      throw err;
    } finally {
      client.destroy();
    }
  }
  if (typeof provider.request !== 'function') throw new Error('the framework offers no AWS client to the plugin');
  try {
    await provider.request('SNS', 'getTopicAttributes', { TopicArn: arn }, { region });
    return true;
  } catch (err) {
    const e = err as { code?: string; providerError?: { code?: string } };
    if (/NotFound/.test(`${e.providerError?.code ?? ''} ${e.code ?? ''}`)) return false;
    throw err;
  }
}

/**
 * Before `serverless deploy`: the message refusing the deploy when a topic this service subscribes
 * to does not exist yet (its publisher is not deployed in this stage), or undefined. Nothing has
 * been sent to CloudFormation at that point, so a refused deploy leaves nothing behind.
 */
export async function deployOrderProblem(
  run: Omit<PluginRun, 'template'>,
  provider: FrameworkProvider,
): Promise<string | undefined> {
  const subs = await plannedSubscriptions(run);
  if (subs.length === 0) return undefined;
  const info =
    typeof provider.getAccountInfo === 'function'
      ? await provider.getAccountInfo()
      : { accountId: await provider.getAccountId!(), partition: 'aws' };
  const missing: string[] = [];
  const publishers = new Map<string, string | undefined>();
  for (const s of subs) {
    const arn = `arn:${info.partition}:sns:${s.region}:${info.accountId}:${s.topicName}`;
    if (await topicExists(provider, arn, s.region)) continue;
    missing.push(`  ${s.subscriber} subscribes to ${s.publisher} (${s.type}): topic ${arn} does not exist`);
    publishers.set(s.publisher.split(':')[0]!, s.publisherDir);
  }
  if (missing.length === 0) return undefined;
  const cmds = [...publishers].map(([name, dir]) =>
    dir !== undefined
      ? `  (cd ${relativeTo(run.serviceDir, dir)} && serverless deploy --stage ${run.stage})`
      : `  deploy service ${name} (with its subscribable functions) to stage ${run.stage}`,
  );
  return [
    `svc-mesh: not deploying ${run.serviceName} to stage ${run.stage}: it subscribes to lifecycle topics that do not exist yet, and CloudFormation would fail half-way.`,
    ...missing,
    'Deploy the publisher first, then this service again:',
    ...cmds,
    `(A per-developer stage subscribes to topics of its own stage; see docs/deploy.md. Nothing was deployed.)`,
  ].join('\n');
}

function relativeTo(from: string, to: string): string {
  const r = relative(resolve(from), to);
  return r === '' ? '.' : r;
}

/**
 * With `merge: false`: every function the framework compiled must already carry the fragment's role
 * and environment (from `resources: ${file(…)}`); the problems, empty when it does.
 */
export function fragmentProblems(run: PluginRun): string[] {
  const problems: string[] = [];
  for (const [id, r] of Object.entries(run.template.Resources)) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    const role = JSON.stringify(r.Properties?.['Role'] ?? null);
    const vars = (r.Properties?.['Environment'] as { Variables?: Record<string, unknown> } | undefined)?.Variables;
    if (!/SvcMeshRole"/.test(role) || vars?.['SVC_MESH_SERVICE'] === undefined) {
      problems.push(
        `${id} has ${/SvcMeshRole"/.test(role) ? 'no SVC_MESH_* environment' : `the role ${role}, not its svc-mesh role`}`,
      );
    }
  }
  if (run.template.Resources[DEFAULT_ROLE] !== undefined) {
    problems.push(
      `the template still has the shared ${DEFAULT_ROLE}: give every function 'role: <Function>SvcMeshRole' (the fragment's role)`,
    );
  }
  if (problems.length === 0) return [];
  return [
    `svc-mesh: custom.svcMesh.merge is false, but the compiled template lacks the svc-mesh wiring of ${run.serviceName}:`,
    ...problems.map((p) => `  ${p}`),
    `Run 'svc-codegen . --stage ${run.stage}' and add 'resources: \${file(.svc-mesh/codegen/cloudformation/${run.serviceName}.json)}', or remove 'merge: false'.`,
  ];
}
