/**
 * {@link StageApi} over the AWS SDK v3 SNS and SSM clients (the package's peer dependencies),
 * against AWS, moto or the local mesh (`endpoint`, or `AWS_ENDPOINT_URL` as the SDK reads it).
 */
import type { StageApi } from './stage.js';

export interface AwsConfig {
  region: string;
  endpoint?: string;
  /** Client configuration from elsewhere (the Serverless Framework's credentials): merged in. */
  extra?: Record<string, unknown>;
}

const isNotFound = (err: unknown) => {
  const e = err as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NotFound' || e?.name === 'NotFoundException' || e?.Code === 'NotFound';
};

export async function awsStageApi(cfg: AwsConfig): Promise<StageApi & { destroy(): void }> {
  const [sns, ssm] = await Promise.all([import('@aws-sdk/client-sns'), import('@aws-sdk/client-ssm')]);
  const config: Record<string, unknown> = {
    region: cfg.region,
    ...(cfg.endpoint ? { endpoint: cfg.endpoint } : {}),
    ...(cfg.extra ?? {}),
  };
  // The local mesh and moto on loopback take any credentials: do not require real ones there.
  const loopback = /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/|$)/.test(cfg.endpoint ?? '');
  if (
    loopback &&
    config['credentials'] === undefined &&
    !process.env['AWS_ACCESS_KEY_ID'] &&
    !process.env['AWS_PROFILE']
  ) {
    config['credentials'] = { accessKeyId: 'local', secretAccessKey: 'local' };
  }
  const snsClient = new sns.SNSClient(config);
  const ssmClient = new ssm.SSMClient(config);
  return {
    async getParameters(names) {
      const out = new Map<string, string>();
      for (let i = 0; i < names.length; i += 10) {
        const r = await ssmClient.send(new ssm.GetParametersCommand({ Names: names.slice(i, i + 10) }));
        for (const p of r.Parameters ?? []) if (p.Name && p.Value !== undefined) out.set(p.Name, p.Value);
      }
      return out;
    },
    async getTopicAttributes(topicArn) {
      try {
        const r = await snsClient.send(new sns.GetTopicAttributesCommand({ TopicArn: topicArn }));
        return (r.Attributes ?? {}) as Record<string, string>;
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    async listSubscriptionsByTopic(topicArn) {
      const out: { arn: string; protocol: string; endpoint: string }[] = [];
      let NextToken: string | undefined;
      do {
        const r = await snsClient.send(new sns.ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken }));
        for (const s of r.Subscriptions ?? []) {
          out.push({ arn: s.SubscriptionArn ?? '', protocol: s.Protocol ?? '', endpoint: s.Endpoint ?? '' });
        }
        NextToken = r.NextToken;
      } while (NextToken);
      return out;
    },
    async getSubscriptionAttributes(subscriptionArn) {
      const r = await snsClient.send(new sns.GetSubscriptionAttributesCommand({ SubscriptionArn: subscriptionArn }));
      return (r.Attributes ?? {}) as Record<string, string>;
    },
    async subscribe(topicArn, functionArn, filterPolicy) {
      const r = await snsClient.send(
        new sns.SubscribeCommand({
          TopicArn: topicArn,
          Protocol: 'lambda',
          Endpoint: functionArn,
          Attributes: { FilterPolicy: JSON.stringify(filterPolicy), FilterPolicyScope: 'MessageAttributes' },
          ReturnSubscriptionArn: true,
        }),
      );
      return r.SubscriptionArn ?? '';
    },
    async setFilterPolicy(subscriptionArn, filterPolicy) {
      await snsClient.send(
        new sns.SetSubscriptionAttributesCommand({
          SubscriptionArn: subscriptionArn,
          AttributeName: 'FilterPolicy',
          AttributeValue: JSON.stringify(filterPolicy),
        }),
      );
    },
    destroy() {
      snsClient.destroy();
      ssmClient.destroy();
    },
  };
}
