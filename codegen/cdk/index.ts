/**
 * `svc-mesh-tools/cdk`: svc-mesh for functions declared in AWS CDK. One model, two front ends:
 * the declarations (service, function, `calling`, `subscribable`, `events`) become codegen's
 * model, are validated by codegen's validator and emitted by codegen's emitters (the same
 * template fragment the Serverless plugin merges); this file only adapts that fragment to CDK:
 * logical references become CDK tokens, the role policy lands on the function's own role, the
 * SVC_MESH_* variables on the function. See docs/cdk.md.
 *
 * @example
 * ```ts
 * const mesh = new SvcMesh(app, 'SvcMesh', { stage: 'dev' });
 * const fn = new NodejsFunction(stack, 'PlaceOrder', { entry: 'orders/handler.ts', handler: 'placeOrder' });
 * new SvcMeshFunction(stack, 'PlaceOrderMesh', {
 *   mesh, function: fn, service: 'orders', name: 'placeOrder',
 *   subscribable: true, calling: ['inventory:reserve', 'payments:charge'],
 * });
 * ```
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  Annotations,
  Aspects,
  attachCustomSynthesis,
  CfnOutput,
  CfnParameter,
  CfnResource,
  CfnRule,
  Fn,
  type IAspect,
  Intrinsic,
  Lazy,
  Stack,
  Token,
} from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct, type IConstruct } from 'constructs';
import { discoveryRecordName, LIFECYCLE_TYPES, type LifecycleType } from 'svc-mesh/internal';
import { extractContractsSync } from '../contracts/extract.js';
import { loadExternalContractsSync } from '../contracts/io.js';
import { Arns } from '../emit/arns.js';
import { lambdaLogicalId, serviceTemplate } from '../emit/cloudformation.js';
import { type GenerateResult, generate } from '../emit/generate.js';
import { CodegenError, type Diagnostic, isCodegenError, isPolicyTooLargeError } from '../errors.js';
import { resolveOptions } from '../load/loadProject.js';
import { findHandlerFile, splitHandler } from '../load/handlers.js';
import { readService } from '../load/service.js';
import { SourceFile } from '../load/source.js';
import type { DiscoverySource, Project, ServiceModel, SourceLoc } from '../model.js';
import { validateServices } from '../validate/validate.js';
import { type DeclaredFunction, type SvcMeshFunctionDeclaration, servicesFromDeclarations } from './declarations.js';
import { MANIFEST_FILE, manifestFor } from './manifest.js';

export type { SvcMeshFunctionDeclaration, SvcMeshSubscription } from './declarations.js';
export { MANIFEST_FILE } from './manifest.js';

/** Mesh-wide settings: what `--stage`, `custom.svcMesh` and the CLI flags are for serverless.yml. */
export interface SvcMeshProps {
  /** The stage every function of this mesh deploys to (letters, digits and '-'). */
  readonly stage: string;
  /** Stages discovery falls back to, e.g. `['dev']` for a per-developer stage. */
  readonly stageFallback?: readonly string[];
  /** Default `['routes', 'ssm']`; `exports` adds CloudFormation exports and `cloudformation:ListExports`. */
  readonly discovery?: readonly DiscoverySource[];
  /** Default `/svc-mesh`. */
  readonly ssmPrefix?: string;
  /** Region of environment-agnostic stacks (a stack with `env.region` uses its own). Default `us-east-1`. */
  readonly region?: string;
  /**
   * serverless.yml service directories (or their parent) this app calls or subscribes to, read as
   * references (names, Lambda names, subscribable), like the plugin's `custom.svcMesh.paths`.
   */
  readonly references?: readonly string[];
  /**
   * Directories of `contracts/<service>.json` from other repositories (`svc-codegen` output):
   * their services become callable and subscribable, like the plugin's `custom.svcMesh.contracts`.
   */
  readonly contracts?: readonly string[];
  /** Calls and subscriptions to services declared nowhere: `error` (default) or `warning`. */
  readonly unknownServices?: 'error' | 'warning';
  /** Managed policies a role may have (IAM default quota 10; 20 on request). Default 10. */
  readonly maxManagedPolicies?: number;
  /**
   * Derive each service's contract from its handlers' TypeScript types (the `handler` of each
   * SvcMeshFunction) and put its hash into the discovery records and exports, as the Serverless
   * plugin does. Default true when any function names its `handler`; `false` skips the type check.
   */
  readonly types?: boolean;
}

/** Props of {@link SvcMeshFunction}: the declaration plus the mesh and the Lambda function it decorates. */
export interface SvcMeshFunctionProps extends SvcMeshFunctionDeclaration {
  readonly mesh: SvcMesh;
  /**
   * The function (a `lambda.Function` or `NodejsFunction`, in the same stack). svc-mesh sets its
   * name (`{service}-{stage}-{name}`: leave `functionName` unset), its SVC_MESH_* environment,
   * and the svc-mesh policy on its role; the role must be the one the function created (or an
   * `iam.Role` of the same stack that only this function uses).
   */
  readonly function: lambda.Function;
}

const OWN_DIR = resolve(import.meta.dirname);

/** Where the user's code called `new SvcMeshFunction(…)`: the first stack frame outside svc-mesh and CDK. */
function callerLoc(fallback: string): SourceLoc {
  const stack = new Error().stack?.split('\n').slice(1) ?? [];
  for (const line of stack) {
    const m = /\(?((?:file:\/\/)?[^()\s]+):(\d+):(\d+)\)?\s*$/.exec(line.trim());
    if (m === null) continue;
    const file = m[1]!.replace(/^file:\/\//, '');
    if (file.startsWith('node:') || file.includes('/node_modules/') || file.startsWith(OWN_DIR)) continue;
    return { file, line: Number(m[2]), col: Number(m[3]) };
  }
  return { file: fallback, line: 1, col: 1 };
}

/** Every serverless.yml under a reference path (the directory itself or its direct subdirectories). */
function referenceFiles(p: string): string[] {
  const abs = resolve(p);
  if (!existsSync(abs)) return [];
  if (statSync(abs).isFile()) return [abs];
  const own = ['serverless.yml', 'serverless.yaml'].map((n) => join(abs, n)).filter((f) => existsSync(f));
  if (own.length > 0) return own.slice(0, 1);
  return readdirSync(abs, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules')
    .flatMap((e) =>
      ['serverless.yml', 'serverless.yaml']
        .map((n) => join(abs, e.name, n))
        .filter((f) => existsSync(f))
        .slice(0, 1),
    )
    .sort();
}

class BuildAspect implements IAspect {
  constructor(private readonly mesh: SvcMesh) {}
  visit(_node: IConstruct): void {
    this.mesh._build();
  }
}

/**
 * One mesh (one stage) of a CDK app. Create it once, pass it to every {@link SvcMeshFunction}.
 * At synth it builds codegen's model from every declaration, validates it as `svc-codegen`
 * validates serverless.yml (a problem stops synth, naming the construct and declaration, before
 * anything is emitted), adds the resources, and writes `svc-mesh.json` into the cloud assembly.
 */
export class SvcMesh extends Construct {
  readonly props: SvcMeshProps;
  private readonly functions: SvcMeshFunction[] = [];
  private built = false;
  private result: { project: Project; generated: GenerateResult } | undefined;
  private declared: DeclaredFunction[] = [];

  constructor(scope: Construct, id: string, props: SvcMeshProps) {
    super(scope, id);
    this.props = props;
    Aspects.of(this.node.root).add(new BuildAspect(this));
    attachCustomSynthesis(this, {
      onSynthesize: (session) => {
        const o = this.result?.project.options;
        if (o === undefined) return;
        mkdirSync(session.outdir, { recursive: true });
        const m = manifestFor(
          session.outdir,
          {
            stage: o.stage,
            stageFallback: o.stageFallback,
            discovery: o.discovery,
            ssmPrefix: o.ssmPrefix,
            region: o.region,
          },
          this.props.references ?? [],
          this.declared,
          this.props.contracts ?? [],
        );
        writeFileSync(join(session.outdir, MANIFEST_FILE), `${JSON.stringify(m, null, 2)}\n`);
      },
    });
  }

  /** The model and codegen's output, after synth (for tests and tools). */
  get generated(): { project: Project; generated: GenerateResult } | undefined {
    return this.result;
  }

  /** @internal */
  _register(f: SvcMeshFunction): void {
    if (this.built) {
      throw new Error(
        `${f.node.path}: declared after the svc-mesh model was built (synth already ran); declare every SvcMeshFunction before synth`,
      );
    }
    this.functions.push(f);
  }

  /** @internal Runs once, from the aspect, before CDK prepares the app. */
  _build(): void {
    if (this.built) return;
    this.built = true;
    const p = this.props;
    const meshLoc: SourceLoc = { file: this.node.path, line: 1, col: 1 };
    const diags: Diagnostic[] = [];
    const optDiags: Diagnostic[] = [];
    const options = resolveOptions(
      {
        stage: p.stage,
        stageFallback: [...(p.stageFallback ?? [])],
        ...(p.discovery !== undefined ? { discovery: [...p.discovery] } : {}),
        ...(p.ssmPrefix !== undefined ? { ssmPrefix: p.ssmPrefix } : {}),
        ...(p.region !== undefined ? { region: p.region } : {}),
        ...(p.maxManagedPolicies !== undefined ? { maxManagedPolicies: p.maxManagedPolicies } : {}),
      },
      optDiags,
    );
    for (const d of optDiags) {
      diags.push({
        ...meshLoc,
        severity: d.severity,
        message: `${this.node.path}: ${d.message.replace(/^--stage /, 'stage ').replace(/^--region /, 'region ')}`,
      });
    }
    const stages = [options.stage, ...options.stageFallback];

    // Each function: its declaration, and what svc-mesh needs of the Lambda function it decorates.
    this.declared = this.functions.map((f) => f._declared(options.region));
    const { services, diagnostics } = servicesFromDeclarations(this.declared, {
      stage: options.stage,
      stages,
      region: options.region,
      dir: resolve('.'),
      file: this.node.path,
    });
    diags.push(...diagnostics);
    for (const f of this.functions) diags.push(...f._checkTarget());
    // One role per function: a shared role would give each function the other's grants.
    const roleOwner = new Map<unknown, SvcMeshFunction>();
    for (const f of this.functions) {
      const role = f.function?.role;
      if (role === undefined) continue;
      const prev = roleOwner.get(role);
      if (prev === undefined) roleOwner.set(role, f);
      else {
        diags.push({
          ...f._loc,
          severity: 'error',
          message: `${f.node.path}: the function ${f.function.node.path} shares its role ${role.node.path} with ${prev.function.node.path} (${prev.node.path}); svc-mesh gives every function a role of its own, with exactly its grants: leave 'role' unset`,
        });
      }
    }

    // Services in serverless.yml this app calls or subscribes to.
    for (const ref of p.references ?? []) {
      const files = referenceFiles(ref);
      if (files.length === 0) {
        diags.push({
          ...meshLoc,
          severity: 'error',
          message: `${this.node.path}: references: no serverless.yml at or under ${ref}`,
        });
      }
      for (const file of files) {
        const src = SourceFile.fromText(file, readFileSync(file, 'utf8'), {
          stage: options.stage,
          region: undefined,
          env: process.env,
        });
        const r = readService(src, { stage: options.stage, stages, region: undefined, lenientEnvironment: true });
        if (r.service !== undefined && !services.some((s) => s.name === r.service!.name)) {
          services.push({ ...r.service, external: true });
        }
      }
    }
    // Services of other repositories, known by their contracts.
    const external = loadExternalContractsSync(
      (p.contracts ?? []).map((d) => resolve(d)),
      options,
      diags,
    );
    for (const s of external.services) if (!services.some((x) => x.name === s.name)) services.push(s);
    services.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

    // codegen's own cross-service validation; messages are prefixed with the construct path.
    const pathAt = new Map<string, string>();
    for (const d of this.declared) pathAt.set(`${d.loc.file}:${d.loc.line}:${d.loc.col}`, d.path);
    const located = (d: Diagnostic): Diagnostic => {
      const path = pathAt.get(`${d.file}:${d.line}:${d.col}`);
      return path === undefined || d.message.startsWith(`${path}: `) ? d : { ...d, message: `${path}: ${d.message}` };
    };
    diags.push(
      ...validateServices(services, {
        stage: options.stage,
        checkHandlers: true,
        unknownServices: p.unknownServices ?? 'error',
      }).map(located),
    );
    if (diags.some((d) => d.severity === 'error')) throw new CodegenError(diags);
    for (const d of diags) Annotations.of(this).addWarningV2('svc-mesh:warning', d.message);

    const project: Project = { options, services, diagnostics: diags, contracts: { ...external.contracts } };
    if (p.types !== false && this.declared.some((d) => d.handlerFile !== undefined)) {
      // The same contracts (and hashes) `svc-codegen` and the plugin derive from the handlers.
      const c = extractContractsSync(project);
      const errors = c.diagnostics.filter((d) => d.severity === 'error');
      if (errors.length > 0) throw new CodegenError(c.diagnostics.map(located));
      for (const d of c.diagnostics) Annotations.of(this).addWarningV2('svc-mesh:types', located(d).message);
      project.contracts = { ...project.contracts, ...c.contracts };
    }
    let generated: GenerateResult;
    try {
      generated = generate(project);
    } catch (err) {
      if (isCodegenError(err) || isPolicyTooLargeError(err)) throw new CodegenError(err.diagnostics.map(located));
      throw err;
    }
    this.result = { project, generated };
    const byName = new Map<string, ServiceModel>(services.map((s) => [s.name, s]));
    for (const f of this.functions) f._emit(project, generated, byName);
    for (const f of this.functions) f._deployOrder(project, this.functions);
  }
}

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/**
 * Decorates a Lambda function with its svc-mesh declaration: the same role policy, lifecycle
 * topics, subscriptions with `AWS::Lambda::Permission`, SSM discovery record, exports and
 * SVC_MESH_* environment that `svc-codegen` produces for the function in serverless.yml.
 */
export class SvcMeshFunction extends Construct {
  readonly function: lambda.Function;
  readonly declaration: SvcMeshFunctionDeclaration;
  readonly mesh: SvcMesh;
  private readonly loc: SourceLoc;
  private readonly topicResources: Partial<Record<LifecycleType, CfnResource>> = {};

  constructor(scope: Construct, id: string, props: SvcMeshFunctionProps) {
    super(scope, id);
    const { mesh, function: fn, ...declaration } = props;
    this.mesh = mesh;
    this.function = fn;
    this.declaration = declaration;
    this.loc = callerLoc(this.node.path);
    mesh._register(this);
  }

  /** @internal Where the declaration was written. */
  get _loc(): SourceLoc {
    return this.loc;
  }

  /** Topic of one lifecycle type (after synth, when subscribable). */
  topicArn(type: LifecycleType): string | undefined {
    return this.topicResources[type]?.ref;
  }

  /** @internal */
  _declared(meshRegion: string): DeclaredFunction {
    const stack = Stack.of(this.function);
    const cfn = this.function.node.defaultChild as lambda.CfnFunction;
    const d: { -readonly [K in keyof DeclaredFunction]: DeclaredFunction[K] } = {
      declaration: this.declaration,
      path: this.node.path,
      loc: this.loc,
    };
    d.region = Token.isUnresolved(stack.region) ? meshRegion : stack.region;
    if (typeof cfn.runtime === 'string' && !Token.isUnresolved(cfn.runtime)) d.runtime = cfn.runtime;
    if (typeof cfn.timeout === 'number' && !Token.isUnresolved(cfn.timeout)) d.timeout = cfn.timeout;
    if (typeof cfn.memorySize === 'number' && !Token.isUnresolved(cfn.memorySize)) d.memorySize = cfn.memorySize;
    // The user's own variables (svc-mesh's are added later, at emit); tokens have no local value.
    // (The L1 property, so its own shape: `variables`.)
    const vars = (stack.resolve(cfn.environment) as { variables?: Record<string, unknown> } | undefined)?.variables;
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(vars ?? {})) if (typeof v === 'string') env[k] = v;
    d.environment = env;
    const h = this.declaration.handler;
    const sp = typeof h === 'string' ? splitHandler(h) : undefined;
    if (sp !== undefined) {
      const file = findHandlerFile('/', resolve(sp.base)); // relative to the app's directory, or absolute
      if (file !== undefined) d.handlerFile = file;
      d.handlerExport = sp.export;
    }
    return d;
  }

  /** @internal What svc-mesh needs of the decorated function: its name, role and stack. */
  _checkTarget(): Diagnostic[] {
    const out: Diagnostic[] = [];
    const err = (message: string) =>
      out.push({ ...this.loc, severity: 'error', message: `${this.node.path}: ${message}` });
    const fn = this.function as lambda.Function | undefined;
    const cfn = fn?.node.defaultChild;
    if (!(cfn instanceof CfnResource) || cfn.cfnResourceType !== 'AWS::Lambda::Function') {
      err(`'function' must be a lambda.Function or NodejsFunction (with an AWS::Lambda::Function resource)`);
      return out;
    }
    if (Stack.of(fn!) !== Stack.of(this)) {
      err(`the function ${fn!.node.path} is in another stack; create the SvcMeshFunction in the function's stack`);
    }
    // The L2 leaves a lazy there that resolves to nothing unless a name was given.
    const name = Stack.of(fn!).resolve((cfn as lambda.CfnFunction).functionName) as unknown;
    if (name !== undefined) {
      err(
        `the function ${fn!.node.path} sets functionName ${typeof name === 'string' ? JSON.stringify(name) : '(a token)'}; ` +
          `svc-mesh names it {service}-{stage}-{name} so callers and discovery find it: remove functionName`,
      );
    }
    const role = fn!.role;
    const cfnRole = role?.node.defaultChild;
    if (
      role === undefined ||
      !(cfnRole instanceof CfnResource) ||
      cfnRole.cfnResourceType !== 'AWS::IAM::Role' ||
      Stack.of(role) !== Stack.of(fn!)
    ) {
      err(
        `the function ${fn!.node.path} has no iam.Role of its own stack (an imported role cannot carry svc-mesh's policy); ` +
          `leave 'role' unset so the function creates one, or pass a new iam.Role`,
      );
    }
    return out;
  }

  /**
   * @internal Deploy order (docs/deploy.md): this function subscribes to its publishers' topics
   * by constructed ARN, so each publisher must be deployed first. A publisher declared in this app
   * in another stack becomes a stack dependency (`cdk deploy` deploys it first); and for every
   * publisher in another stack (this app's, a serverless.yml service, another repository's), the
   * stack gets a parameter of type `AWS::SSM::Parameter::Value<String>` naming the publisher's
   * discovery record: CloudFormation resolves it before creating anything and refuses the stack
   * ("Unable to fetch parameters [/svc-mesh/dev/payments/charge] …") while the publisher is missing.
   * Two stacks subscribing to each other cannot both be checked (neither can go first): the
   * direction that would close the cycle gets neither, and a warning.
   */
  _deployOrder(project: Project, all: readonly SvcMeshFunction[]): void {
    const stack = Stack.of(this);
    const model = project.services
      .find((s) => s.name === this.declaration.service)
      ?.functions.find((x) => x.key === this.declaration.name);
    const done = new Set<string>();
    for (const sub of model?.subscriptions ?? []) {
      const target = `${sub.service}:${sub.function}`;
      if (done.has(target)) continue;
      done.add(target);
      const publisher = all.find((x) => x.declaration.service === sub.service && x.declaration.name === sub.function);
      if (publisher !== undefined) {
        const other = Stack.of(publisher);
        if (other === stack) continue; // the topic is created by this very stack
        try {
          stack.addStackDependency(other, `svc-mesh: ${this.node.path} subscribes to ${target}`);
        } catch (err) {
          Annotations.of(this).addWarningV2(
            'svc-mesh:deploy-order',
            `${this.node.path} subscribes to ${target} in stack ${other.stackName}, which cannot be deployed before ${stack.stackName} (${(err as Error).message}); deploy order is not checked for this subscription: run 'svc-codegen doctor cdk.out --stage ${project.options.stage} --repair' after deploying both`,
          );
          continue;
        }
      }
      const name = discoveryRecordName(project.options.ssmPrefix, project.options.stage, sub.service, sub.function);
      const id = `SvcMeshPublisher${`${sub.service}${sub.function}`.replace(/[^A-Za-z0-9]/g, '')}Record`;
      const prev = stack.node.tryFindChild(id) as CfnParameter | undefined;
      if (prev !== undefined && prev.default === name) continue;
      const param = new CfnParameter(stack, prev === undefined ? id : `${id}${done.size}`, {
        type: 'AWS::SSM::Parameter::Value<String>',
        default: name,
        description: `svc-mesh deploy order: ${target} (stage ${project.options.stage}) publishes the lifecycle topics this stack subscribes to; deploy it first. The stack is refused while its discovery record ${name} does not exist.`,
      });
      // Referenced by the stack's rule (a parameter nothing references is cfn-lint's W2001, which
      // CDK's validation prints at every synth); the check itself is CloudFormation resolving it.
      const rule =
        (stack.node.tryFindChild('SvcMeshDeployOrder') as CfnRule | undefined) ??
        new CfnRule(stack, 'SvcMeshDeployOrder');
      rule.addAssertion(
        Fn.conditionNot(Fn.conditionEquals(param.valueAsString, '')),
        `svc-mesh: the discovery record ${name} of ${target} is empty; deploy ${target} (stage ${project.options.stage}) again`,
      );
    }
  }

  /** @internal Adds this function's part of codegen's CloudFormation fragment to the stack. */
  _emit(project: Project, g: GenerateResult, byName: ReadonlyMap<string, ServiceModel>): void {
    const service = byName.get(this.declaration.service)!;
    const f = service.functions.find((x) => x.key === this.declaration.name)!;
    const id = `${service.name}:${f.key}`;
    const fragment = serviceTemplate(
      project,
      Arns.template(project),
      { ...service, functions: [f] },
      new Map([[f, g.templatePolicies[id] ?? []]]),
      new Map([[f, g.templateEnv[service.name]?.[f.key] ?? {}]]),
      byName,
    );
    const fn = this.function;
    const cfnFn = fn.node.defaultChild as lambda.CfnFunction;
    const role = fn.role!;
    const cfnRole = role.node.defaultChild as CfnResource;
    cfnFn.functionName = f.physicalName;

    // Logical ids of the fragment → the CDK resources that stand for them.
    const targets = new Map<string, CfnResource>([[lambdaLogicalId(f), cfnFn]]);
    const created: [CfnResource, Record<string, Json>][] = [];
    let rolePatch: Record<string, Json> | undefined;
    for (const [lid, r] of Object.entries(fragment.Resources)) {
      // The patch of the function itself (its Role and Environment; the fragment types it
      // AWS::Lambda::Function for the resources: ${file(…)} route): applied to the function below,
      // never a resource of its own (a second, code-less function would fail the deploy).
      if (r.Type === undefined || r.Type === 'AWS::Lambda::Function' || lid === lambdaLogicalId(f)) continue;
      if (r.Type === 'AWS::IAM::Role') {
        targets.set(lid, cfnRole);
        rolePatch = r.Properties;
        continue;
      }
      const res = new CfnResource(this, lid, { type: r.Type });
      targets.set(lid, res);
      created.push([res, r.Properties]);
      if (r.Type === 'AWS::SNS::Topic') {
        const t = LIFECYCLE_TYPES.find((x) => String(r.Properties['TopicName']).endsWith(`-${x}`));
        if (t !== undefined) this.topicResources[t] = res;
      }
    }
    const rewrite = (v: Json): unknown => {
      if (Array.isArray(v)) return v.map(rewrite);
      if (v === null || typeof v !== 'object') return v;
      const keys = Object.keys(v);
      if (keys.length === 1 && keys[0] === 'Ref' && typeof v['Ref'] === 'string' && targets.has(v['Ref'])) {
        return targets.get(v['Ref'])!.ref;
      }
      const ga = v['Fn::GetAtt'];
      if (keys.length === 1 && Array.isArray(ga) && typeof ga[0] === 'string' && targets.has(ga[0])) {
        return targets.get(ga[0])!.getAtt(String(ga[1]));
      }
      const o: Record<string, unknown> = {};
      for (const k of keys) o[k] = rewrite(v[k]!);
      return o;
    };
    const asString = (v: Json): string => {
      const r = rewrite(v);
      return typeof r === 'string' ? r : Token.asString(new Intrinsic(r));
    };
    for (const [res, props] of created) {
      for (const [k, v] of Object.entries(props)) res.addPropertyOverride(k, rewrite(v));
    }

    // The role: svc-mesh's policies first (inline, then its managed policies), then whatever else
    // the role carries (the user's own grants stay, in the role's DefaultPolicy). Lambda's
    // AWSLambdaBasicExecutionRole (logs on every log group) gives way to the own-log-group statement.
    if (rolePatch !== undefined) {
      const stack = Stack.of(role);
      const cr = cfnRole as CfnResource & { policies?: unknown; managedPolicyArns?: unknown };
      // (The L1 takes its own property shapes: policyName/policyDocument.)
      const ownPolicies = (
        rewrite(rolePatch['Policies'] ?? []) as { PolicyName: string; PolicyDocument: unknown }[]
      ).map((x) => ({ policyName: x.PolicyName, policyDocument: x.PolicyDocument }));
      const ownManaged = rewrite(rolePatch['ManagedPolicyArns'] ?? []) as unknown[];
      const prevPolicies = cr.policies;
      const prevManaged = cr.managedPolicyArns;
      cr.policies = Lazy.any({
        produce: () => [...ownPolicies, ...((stack.resolve(prevPolicies) as unknown[] | undefined) ?? [])],
      });
      cr.managedPolicyArns = Lazy.any({
        produce: () => {
          const rest = ((stack.resolve(prevManaged) as unknown[] | undefined) ?? []).filter(
            (a) => !JSON.stringify(a).includes('service-role/AWSLambdaBasicExecutionRole'),
          );
          const all = [...ownManaged, ...rest];
          return all.length > 0 ? all : undefined;
        },
      });
    }

    // The function: SVC_MESH_* environment (the role is already its own).
    const patch = fragment.Resources[lambdaLogicalId(f)]?.Properties as
      | { Environment?: { Variables?: Record<string, Json> } }
      | undefined;
    for (const [k, v] of Object.entries(patch?.Environment?.Variables ?? {})) fn.addEnvironment(k, asString(v));

    for (const [oid, o] of Object.entries(fragment.Outputs)) {
      new CfnOutput(this, oid, { value: asString(o.Value), description: o.Description, exportName: o.Export.Name });
    }
  }
}
