/**
 * What a deployed stage should hold (from the service files, through codegen) compared with what
 * the AWS APIs say it holds: discovery records, lifecycle topics, subscriptions and their filter
 * policies, and the contract hashes callers were built against. Used by `svc-codegen doctor` and
 * by the Serverless plugin's pre-deploy check. Talks to AWS only through {@link StageApi}, so it
 * runs against AWS, moto or the local mesh alike.
 */
import {
  discoveryRecordName,
  LIFECYCLE_TYPES,
  type LifecycleType,
  lifecycleTopicName,
  parseDiscoveryRecord,
} from 'svc-mesh/internal';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { isManifestPath, type SvcMeshManifest } from '../cdk/manifest.js';
import { Arns } from '../emit/arns.js';
import { subscriptionFilterPolicy } from '../emit/seed.js';
import type { FunctionModel, Project, ServiceModel } from '../model.js';

/** The AWS calls the check needs (SNS, SSM), with NotFound as `undefined`. */
export interface StageApi {
  /** SSM GetParameters (any number of names; the implementation batches by 10). */
  getParameters(names: readonly string[]): Promise<Map<string, string>>;
  /** SNS GetTopicAttributes; undefined when the topic does not exist. */
  getTopicAttributes(topicArn: string): Promise<Record<string, string> | undefined>;
  /** SNS ListSubscriptionsByTopic (all pages). */
  listSubscriptionsByTopic(topicArn: string): Promise<{ arn: string; protocol: string; endpoint: string }[]>;
  /** SNS GetSubscriptionAttributes. */
  getSubscriptionAttributes(subscriptionArn: string): Promise<Record<string, string>>;
  subscribe(topicArn: string, functionArn: string, filterPolicy: Record<string, unknown>): Promise<string>;
  setFilterPolicy(subscriptionArn: string, filterPolicy: Record<string, unknown>): Promise<void>;
}

export type FindingCode =
  | 'RECORD_MISSING'
  | 'RECORD_DRIFT'
  | 'TARGET_MISSING'
  | 'CONTRACT_DRIFT'
  | 'TOPIC_MISSING'
  | 'PUBLISHER_MISSING'
  | 'SUBSCRIPTION_MISSING'
  | 'SUBSCRIPTION_DRIFT';

export interface Finding {
  code: FindingCode;
  /** `service:function` the finding is about. */
  subject: string;
  message: string;
  /** A command or action that fixes it. */
  fix: string;
  /** `doctor --repair` can fix it through the SNS API. */
  repairable: boolean;
  /** For repairable subscription findings. */
  subscription?: { topicArn: string; functionArn: string; filterPolicy: Record<string, unknown>; arn?: string };
}

/** One desired subscription, named. */
export interface DesiredSubscription {
  subscriber: string;
  subscriberService: ServiceModel;
  publisher: string;
  publisherService: ServiceModel | undefined;
  type: LifecycleType;
  topicName: string;
  topicArn: string;
  functionArn: string;
  filterPolicy: Record<string, unknown>;
}

/**
 * The subscriptions of `service` (all local services when omitted), concrete ARNs. A subscription
 * goes to the publisher's topic in the subscriber's own stage (docs/deploy.md says why).
 */
export function desiredSubscriptions(project: Project, only?: ServiceModel): DesiredSubscription[] {
  const arns = Arns.concrete(project);
  const byName = new Map(project.services.map((s) => [s.name, s]));
  const stage = project.options.stage;
  const out: DesiredSubscription[] = [];
  for (const s of project.services) {
    if (s.external || (only !== undefined && s !== only)) continue;
    for (const f of s.functions) {
      for (const sub of f.subscriptions) {
        const target = byName.get(sub.service);
        out.push({
          subscriber: `${s.name}:${f.key}`,
          subscriberService: s,
          publisher: `${sub.service}:${sub.function}`,
          publisherService: target,
          type: sub.type,
          topicName: lifecycleTopicName(sub.service, stage, sub.function, sub.type),
          topicArn: arns.topic(target, sub.service, sub.function, sub.type, stage),
          functionArn: arns.lambda(f.physicalName, s),
          filterPolicy: subscriptionFilterPolicy(sub),
        });
      }
    }
  }
  return out;
}

/** Same JSON value, whatever the key order. */
function sameJson(a: unknown, b: unknown): boolean {
  const canon = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canon)
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v as object)
              .sort()
              .map((k) => [k, canon((v as Record<string, unknown>)[k])]),
          )
        : v;
  return JSON.stringify(canon(a)) === JSON.stringify(canon(b));
}

const deployCmd = (s: ServiceModel | undefined, name: string, stage: string) =>
  s === undefined
    ? `deploy service ${name} to stage ${stage}`
    : isManifestPath(s.file)
      ? cdkDeployCmd(s, stage)
      : `(cd ${s.dir} && serverless deploy --stage ${stage})`;

/**
 * A service declared in CDK (its file is the app's cdk.out/svc-mesh.json): `cdk deploy` of the
 * synthesized assembly's stacks that hold its functions, when that assembly was synthesized for
 * this stage; otherwise what to synthesize first (the stage's context key is the app's own).
 */
function cdkDeployCmd(s: ServiceModel, stage: string): string {
  let m: SvcMeshManifest | undefined;
  try {
    m = JSON.parse(readFileSync(s.file, 'utf8')) as SvcMeshManifest;
  } catch {
    /* read and reported by loadProject already */
  }
  const stacks = [
    ...new Set(
      (m?.functions ?? [])
        .filter((f) => (f.declaration as { service?: unknown } | null)?.service === s.name)
        .map((f) => String(f.path).split('/')[0]!),
    ),
  ];
  const app = existsSync(join(dirname(s.dir), 'cdk.json')) ? dirname(s.dir) : undefined;
  const deploy = `npx cdk deploy --app ${app !== undefined ? basename(s.dir) : s.dir} ${stacks.join(' ')}`.trimEnd();
  if (m?.synthesized?.stage !== stage) {
    return `synthesize the CDK app${app !== undefined ? ` in ${app}` : ''} for stage ${stage} (${s.file} is for stage ${m?.synthesized?.stage ?? '?'}), then deploy the stacks of service ${s.name}`;
  }
  return app !== undefined ? `(cd ${app} && ${deploy})` : deploy;
}

export interface InspectOptions {
  /** The command that re-runs this check with --repair (printed in fixes). */
  repairCommand: string;
}

/**
 * Reads the stage through `api` and lists what is missing or drifted, for every local (non-external)
 * service of `project`: its functions' records (present, pointing at the function and topics
 * codegen computes, carrying the contract hash of the sources), its calls (a record for each
 * target in the stage chain, with the contract hash the caller was built against), its topics,
 * and its subscriptions (present on the publisher's topic, with the declared filter policy).
 * `project.options.account` must be set (concrete ARNs).
 */
export async function inspectStage(project: Project, api: StageApi, o: InspectOptions): Promise<Finding[]> {
  const { stage, stageFallback, ssmPrefix } = project.options;
  const chain = [stage, ...stageFallback];
  const arns = Arns.concrete(project);
  const local = project.services.filter((s) => !s.external);
  const byName = new Map(project.services.map((s) => [s.name, s]));
  const findings: Finding[] = [];

  // Every record the check reads, in one batch.
  const names = new Set<string>();
  for (const s of local) {
    for (const f of s.functions) {
      names.add(discoveryRecordName(ssmPrefix, stage, s.name, f.key));
      for (const t of f.calling)
        for (const st of chain) names.add(discoveryRecordName(ssmPrefix, st, t.service, t.function));
    }
  }
  const records = await api.getParameters([...names].sort());
  const deployed = new Set<FunctionModel>();

  for (const s of local) {
    const hash = project.contracts[s.name]?.hash;
    for (const f of s.functions) {
      const id = `${s.name}:${f.key}`;
      const name = discoveryRecordName(ssmPrefix, stage, s.name, f.key);
      const value = records.get(name);
      if (value === undefined) {
        findings.push({
          code: 'RECORD_MISSING',
          subject: id,
          message: `${id} has no discovery record ${name} in stage ${stage}: it is not deployed there (callers get TargetNotFoundError)`,
          fix: deployCmd(s, s.name, stage),
          repairable: false,
        });
        continue;
      }
      deployed.add(f);
      let rec: ReturnType<typeof parseDiscoveryRecord>;
      try {
        rec = parseDiscoveryRecord(value, name);
      } catch (err) {
        findings.push({
          code: 'RECORD_DRIFT',
          subject: id,
          message: `${id}: the discovery record ${name} is not a valid record (${(err as Error).message})`,
          fix: deployCmd(s, s.name, stage),
          repairable: false,
        });
        continue;
      }
      const want = arns.lambda(f.physicalName, s);
      const wantTopics = f.subscribable ? arns.topics(s, f, stage) : undefined;
      const drift: string[] = [];
      if (rec.functionArn !== want) drift.push(`functionArn is ${rec.functionArn}, expected ${want}`);
      if (!sameJson(rec.topics ?? null, wantTopics ?? null))
        drift.push(
          wantTopics === undefined ? 'it lists topics but the function is not subscribable' : 'its topics differ',
        );
      if (drift.length > 0) {
        findings.push({
          code: 'RECORD_DRIFT',
          subject: id,
          message: `${id}: the discovery record ${name} differs from the service file: ${drift.join('; ')}`,
          fix: deployCmd(s, s.name, stage),
          repairable: false,
        });
      }
      if (hash !== undefined && rec.contract !== undefined && rec.contract !== hash) {
        findings.push({
          code: 'CONTRACT_DRIFT',
          subject: id,
          message: `${id}: deployed with contract ${rec.contract}, but the sources give ${hash} (changed since the last deploy)`,
          fix: deployCmd(s, s.name, stage),
          repairable: false,
        });
      }
    }
  }

  // Calls: each target must resolve somewhere in the chain, with the contract the caller was built against.
  for (const s of local) {
    for (const f of s.functions) {
      if (!deployed.has(f)) continue;
      for (const t of f.calling) {
        const target = `${t.service}:${t.function}`;
        const found = chain
          .map((st) => ({ st, name: discoveryRecordName(ssmPrefix, st, t.service, t.function) }))
          .find((x) => records.has(x.name));
        if (found === undefined) {
          findings.push({
            code: 'TARGET_MISSING',
            subject: `${s.name}:${f.key}`,
            message: `${s.name}:${f.key} calls ${target}, but no stage of ${chain.join(' → ')} has its discovery record (${chain.map((st) => discoveryRecordName(ssmPrefix, st, t.service, t.function)).join(', ')})`,
            fix: deployCmd(byName.get(t.service), t.service, stage),
            repairable: false,
          });
          continue;
        }
        const expected = project.contracts[t.service]?.hash;
        let got: string | undefined;
        try {
          got = parseDiscoveryRecord(records.get(found.name)!, found.name).contract;
        } catch {
          got = undefined; // reported above when the target is local; an invalid record resolves nowhere
        }
        if (
          expected !== undefined &&
          got !== undefined &&
          got !== expected &&
          !local.some((x) => x.name === t.service)
        ) {
          findings.push({
            code: 'CONTRACT_DRIFT',
            subject: `${s.name}:${f.key}`,
            message: `${s.name}:${f.key} was built against ${target} with contract ${expected}, but ${found.name} (stage ${found.st}) carries ${got}`,
            fix: `svc-codegen check --against <the contracts ${s.name} was built with>, then rebuild and deploy ${s.name}`,
            repairable: false,
          });
        }
      }
    }
  }

  // Own topics of deployed subscribable functions.
  for (const s of local) {
    for (const f of s.functions) {
      if (!f.subscribable || !deployed.has(f)) continue;
      for (const t of LIFECYCLE_TYPES) {
        const arn = arns.topic(s, s.name, f.key, t, stage);
        if ((await api.getTopicAttributes(arn)) === undefined) {
          findings.push({
            code: 'TOPIC_MISSING',
            subject: `${s.name}:${f.key}`,
            message: `${s.name}:${f.key} is deployed but its ${t} topic ${arn} does not exist (events are lost: the publisher logs PUBLISH_FAILED)`,
            fix: deployCmd(s, s.name, stage),
            repairable: false,
          });
        }
      }
    }
  }

  // Subscriptions of deployed subscribers.
  const topicExists = new Map<string, boolean>();
  for (const d of desiredSubscriptions(project)) {
    const f = d.subscriberService.functions.find((x) => `${d.subscriberService.name}:${x.key}` === d.subscriber);
    if (f === undefined || !deployed.has(f)) continue;
    let exists = topicExists.get(d.topicArn);
    if (exists === undefined) {
      exists = (await api.getTopicAttributes(d.topicArn)) !== undefined;
      topicExists.set(d.topicArn, exists);
    }
    const what = `${d.subscriber} subscribes to ${d.publisher} (${d.type})`;
    if (!exists) {
      findings.push({
        code: 'PUBLISHER_MISSING',
        subject: d.subscriber,
        message: `${what}, but the topic ${d.topicArn} does not exist: ${d.publisher} is not deployed in stage ${stage} (or not subscribable there)`,
        fix: `${deployCmd(d.publisherService, d.publisher.split(':')[0]!, stage)}, then ${o.repairCommand}`,
        repairable: false,
      });
      continue;
    }
    const subs = (await api.listSubscriptionsByTopic(d.topicArn)).filter(
      (x) => x.protocol === 'lambda' && x.endpoint === d.functionArn,
    );
    const subscription = { topicArn: d.topicArn, functionArn: d.functionArn, filterPolicy: d.filterPolicy };
    if (subs.length === 0) {
      findings.push({
        code: 'SUBSCRIPTION_MISSING',
        subject: d.subscriber,
        message: `${what}, but ${d.topicArn} has no subscription for ${d.functionArn} (the publisher's stack was replaced after the subscriber was deployed?): its events are not delivered`,
        fix: o.repairCommand,
        repairable: true,
        subscription,
      });
      continue;
    }
    for (const x of subs) {
      const attrs = await api.getSubscriptionAttributes(x.arn);
      let policy: unknown;
      try {
        policy = attrs['FilterPolicy'] ? JSON.parse(attrs['FilterPolicy']) : undefined;
      } catch {
        policy = attrs['FilterPolicy'];
      }
      const scope = attrs['FilterPolicyScope'] ?? 'MessageAttributes';
      if (!sameJson(policy, d.filterPolicy) || scope !== 'MessageAttributes') {
        findings.push({
          code: 'SUBSCRIPTION_DRIFT',
          subject: d.subscriber,
          message: `${what}: subscription ${x.arn} filters with ${JSON.stringify(policy ?? null)} (${scope}), the service file says ${JSON.stringify(d.filterPolicy)} (MessageAttributes)`,
          fix: o.repairCommand,
          repairable: true,
          subscription: { ...subscription, arn: x.arn },
        });
      }
    }
  }
  return findings;
}

export interface RepairResult {
  repaired: Finding[];
  failed: { finding: Finding; error: string }[];
}

/** Fixes the repairable findings through the SNS API (Subscribe, SetSubscriptionAttributes). */
export async function repairStage(findings: readonly Finding[], api: StageApi): Promise<RepairResult> {
  const out: RepairResult = { repaired: [], failed: [] };
  for (const f of findings) {
    if (!f.repairable || f.subscription === undefined) continue;
    try {
      if (f.code === 'SUBSCRIPTION_MISSING') {
        await api.subscribe(f.subscription.topicArn, f.subscription.functionArn, f.subscription.filterPolicy);
      } else if (f.subscription.arn !== undefined) {
        await api.setFilterPolicy(f.subscription.arn, f.subscription.filterPolicy);
      }
      out.repaired.push(f);
    } catch (err) {
      out.failed.push({ finding: f, error: (err as Error).message });
    }
  }
  return out;
}
