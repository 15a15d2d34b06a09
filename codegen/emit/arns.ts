/**
 * ARNs in two renderings: the CloudFormation one keeps `${AWS::Partition}`, `${AWS::Region}`
 * and `${AWS::AccountId}` (for `Fn::Sub`, so one template deploys to any account), the concrete
 * one fills them in (`--account`/`--region`, the local mesh).
 */
import {
  discoveryRecordName,
  LIFECYCLE_TYPES,
  lambdaFunctionNameProblem,
  type LifecycleType,
  lambdaArn,
  lifecycleTopicName,
  snsTopicArn,
} from 'svc-mesh/internal';
import { CodegenError } from '../errors.js';
import type { FunctionModel, Project, ServiceModel } from '../model.js';

export const LOCAL_ACCOUNT = '000000000000';

export class Arns {
  private constructor(
    private readonly project: Project,
    readonly concrete: boolean,
  ) {}

  /** Placeholders for CloudFormation. */
  static template(project: Project): Arns {
    return new Arns(project, false);
  }

  /** Concrete values; the account defaults to the local mesh's `000000000000`. */
  static concrete(project: Project): Arns {
    return new Arns(project, true);
  }

  /** Concrete when the project has an account, else the template. */
  static preferred(project: Project): Arns {
    return new Arns(project, project.options.account !== undefined);
  }

  get partition(): string {
    return this.concrete ? this.project.options.partition : '${AWS::Partition}';
  }

  get account(): string {
    return this.concrete ? (this.project.options.account ?? LOCAL_ACCOUNT) : '${AWS::AccountId}';
  }

  /** The region of `target` seen from a stack in `from` (a literal when they differ). */
  region(target: ServiceModel | undefined, from?: ServiceModel): string {
    const r = target?.region ?? this.project.options.region;
    if (this.concrete) return r;
    const home = from?.region ?? this.project.options.region;
    return r === home ? '${AWS::Region}' : r;
  }

  /**
   * A function ARN. The name passes the one Lambda-name check here too (validation reports it
   * with its position first), so no input can put a wildcard or a name prefix in a resource.
   */
  lambda(fnName: string, target: ServiceModel | undefined, from?: ServiceModel): string {
    const problem = lambdaFunctionNameProblem(fnName);
    if (problem !== undefined) {
      throw new CodegenError([
        {
          file: target?.file ?? from?.file ?? 'svc-codegen',
          line: target?.loc.line ?? 1,
          col: target?.loc.col ?? 1,
          severity: 'error',
          message: `refusing to put the Lambda name ${JSON.stringify(fnName)} in an ARN: it ${problem}`,
        },
      ]);
    }
    return lambdaArn(this.partition, this.region(target, from), this.account, fnName);
  }

  topic(
    service: ServiceModel | undefined,
    serviceName: string,
    fn: string,
    type: LifecycleType,
    stage: string,
    from?: ServiceModel,
  ): string {
    const name = lifecycleTopicName(serviceName, stage, fn, type);
    return snsTopicArn(this.partition, this.region(service, from), this.account, name);
  }

  topics(service: ServiceModel, f: FunctionModel, stage: string, from?: ServiceModel): Record<LifecycleType, string> {
    const out = {} as Record<LifecycleType, string>;
    for (const t of LIFECYCLE_TYPES) out[t] = this.topic(service, service.name, f.key, t, stage, from);
    return out;
  }

  /** `arn:…:ssm:…:parameter/svc-mesh/dev/users/create` (the name's leading `/` is not doubled). */
  parameter(
    service: ServiceModel | undefined,
    serviceName: string,
    fn: string,
    stage: string,
    from?: ServiceModel,
  ): string {
    const name = discoveryRecordName(this.project.options.ssmPrefix, stage, serviceName, fn);
    return `arn:${this.partition}:ssm:${this.region(service, from)}:${this.account}:parameter${name.startsWith('/') ? '' : '/'}${name}`;
  }

  logGroup(f: FunctionModel, service: ServiceModel): string {
    return `arn:${this.partition}:logs:${this.region(service, service)}:${this.account}:log-group:/aws/lambda/${f.physicalName}:*`;
  }
}

/** Serverless Framework's logical-id base for a function key (`get-user` → `GetDashuser`). */
export function normalizedFunctionName(key: string): string {
  const s = key.replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** A CloudFormation logical id part from any name: alphanumerics only, injective enough for our names. */
export function logicalPart(name: string): string {
  return normalizedFunctionName(name);
}
