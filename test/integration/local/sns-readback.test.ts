/**
 * The local mesh's SNS read-back calls (GetSubscriptionAttributes, SetSubscriptionAttributes,
 * ListTagsForResource), with the real AWS SDK v3 client and with boto3 (the Python SDK installed
 * beside moto) as a second, independent client, and `svc-codegen doctor` run against the mesh.
 */
import { execFile } from 'node:child_process';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import {
  GetSubscriptionAttributesCommand,
  ListSubscriptionsByTopicCommand,
  ListTagsForResourceCommand,
  SetSubscriptionAttributesCommand,
  SNSClient,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCLI } from '../../../codegen/cli.js';
import { type ExampleMesh, startExampleMesh } from '../../helpers/example-mesh.js';

const SHOP = new URL('../../../examples/shop', import.meta.url).pathname;
const TOPIC = 'arn:aws:sns:us-east-1:000000000000:payments-dev-charge-failed';
const SUBSCRIBER = 'arn:aws:lambda:us-east-1:000000000000:function:notifications-dev-onPaymentFailed';
let shop: ExampleMesh;
let sns: SNSClient;

beforeAll(async () => {
  shop = await startExampleMesh('shop');
  sns = new SNSClient({
    endpoint: shop.mesh.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
}, 60_000);
afterAll(async () => {
  sns?.destroy();
  await shop?.mesh.stop();
});

const fails = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    return err as Error & { $metadata: { httpStatusCode: number } };
  }
  throw new Error('expected an error');
};

async function subscriptionArn(): Promise<string> {
  const r = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: TOPIC }));
  const s = r.Subscriptions!.find((x) => x.Endpoint === SUBSCRIBER);
  if (s === undefined) throw new Error(`no subscription of ${SUBSCRIBER} on ${TOPIC}`);
  return s.SubscriptionArn!;
}

async function doctor(...extra: string[]): Promise<{ code: number; text: string }> {
  let text = '';
  const sink = new Writable({
    write(c, _e, cb) {
      text += c.toString();
      cb();
    },
  });
  const code = await runCLI(
    ['doctor', SHOP, '--stage', 'dev', '--endpoint', shop.mesh.endpoint, '--no-types', ...extra],
    { stdout: sink, stderr: sink },
  );
  return { code, text };
}

describe('SNS read-back on the local mesh', () => {
  it('GetSubscriptionAttributes answers what SNS answers for a lambda subscription, with the seeded filter policy', async () => {
    const arn = await subscriptionArn();
    const { Attributes: a } = await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: arn }));
    expect(a).toMatchObject({
      SubscriptionArn: arn,
      TopicArn: TOPIC,
      Protocol: 'lambda',
      Endpoint: SUBSCRIBER,
      Owner: '000000000000',
      PendingConfirmation: 'false',
      ConfirmationWasAuthenticated: 'true',
      RawMessageDelivery: 'false',
      FilterPolicyScope: 'MessageAttributes',
    });
    expect(JSON.parse(a!['FilterPolicy']!)).toEqual({ svcmesh_type: ['failed'], svcmesh_code: ['CARD_DECLINED'] });
  });

  it('answers NotFound for a missing subscription and InvalidParameter for a malformed ARN', async () => {
    const missing = await fails(
      sns.send(
        new GetSubscriptionAttributesCommand({ SubscriptionArn: `${TOPIC}:00000000-0000-0000-0000-000000000000` }),
      ),
    );
    expect(missing.name).toBe('NotFoundException');
    expect(missing.$metadata.httpStatusCode).toBe(404);
    const bad = await fails(sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: 'nope' })));
    expect(bad.name).toBe('InvalidParameterException');
    expect(bad.message).toContain('SubscriptionArn');
  });

  it('SetSubscriptionAttributes replaces the filter policy (validated) and boto3 reads the same back', async () => {
    const arn = await subscriptionArn();
    const policy = { svcmesh_type: ['failed'], svcmesh_code: ['CARD_DECLINED', 'CARD_EXPIRED'] };
    await sns.send(
      new SetSubscriptionAttributesCommand({
        SubscriptionArn: arn,
        AttributeName: 'FilterPolicy',
        AttributeValue: JSON.stringify(policy),
      }),
    );
    const bad = await fails(
      sns.send(
        new SetSubscriptionAttributesCommand({
          SubscriptionArn: arn,
          AttributeName: 'FilterPolicy',
          AttributeValue: '{',
        }),
      ),
    );
    expect(bad.name).toBe('InvalidParameterException');
    const unknown = await fails(
      sns.send(
        new SetSubscriptionAttributesCommand({ SubscriptionArn: arn, AttributeName: 'Colour', AttributeValue: 'x' }),
      ),
    );
    expect(unknown.message).toContain('AttributeName');

    const py = `
import boto3, json, sys
c = boto3.client('sns', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='test', aws_secret_access_key='test')
a = c.get_subscription_attributes(SubscriptionArn=sys.argv[2])['Attributes']
t = c.list_tags_for_resource(ResourceArn=sys.argv[3])['Tags']
try:
    c.get_subscription_attributes(SubscriptionArn=sys.argv[3] + ':00000000-0000-0000-0000-000000000000')
    missing = None
except c.exceptions.NotFoundException as e:
    missing = e.response['Error']['Code']
print(json.dumps({'attributes': a, 'tags': t, 'missing': missing}))
`;
    // Asynchronously: the mesh answers from this process's event loop.
    const { stdout } = await promisify(execFile)('python3', ['-c', py, shop.mesh.endpoint, arn, TOPIC], {
      timeout: 60_000,
    });
    const out = JSON.parse(stdout);
    expect(JSON.parse(out.attributes.FilterPolicy)).toEqual(policy);
    expect(out.attributes.Endpoint).toBe(SUBSCRIBER);
    expect(out.tags).toEqual([]);
    expect(out.missing).toBe('NotFound');
  });

  it('ListTagsForResource: empty for a topic, ResourceNotFound for a missing one', async () => {
    expect((await sns.send(new ListTagsForResourceCommand({ ResourceArn: TOPIC }))).Tags).toEqual([]);
    const missing = await fails(sns.send(new ListTagsForResourceCommand({ ResourceArn: `${TOPIC}-nope` })));
    expect(missing.$metadata.httpStatusCode).toBe(404);
  });

  it('svc-codegen doctor on the mesh: drifted filter policy and removed subscription found, --repair fixes both', async () => {
    // The previous test left a drifted policy on onPaymentFailed; remove onOrderPlaced's subscription too.
    const orderTopic = 'arn:aws:sns:us-east-1:000000000000:orders-dev-placeOrder-success';
    const subs = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: orderTopic }));
    for (const s of subs.Subscriptions ?? []) {
      await sns.send(new UnsubscribeCommand({ SubscriptionArn: s.SubscriptionArn! }));
    }
    const before = await doctor();
    expect(before.code).toBe(1);
    expect(before.text).toContain('SUBSCRIPTION_DRIFT notifications:onPaymentFailed');
    expect(before.text).toContain('SUBSCRIPTION_MISSING notifications:onOrderPlaced');
    const repaired = await doctor('--repair');
    expect(repaired.code, repaired.text).toBe(0);
    expect(repaired.text).toMatch(/healthy/);
    const arn = await subscriptionArn();
    const { Attributes: a } = await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: arn }));
    expect(JSON.parse(a!['FilterPolicy']!)).toEqual({ svcmesh_type: ['failed'], svcmesh_code: ['CARD_DECLINED'] });
  });
});
