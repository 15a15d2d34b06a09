/**
 * The plugin's pre-deploy check (what `serverless deploy` runs before CloudFormation), against moto
 * through both provider shapes: osls/v4's `getAwsSdkV3Config()` and v3's `request()` (v3's AWS SDK
 * v2 cannot be pointed at moto, so its request() is reproduced over a real SNS client, with v3's
 * error shape). Covers the per-developer stage: `alice`'s subscriber subscribes to alice's
 * publisher topics, not dev's (docs/deploy.md).
 */
import { join } from 'node:path';
import { CreateTopicCommand, GetTopicAttributesCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployOrderProblem, type FrameworkProvider } from '../../codegen/emit/serverless-plugin.js';
import { type Moto, motoSkipReason, startMoto } from '../helpers/moto.js';

const SHOP = join(import.meta.dirname, '../../examples/shop');
const skip = motoSkipReason('deploy-order check on moto');
let moto: Moto;
let sns: SNSClient;

beforeAll(async () => {
  if (skip) return;
  moto = await startMoto();
  sns = new SNSClient(moto.config);
}, 60_000);
afterAll(async () => {
  sns?.destroy();
  await moto?.close();
});

const info = async () => ({ accountId: moto.account, partition: 'aws' });
/** osls 4.x / Serverless v4: SDK v3 configuration from the framework. */
const oslsProvider = (): FrameworkProvider => ({
  getAccountInfo: info,
  getAwsSdkV3Config: async (o) => ({ ...moto.config, region: o?.region ?? moto.region }),
});
/** Serverless v3: provider.request(service, method, params) rejecting with ServerlessError { providerError }. */
const v3Provider = (): FrameworkProvider => ({
  getAccountInfo: info,
  async request(service, method, params) {
    if (service !== 'SNS' || method !== 'getTopicAttributes') throw new Error(`unexpected ${service}.${method}`);
    try {
      return await sns.send(new GetTopicAttributesCommand(params as { TopicArn: string }));
    } catch (err) {
      const code = (err as { name: string }).name === 'NotFoundException' ? 'NotFound' : (err as Error).name;
      throw Object.assign(new Error((err as Error).message), {
        code: `AWS_S_N_S_GET_TOPIC_ATTRIBUTES_${code.toUpperCase()}`,
        providerError: { code },
      });
    }
  },
});

const run = (stage: string) => ({
  serviceDir: join(SHOP, 'notifications'),
  serviceName: 'notifications',
  stage,
  region: 'us-east-1',
  config: {},
});
const topic = (name: string) => sns.send(new CreateTopicCommand({ Name: name }));

describe.skipIf(skip)('deploy order: the pre-deploy check against moto', () => {
  it.each([
    ['osls/v4', oslsProvider],
    ['v3', v3Provider],
  ])('%s: a subscriber before its publishers is refused with what to deploy; after them it passes', async (_n, p) => {
    await moto.reset();
    const refused = await deployOrderProblem(run('dev'), p());
    expect(refused).toContain('svc-mesh: not deploying notifications to stage dev');
    expect(refused).toContain(`topic arn:aws:sns:us-east-1:${moto.account}:payments-dev-charge-failed does not exist`);
    expect(refused).toContain('(cd ../payments && serverless deploy --stage dev)');
    expect(refused).toContain('(cd ../orders && serverless deploy --stage dev)');
    expect(refused).toContain('Nothing was deployed');
    // One publisher deployed: only the other is still named.
    await topic('payments-dev-charge-failed');
    const one = await deployOrderProblem(run('dev'), p());
    expect(one).not.toContain('payments-dev-charge-failed');
    expect(one).toContain('(cd ../orders && serverless deploy --stage dev)');
    await topic('orders-dev-placeOrder-success');
    expect(await deployOrderProblem(run('dev'), p())).toBeUndefined();
  });

  it("a per-developer stage subscribes to its own stage's publisher: dev's topics do not satisfy alice", async () => {
    await moto.reset();
    await topic('payments-dev-charge-failed');
    await topic('orders-dev-placeOrder-success');
    const alice = await deployOrderProblem({ ...run('alice'), config: { stageFallback: ['dev'] } }, oslsProvider());
    expect(alice).toContain('svc-mesh: not deploying notifications to stage alice');
    expect(alice).toContain(`arn:aws:sns:us-east-1:${moto.account}:payments-alice-charge-failed does not exist`);
    expect(alice).toContain('(cd ../payments && serverless deploy --stage alice)');
    expect(alice).toContain('A per-developer stage subscribes to topics of its own stage');
    await topic('payments-alice-charge-failed');
    await topic('orders-alice-placeOrder-success');
    expect(await deployOrderProblem({ ...run('alice'), config: { stageFallback: ['dev'] } }, oslsProvider())).toBe(
      undefined,
    );
  });

  it('a service that subscribes to nothing is never checked (no AWS call)', async () => {
    const provider: FrameworkProvider = {
      getAccountInfo: () => Promise.reject(new Error('must not be called')),
    };
    expect(
      await deployOrderProblem(
        { serviceDir: join(SHOP, 'payments'), serviceName: 'payments', stage: 'dev', region: 'us-east-1', config: {} },
        provider,
      ),
    ).toBeUndefined();
  });
});
