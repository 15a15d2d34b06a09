/**
 * Least-privilege policies, one role per function (docs: ../shared/DESIGN.md "IAM"):
 * - its own log group;
 * - `lambda:InvokeFunction` on each `calling` target's ARN and `ARN:*`, in every stage of the chain;
 * - `ssm:GetParameter(s)` on exactly those targets' discovery records, in every stage of the chain;
 * - `cloudformation:ListExports` on `*` only when exports discovery is on (no resource-level permission);
 * - `sns:Publish` on its own lifecycle topics when subscribable.
 * Nothing else. When the policy outgrows IAM's inline quota it is split across managed policies,
 * never widened to a wildcard; past the managed-policy quota generation fails.
 */
import type { Diagnostic } from '../errors.js';
import type { FunctionModel, PolicyDocument, Project, ServiceModel } from '../model.js';
import type { Arns } from './arns.js';

type Statement = PolicyDocument['Statement'][number];

/**
 * Resources of `doc` that are not exact: anything holding `*` or `?` other than the `:*` version
 * qualifier of a function ARN or log group, and the `*` that `cloudformation:ListExports` needs.
 * generate() refuses a policy with any (the last check, whatever built the project).
 */
export function wildcardResources(doc: PolicyDocument): string[] {
  const out: string[] = [];
  for (const st of doc.Statement) {
    const actions = ([] as string[]).concat(st.Action);
    for (const r of ([] as string[]).concat(st.Resource)) {
      if (r === '*' && actions.length === 1 && actions[0] === 'cloudformation:ListExports') continue;
      const exact = /:(function:[^:]+|log-group:[^:]+):\*$/.test(r) ? r.slice(0, -2) : r;
      if (/[*?]/.test(exact)) out.push(r);
    }
  }
  return out;
}

/** IAM quotas, in characters without white space (IAM and STS quotas page). */
export const INLINE_POLICY_QUOTA = 10_240;
export const MANAGED_POLICY_QUOTA = 6_144;

/** Size as IAM counts it: the JSON without white space outside strings. */
export function policySize(doc: PolicyDocument): number {
  return JSON.stringify(doc).length;
}

/** A target's resources: kept together when splitting, so one target never spans two policies. */
interface TargetGrant {
  invoke: string[];
  read: string[];
}

export interface FunctionPolicies {
  /** The role's inline policy (always first) and then its managed policies. */
  documents: PolicyDocument[];
}

const doc = (Statement: Statement[]): PolicyDocument => ({ Version: '2012-10-17', Statement });

function grantStatements(grants: readonly TargetGrant[]): Statement[] {
  const invoke = grants.flatMap((g) => g.invoke);
  const read = grants.flatMap((g) => g.read);
  const out: Statement[] = [];
  if (invoke.length > 0)
    out.push({ Sid: 'InvokeDeclaredTargets', Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: invoke });
  if (read.length > 0) {
    out.push({
      Sid: 'ReadTargetDiscoveryRecords',
      Effect: 'Allow',
      Action: ['ssm:GetParameter', 'ssm:GetParameters'],
      Resource: read,
    });
  }
  return out;
}

/**
 * The policies of one function. Returns a diagnostic instead when they cannot fit.
 */
export function functionPolicies(
  project: Project,
  arns: Arns,
  service: ServiceModel,
  f: FunctionModel,
  byName: ReadonlyMap<string, ServiceModel>,
): PolicyDocument[] | Diagnostic {
  const { stage, stageFallback, discovery } = project.options;
  const stages = [stage, ...stageFallback];
  const base: Statement[] = [
    {
      Sid: 'WriteOwnLogs',
      Effect: 'Allow',
      Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: [arns.logGroup(f, service)],
    },
  ];
  if (f.subscribable) {
    const topics = arns.topics(service, f, stage, service);
    base.push({
      Sid: 'PublishOwnLifecycleEvents',
      Effect: 'Allow',
      Action: 'sns:Publish',
      Resource: Object.values(topics),
    });
  }
  if (f.calling.length > 0 && discovery.includes('exports')) {
    // ListExports has no resource-level permission: `*` is the only resource IAM accepts for it.
    base.push({ Sid: 'DiscoverThroughExports', Effect: 'Allow', Action: 'cloudformation:ListExports', Resource: '*' });
  }
  const grants: TargetGrant[] = f.calling.map((t) => {
    const target = byName.get(t.service);
    const callee = target?.functions.find((x) => x.key === t.function);
    const invoke: string[] = [];
    const read: string[] = [];
    for (const s of stages) {
      const name = callee?.physicalNames[s] ?? `${t.service}-${s}-${t.function}`;
      const arn = arns.lambda(name, target, service);
      invoke.push(arn, `${arn}:*`);
      if (discovery.includes('ssm')) read.push(arns.parameter(target, t.service, t.function, s, service));
    }
    return { invoke, read };
  });

  const whole = doc([...base, ...grantStatements(grants)]);
  if (policySize(whole) <= INLINE_POLICY_QUOTA) return [whole];

  // Pack targets greedily: first into the inline policy (next to the base statements), then into
  // managed policies of at most 6,144 characters each.
  const bins: TargetGrant[][] = [[]];
  const fits = (i: number, gs: TargetGrant[]) =>
    i === 0
      ? policySize(doc([...base, ...grantStatements(gs)])) <= INLINE_POLICY_QUOTA
      : policySize(doc(grantStatements(gs))) <= MANAGED_POLICY_QUOTA;
  for (let gi = 0; gi < grants.length; gi++) {
    const g = grants[gi]!;
    const i = bins.length - 1;
    const cur = bins[i]!;
    if (fits(i, [...cur, g])) {
      cur.push(g);
      continue;
    }
    if (!fits(bins.length, [g])) {
      const t = f.calling[gi]!;
      return {
        ...(f.locs[`calling[${gi}]`] ?? f.loc),
        severity: 'error',
        message: `the grants for '${t.service}:${t.function}' alone exceed IAM's ${MANAGED_POLICY_QUOTA}-character managed policy quota`,
      };
    }
    bins.push([g]);
  }
  const managed = bins.length - 1;
  if (managed > project.options.maxManagedPolicies) {
    return {
      ...(f.locs['calling'] ?? f.loc),
      severity: 'error',
      message:
        `${service.name}:${f.key} calls ${f.calling.length} functions across ${stages.length} stage(s); its exact policy ` +
        `needs the inline policy plus ${managed} managed policies, but a role may have ${project.options.maxManagedPolicies}. ` +
        `svc-mesh does not widen grants to wildcards: split the function, shorten 'calling:' or the stage fallback` +
        (project.options.maxManagedPolicies < 20
          ? `, or raise the quota (20 on request) and pass --max-managed-policies ${Math.min(20, managed)}`
          : ''),
    };
  }
  return bins.map((gs, i) => (i === 0 ? doc([...base, ...grantStatements(gs)]) : doc(grantStatements(gs))));
}
