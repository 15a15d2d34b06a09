/**
 * cloudformation/<service>.json: the svc-mesh wiring of one service as a template FRAGMENT that
 * uses the Serverless Framework's logical ids (`<Fn>LambdaFunction`), so it merges into the
 * compiled template (the plugin does exactly that, or `resources: ${file(…)}` in serverless.yml:
 * docs/deploy.md). It is not deployable on its own: `<Fn>LambdaFunction` carries only the role
 * and environment, to be merged into the function the framework compiles.
 * ARNs keep `${AWS::Partition}`/`${AWS::Region}`/`${AWS::AccountId}` inside `Fn::Sub`.
 */
import { LIFECYCLE_TYPES } from 'svc-mesh/internal';
import type { FunctionModel, PolicyDocument, Project, ServiceModel } from '../model.js';
import { type Arns, logicalPart, normalizedFunctionName } from './arns.js';
import { discoveryRecordValue, exportValues, subscriptionFilterPolicy } from './seed.js';

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/** `Fn::Sub` only where a placeholder is present, so concrete strings stay plain. */
export const sub = (s: string): Json => (s.includes('${') ? { 'Fn::Sub': s } : s);

function subDoc(doc: PolicyDocument): Json {
  return {
    Version: doc.Version,
    Statement: doc.Statement.map((st) => {
      const o: { [k: string]: Json } = {};
      if (st.Sid !== undefined) o['Sid'] = st.Sid;
      o['Effect'] = st.Effect;
      o['Action'] = st.Action;
      o['Resource'] = Array.isArray(st.Resource) ? st.Resource.map(sub) : sub(st.Resource);
      return o;
    }),
  };
}

export const lambdaLogicalId = (f: FunctionModel) => `${normalizedFunctionName(f.key)}LambdaFunction`;
export const roleLogicalId = (f: FunctionModel) => `${normalizedFunctionName(f.key)}SvcMeshRole`;

export interface ServiceTemplate {
  AWSTemplateFormatVersion: '2010-09-09';
  Description: string;
  Resources: Record<string, { Type: string; Properties: { [k: string]: Json }; DependsOn?: string[] }>;
  Outputs: Record<string, { Description: string; Value: Json; Export: { Name: string } }>;
}

export function serviceTemplate(
  project: Project,
  arns: Arns,
  service: ServiceModel,
  policies: ReadonlyMap<FunctionModel, PolicyDocument[]>,
  env: ReadonlyMap<FunctionModel, Record<string, string>>,
  byName: ReadonlyMap<string, ServiceModel>,
): ServiceTemplate {
  const { stage, discovery, ssmPrefix } = project.options;
  const R: ServiceTemplate['Resources'] = {};
  const O: ServiceTemplate['Outputs'] = {};
  for (const f of service.functions) {
    const N = normalizedFunctionName(f.key);
    const fnArn: Json = { 'Fn::GetAtt': [lambdaLogicalId(f), 'Arn'] };
    const docs = policies.get(f) ?? [];
    const managed: Json[] = [];
    docs.slice(1).forEach((d, i) => {
      const id = `${N}SvcMeshPolicy${i + 1}`;
      R[id] = {
        Type: 'AWS::IAM::ManagedPolicy',
        Properties: {
          Description: `svc-mesh: ${service.name}:${f.key} grants, part ${i + 1} of ${docs.length - 1}`,
          PolicyDocument: subDoc(d),
        },
      };
      managed.push({ Ref: id });
    });
    const role: { [k: string]: Json } = {
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: ['lambda.amazonaws.com'] }, Action: ['sts:AssumeRole'] }],
      },
      Policies:
        docs.length > 0
          ? [{ PolicyName: `svc-mesh-${service.name}-${f.key}`.slice(0, 128), PolicyDocument: subDoc(docs[0]!) }]
          : [],
    };
    if (managed.length > 0) role['ManagedPolicyArns'] = managed;
    R[roleLogicalId(f)] = { Type: 'AWS::IAM::Role', Properties: role };

    const variables: { [k: string]: Json } = {};
    for (const [k, v] of Object.entries(env.get(f) ?? {})) variables[k] = sub(v);
    // Merged into the Serverless-compiled function (same logical id): role and environment only.
    // `Type` makes it a valid `resources:` entry (the framework deep-merges it into its own).
    R[lambdaLogicalId(f)] = {
      Type: 'AWS::Lambda::Function',
      Properties: { Role: { 'Fn::GetAtt': [roleLogicalId(f), 'Arn'] }, Environment: { Variables: variables } },
    };

    if (f.subscribable) {
      for (const t of LIFECYCLE_TYPES) {
        R[`${N}SvcMeshTopic${logicalPart(t)}`] = {
          Type: 'AWS::SNS::Topic',
          Properties: { TopicName: `${service.name}-${stage}-${f.key}-${t}` },
        };
      }
    }
    for (const s of f.subscriptions) {
      const target = byName.get(s.service);
      const topicArn = sub(arns.topic(target, s.service, s.function, s.type, stage, service));
      const base = `${N}SvcMeshOn${logicalPart(s.service)}${normalizedFunctionName(s.function)}${logicalPart(s.type)}`;
      const subProps: { [k: string]: Json } = {
        Protocol: 'lambda',
        TopicArn: topicArn,
        Endpoint: fnArn,
        FilterPolicyScope: 'MessageAttributes',
        FilterPolicy: subscriptionFilterPolicy(s) as Json,
      };
      if (target !== undefined && target.region !== service.region) subProps['Region'] = target.region;
      R[`${base}Subscription`] = { Type: 'AWS::SNS::Subscription', Properties: subProps };
      R[`${base}Permission`] = {
        Type: 'AWS::Lambda::Permission',
        Properties: {
          Action: 'lambda:InvokeFunction',
          FunctionName: fnArn,
          Principal: 'sns.amazonaws.com',
          SourceArn: topicArn,
        },
      };
    }

    const prefix = ssmPrefix.endsWith('/') ? ssmPrefix.slice(0, -1) : ssmPrefix;
    R[`${N}SvcMeshDiscoveryRecord`] = {
      Type: 'AWS::SSM::Parameter',
      Properties: {
        Name: `${prefix}/${stage}/${service.name}/${f.key}`,
        Type: 'String',
        Description: `svc-mesh discovery record of ${service.name}:${f.key} (${stage})`,
        Value: sub(discoveryRecordValue(project, arns, service, f)),
      },
    };
    if (discovery.includes('exports')) {
      for (const e of exportValues(project, arns, service, f)) {
        O[`${N}SvcMeshExport${e.field}`] = {
          Description: `svc-mesh ${e.field} of ${service.name}:${f.key} (${stage})`,
          Value: sub(e.value),
          Export: { Name: e.name },
        };
      }
    }
  }
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: `svc-mesh wiring of service ${service.name}, stage ${stage} (generated by svc-codegen; do not edit)`,
    Resources: R,
    Outputs: O,
  };
}
