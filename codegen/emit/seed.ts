/**
 * What must exist before functions run: lifecycle topics, subscriptions (with their filter
 * policy), SSM discovery records and, when exports discovery is on, CloudFormation exports.
 * The local mesh applies this plan at start; in AWS the CloudFormation templates create the same.
 */
import {
  DISCOVERY_RECORD_VERSION,
  discoveryRecordName,
  EXPORT_FIELDS,
  exportName,
  LIFECYCLE_TYPES,
} from 'svc-mesh/internal';
import type { FunctionModel, Project, SeedPlan, ServiceModel, Subscription } from '../model.js';
import type { Arns } from './arns.js';

/**
 * The record value, version 2: it names its target, so a runtime refuses it when read for another
 * (`{"v":2,"service":…,"function":…,"stage":…,"functionArn":…,"topics":{…},"contract":"sha256-…"}`,
 * keys in this order).
 */
export function discoveryRecordValue(project: Project, arns: Arns, service: ServiceModel, f: FunctionModel): string {
  const rec: {
    v: typeof DISCOVERY_RECORD_VERSION;
    service: string;
    function: string;
    stage: string;
    functionArn: string;
    topics?: Record<string, string>;
    contract?: string;
  } = {
    v: DISCOVERY_RECORD_VERSION,
    service: service.name,
    function: f.key,
    stage: project.options.stage,
    functionArn: arns.lambda(f.physicalName, service, service),
  };
  if (f.subscribable) rec.topics = arns.topics(service, f, project.options.stage, service);
  const hash = project.contracts[service.name]?.hash;
  if (hash !== undefined) rec.contract = hash;
  return JSON.stringify(rec);
}

/** SNS filter policy of a subscription: the lifecycle type, plus the subscriber's own conditions. */
export function subscriptionFilterPolicy(sub: Subscription): Record<string, unknown> {
  return { svcmesh_type: [sub.type], ...(sub.filterPolicy ?? {}) };
}

export function exportValues(
  project: Project,
  arns: Arns,
  service: ServiceModel,
  f: FunctionModel,
): { field: (typeof EXPORT_FIELDS)[number]; name: string; value: string }[] {
  const stage = project.options.stage;
  const out: { field: (typeof EXPORT_FIELDS)[number]; name: string; value: string }[] = [];
  const topics = f.subscribable ? arns.topics(service, f, stage, service) : undefined;
  const hash = project.contracts[service.name]?.hash;
  for (const field of EXPORT_FIELDS) {
    let value: string | undefined;
    if (field === 'FunctionArn') value = arns.lambda(f.physicalName, service, service);
    else if (field === 'TopicStart') value = topics?.start;
    else if (field === 'TopicSuccess') value = topics?.success;
    else if (field === 'TopicFailed') value = topics?.failed;
    else value = hash;
    if (value !== undefined) out.push({ field, name: exportName(stage, service.name, f.key, field), value });
  }
  return out;
}

export function seedPlan(project: Project, arns: Arns, byName: ReadonlyMap<string, ServiceModel>): SeedPlan {
  const plan: SeedPlan = { topics: [], subscriptions: [], parameters: [], exports: [] };
  const { stage, ssmPrefix, discovery } = project.options;
  for (const s of project.services) {
    if (s.external) continue;
    for (const f of s.functions) {
      if (f.subscribable) {
        for (const t of LIFECYCLE_TYPES) {
          plan.topics.push({ name: `${s.name}-${stage}-${f.key}-${t}`, arn: arns.topic(s, s.name, f.key, t, stage) });
        }
      }
      for (const sub of f.subscriptions) {
        const target = byName.get(sub.service);
        plan.subscriptions.push({
          topicArn: arns.topic(target, sub.service, sub.function, sub.type, stage),
          functionArn: arns.lambda(f.physicalName, s),
          filterPolicy: subscriptionFilterPolicy(sub),
        });
      }
      plan.parameters.push({
        name: discoveryRecordName(ssmPrefix, stage, s.name, f.key),
        value: discoveryRecordValue(project, arns, s, f),
      });
      if (discovery.includes('exports')) {
        for (const e of exportValues(project, arns, s, f)) plan.exports.push({ name: e.name, value: e.value });
      }
    }
  }
  const by =
    <T>(k: (x: T) => string) =>
    (a: T, b: T) =>
      k(a) < k(b) ? -1 : k(a) > k(b) ? 1 : 0;
  plan.topics.sort(by((x) => x.name));
  plan.subscriptions.sort(by((x) => `${x.topicArn} ${x.functionArn}`));
  plan.parameters.sort(by((x) => x.name));
  plan.exports.sort(by((x) => x.name));
  return plan;
}
