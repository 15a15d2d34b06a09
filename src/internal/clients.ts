/**
 * Lazily built AWS SDK v3 clients. Each client package is loaded with `await import()` on first
 * use, so importing `svc-mesh` loads none of them. Every client is built with `maxAttempts: 1`:
 * svc-mesh decides what to retry (p-retry), so nothing is retried twice.
 * @internal
 */
import { type ResolvedConfig, type SendClient, requireRegion } from './config.js';

type Ctor = new (input: any) => any;
export interface Loaded<C extends Record<string, Ctor>> {
  client: SendClient;
  commands: C;
}

/** Builds client options: region, endpoint and credentials only when given (the SDK reads the rest). */
function clientOptions(c: ResolvedConfig): Record<string, unknown> {
  const o: Record<string, unknown> = { region: requireRegion(c), maxAttempts: 1 };
  if (c.endpoint !== undefined) o['endpoint'] = c.endpoint;
  if (c.credentials !== undefined) o['credentials'] = c.credentials;
  return o;
}

export class AwsClients {
  #lambda: Promise<Loaded<{ InvokeCommand: Ctor }>> | undefined;
  #ssm: Promise<Loaded<{ GetParametersCommand: Ctor }>> | undefined;
  #cfn: Promise<Loaded<{ ListExportsCommand: Ctor }>> | undefined;
  #sns: Promise<Loaded<{ PublishCommand: Ctor }>> | undefined;
  /** The Lambda client once loaded (lets the warm path skip an await). */
  lambdaReady: Loaded<{ InvokeCommand: Ctor }> | undefined;

  constructor(private readonly config: ResolvedConfig) {}

  lambda(): Promise<Loaded<{ InvokeCommand: Ctor }>> {
    this.#lambda ??= (async () => {
      const given = this.config.clients.lambda;
      const opts = given ? undefined : clientOptions(this.config);
      const m = await import('@aws-sdk/client-lambda');
      const loaded = { client: given ?? new m.LambdaClient(opts!), commands: { InvokeCommand: m.InvokeCommand } };
      this.lambdaReady = loaded;
      return loaded;
    })();
    this.#lambda.catch(() => (this.#lambda = undefined));
    return this.#lambda;
  }

  ssm(): Promise<Loaded<{ GetParametersCommand: Ctor }>> {
    this.#ssm ??= (async () => {
      const given = this.config.clients.ssm;
      const opts = given ? undefined : clientOptions(this.config);
      const m = await import('@aws-sdk/client-ssm');
      return { client: given ?? new m.SSMClient(opts!), commands: { GetParametersCommand: m.GetParametersCommand } };
    })();
    this.#ssm.catch(() => (this.#ssm = undefined));
    return this.#ssm;
  }

  cloudformation(): Promise<Loaded<{ ListExportsCommand: Ctor }>> {
    this.#cfn ??= (async () => {
      const given = this.config.clients.cloudformation;
      const opts = given ? undefined : clientOptions(this.config);
      const m = await import('@aws-sdk/client-cloudformation');
      return {
        client: given ?? new m.CloudFormationClient(opts!),
        commands: { ListExportsCommand: m.ListExportsCommand },
      };
    })();
    this.#cfn.catch(() => (this.#cfn = undefined));
    return this.#cfn;
  }

  sns(): Promise<Loaded<{ PublishCommand: Ctor }>> {
    this.#sns ??= (async () => {
      const given = this.config.clients.sns;
      const opts = given ? undefined : clientOptions(this.config);
      const m = await import('@aws-sdk/client-sns');
      return { client: given ?? new m.SNSClient(opts!), commands: { PublishCommand: m.PublishCommand } };
    })();
    this.#sns.catch(() => (this.#sns = undefined));
    return this.#sns;
  }
}
