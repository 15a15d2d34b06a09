/**
 * examples/cdk-shop synthesized by the real `cdk synth` (aws-cdk CLI, offline) and deployed into
 * moto, an AWS emulator written by other people, the way `cdk deploy` would on a bootstrapped
 * account: the bootstrap version parameter and assets bucket are created, every file asset (the
 * esbuild-bundled handlers) is zipped and uploaded to its object key, and each stack is created
 * with one CreateStack, **subscriber first** (notifications before its publishers orders and
 * payments). Then: roles, inline policies, discovery records (v2), topics and SVC_MESH_*
 * environment read back equal to what svc-codegen generates for the same functions declared in
 * serverless.yml (examples/shop); the runtime resolves its targets from moto's SSM and publishes
 * lifecycle events that reach an SQS queue; `svc-codegen doctor cdk.out` names the missing
 * publishers with a `cdk deploy` command and `--repair` subscribes the subscribers.
 *
 * moto's limits (docs/deploy.md): its CloudFormation skips AWS::SNS::Subscription (so the
 * subscriber-first stack reaches CREATE_COMPLETE here, where AWS would fail and roll it back: the
 * CDK path has no pre-deploy check), runs no Lambda code (the runtime runs in this process
 * against moto), and does not evaluate IAM.
 */
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetRolePolicyCommand, IAMClient, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  GetSubscriptionAttributesCommand,
  ListSubscriptionsByTopicCommand,
  ListTopicsCommand,
  SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createSdk, defineFunction } from 'svc-mesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCLI } from '../../codegen/cli.js';
import { generate } from '../../codegen/index.js';
import { loadProject } from '../../codegen/load/loadProject.js';
import { createStack, deleteStack, type Moto, motoSkipReason, startMoto, type Template } from '../helpers/moto.js';

const ROOT = join(import.meta.dirname, '../..');
const APP = join(ROOT, 'examples/cdk-shop');
const SHOP = join(ROOT, 'examples/shop');
const CDK = join(ROOT, 'node_modules/aws-cdk/bin/cdk');
const skip = motoSkipReason('deploy tests on moto (CDK)');
const tmp = mkdtempSync(join(tmpdir(), 'svc-deploy-cdk-'));
// An app directory (cdk.json) holding the assembly, as `cdk synth` leaves it: doctor's fixes cd there.
const appDir = join(tmp, 'app');
const out = join(appDir, 'cdk.out');
const STACKS = { orders: 'shop-orders-dev', payments: 'shop-payments-dev', notifications: 'shop-notifications-dev' };

let moto: Moto;
type Tpl = Template & {
  Resources: Record<string, { Type: string; Properties: Record<string, any> }>;
  Parameters?: Record<string, { Type: string; Default?: string }>;
};
const templates: Record<string, Tpl> = {};
/** What svc-codegen generates for examples/shop (serverless.yml): the fragment the plugin merges. */
let fragments: Record<string, Tpl>;

beforeAll(async () => {
  if (skip) return;
  const started = startMoto();
  const env = {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'x',
    AWS_SECRET_ACCESS_KEY: 'y',
    AWS_REGION: 'us-east-1',
    CDK_DISABLE_VERSION_CHECK: '1',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
  };
  mkdirSync(appDir);
  copyFileSync(join(APP, 'cdk.json'), join(appDir, 'cdk.json'));
  await promisify(execFile)(process.execPath, [CDK, 'synth', '--no-notices', '--quiet', '--output', out], {
    cwd: APP,
    env,
    timeout: 240_000,
  });
  for (const [s, stack] of Object.entries(STACKS)) {
    templates[s] = JSON.parse(readFileSync(join(out, `${stack}.template.json`), 'utf8'));
  }
  const project = await loadProject([SHOP], { stage: 'dev', region: 'us-east-1', contracts: true });
  fragments = generate(project).cloudformation as unknown as Record<string, Tpl>;
  moto = await started;
}, 240_000);
afterAll(async () => {
  await moto?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** What `cdk bootstrap` leaves in an account and `cdk deploy` needs: the version parameter and the assets bucket. */
async function bootstrap(): Promise<string> {
  const bucket = `cdk-hnb659fds-assets-${moto.account}-${moto.region}`;
  const ssm = new SSMClient(moto.config);
  const s3 = new S3Client(moto.config);
  try {
    await ssm.send(new PutParameterCommand({ Name: '/cdk-bootstrap/hnb659fds/version', Value: '28', Type: 'String' }));
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } finally {
    ssm.destroy();
    s3.destroy();
  }
  return bucket;
}

/** `cdk deploy` of one stack: its zip assets uploaded (as cdk-assets would), then one CreateStack. */
async function cdkDeploy(stack: string) {
  const assets = JSON.parse(readFileSync(join(out, `${stack}.assets.json`), 'utf8')) as {
    files: Record<string, { source: { path: string; packaging: string }; destinations: Record<string, any> }>;
  };
  const s3 = new S3Client(moto.config);
  try {
    for (const a of Object.values(assets.files)) {
      if (a.source.packaging !== 'zip') continue; // the template itself goes to CreateStack below
      const dir = join(out, a.source.path);
      const zip = join(tmp, `${a.source.path}.zip`);
      execFileSync('python3', ['-m', 'zipfile', '-c', zip, ...readdirSync(dir)], { cwd: dir });
      for (const d of Object.values(a.destinations)) {
        const bucket = String(d.bucketName)
          .replace('${AWS::AccountId}', moto.account)
          .replace('${AWS::Region}', moto.region);
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: d.objectKey, Body: readFileSync(zip) }));
      }
    }
  } finally {
    s3.destroy();
  }
  return createStack(moto, stack, JSON.parse(readFileSync(join(out, `${stack}.template.json`), 'utf8')));
}

async function cdkDescribe(stack: string) {
  const cfn = new CloudFormationClient(moto.config);
  try {
    return await cfn.send(new DescribeStacksCommand({ StackName: stack }));
  } finally {
    cfn.destroy();
  }
}

/** `svc-codegen doctor <cdk.out> --stage <stage> --endpoint <moto> --json`. */
const doctor = (...extra: string[]) => doctorStage('dev', ...extra);
async function doctorStage(stage: string, ...extra: string[]) {
  let text = '';
  const sink = new Writable({
    write(c, _e, cb) {
      text += c.toString();
      cb();
    },
  });
  const code = await runCLI(['doctor', out, '--stage', stage, '--endpoint', moto.endpoint, '--json', ...extra], {
    stdout: sink,
    stderr: sink,
  });
  const json = JSON.parse(text.slice(text.indexOf('{\n'), text.lastIndexOf('}') + 1));
  return { code, text, findings: json.findings as { code: string; subject: string; message: string; fix: string }[] };
}
const codes = (fs: { code: string; subject: string }[]) => fs.map((f) => `${f.code} ${f.subject}`).sort();
/** inventory and ledger stay in serverless.yml (references of the CDK app) and are not deployed here. */
const REFERENCES_NOT_DEPLOYED = [
  'TARGET_MISSING orders:placeOrder',
  'TARGET_MISSING orders:placeOrder',
  'TARGET_MISSING payments:charge',
];

/** Fn::Sub of codegen's pseudo parameters as moto resolves them. */
const resolved = (v: unknown) =>
  JSON.parse(
    JSON.stringify(v).replace(/\{"Fn::Sub":"((?:[^"\\]|\\.)*)"\}/g, (_m, s: string) =>
      JSON.stringify(
        JSON.parse(`"${s}"`)
          .replaceAll('${AWS::Partition}', 'aws')
          .replaceAll('${AWS::Region}', moto.region)
          .replaceAll('${AWS::AccountId}', moto.account),
      ),
    ),
  );

describe.skipIf(skip)('examples/cdk-shop (cdk synth) into moto, subscriber first', () => {
  const aws = () => ({
    iam: new IAMClient(moto.config),
    ssm: new SSMClient(moto.config),
    sns: new SNSClient(moto.config),
    sqs: new SQSClient(moto.config),
    lambda: new LambdaClient(moto.config),
  });

  it('one Lambda function per declared function in each synthesized stack (no code-less fragment entry)', () => {
    const fns = (t: Tpl) =>
      Object.values(t.Resources)
        .filter((r) => r.Type === 'AWS::Lambda::Function')
        .map((r) => [r.Properties['FunctionName'], r.Properties['Code']?.S3Key !== undefined]);
    expect(fns(templates['orders']!)).toEqual([['orders-dev-placeOrder', true]]);
    expect(fns(templates['notifications']!).sort()).toEqual([
      ['notifications-dev-onOrderPlaced', true],
      ['notifications-dev-onPaymentFailed', true],
    ]);
  });

  it('subscriber first: `cdk deploy` orders the stacks, and CloudFormation refuses the subscriber before creating anything while a publisher is missing', async () => {
    // Within one app: the subscriber's stack depends on its publishers' (cdk deploy deploys them first).
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.artifacts[STACKS.notifications].dependencies).toEqual(
      expect.arrayContaining([STACKS.orders, STACKS.payments]),
    );
    expect(manifest.artifacts[STACKS.payments].dependencies).not.toContain(STACKS.orders);
    // Deployed on its own anyway (cdk deploy --exclusively, or CloudFormation directly): one
    // AWS::SSM::Parameter::Value parameter per publisher's discovery record, resolved first.
    expect(templates['notifications']!.Parameters).toMatchObject({
      SvcMeshPublisherpaymentschargeRecord: {
        Type: 'AWS::SSM::Parameter::Value<String>',
        Default: '/svc-mesh/dev/payments/charge',
      },
      SvcMeshPublisherordersplaceOrderRecord: { Default: '/svc-mesh/dev/orders/placeOrder' },
    });
    expect(templates['orders']!.Parameters).not.toHaveProperty('SvcMeshPublisherpaymentschargeRecord');
    await bootstrap();
    const { lambda, ssm } = aws();
    const nothingCreated = async () => {
      await expect(
        lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'notifications-dev-onPaymentFailed' })),
      ).rejects.toThrow();
      await expect(
        ssm.send(new GetParameterCommand({ Name: '/svc-mesh/dev/notifications/onPaymentFailed' })),
      ).rejects.toThrow();
      await expect(cdkDescribe(STACKS.notifications)).rejects.toThrow(/does not exist/);
    };
    // AWS answers ValidationError "Unable to fetch parameters [/svc-mesh/dev/payments/charge] from
    // parameter store for this account.";
    // moto answers 500 (ParameterNotFound inside its CloudFormation). Either way: no stack.
    await expect(cdkDeploy(STACKS.notifications)).rejects.toThrow();
    await nothingCreated();
    expect((await cdkDeploy(STACKS.payments)).status).toBe('CREATE_COMPLETE');
    // orders:placeOrder still missing: still refused.
    await expect(cdkDeploy(STACKS.notifications)).rejects.toThrow();
    await nothingCreated();
  }, 60_000);

  it('the publishers deployed: the subscriber reaches CREATE_COMPLETE, and doctor --repair subscribes with the declared filter policies', async () => {
    expect((await cdkDeploy(STACKS.orders)).status).toBe('CREATE_COMPLETE');
    const r = await cdkDeploy(STACKS.notifications);
    expect({ status: r.status, reasons: r.reasons }).toEqual({ status: 'CREATE_COMPLETE', reasons: [] });
    // moto's CloudFormation skipped the AWS::SNS::Subscription resources (AWS creates them):
    const before = await doctor('--no-types');
    expect(codes(before.findings)).toEqual([
      'SUBSCRIPTION_MISSING notifications:onOrderPlaced',
      'SUBSCRIPTION_MISSING notifications:onPaymentFailed',
      ...REFERENCES_NOT_DEPLOYED,
    ]);
    const ledger = before.findings.find((f) => f.code === 'TARGET_MISSING' && f.subject === 'payments:charge')!;
    expect(ledger.message).toContain('calls ledger:record');
    expect(ledger.fix).toBe(`(cd ${join(SHOP, 'ledger')} && serverless deploy --stage dev)`);
    const after = await doctor('--repair', '--no-types');
    expect(codes(after.findings), after.text).toEqual(REFERENCES_NOT_DEPLOYED);
    const { sns } = aws();
    const topic = `arn:aws:sns:us-east-1:${moto.account}:payments-dev-charge-failed`;
    const subs = (await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topic }))).Subscriptions!;
    expect(subs.map((s) => s.Endpoint)).toEqual([
      `arn:aws:lambda:us-east-1:${moto.account}:function:notifications-dev-onPaymentFailed`,
    ]);
    const attrs = (await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: subs[0]!.SubscriptionArn })))
      .Attributes!;
    const declared = Object.values(templates['notifications']!.Resources).find(
      (r) => r.Type === 'AWS::SNS::Subscription' && JSON.stringify(r.Properties).includes('payments-dev-charge-failed'),
    )!;
    expect(JSON.parse(attrs['FilterPolicy']!)).toEqual(declared.Properties['FilterPolicy']);
    expect(declared.Properties['FilterPolicy']).toEqual({ svcmesh_type: ['failed'], svcmesh_code: ['CARD_DECLINED'] });
  }, 90_000);

  it.each([
    ['orders', 'placeOrder', 'PlaceOrder'],
    ['payments', 'charge', 'Charge'],
    ['notifications', 'onPaymentFailed', 'OnPaymentFailed'],
  ])(
    '%s:%s reads back from moto as svc-codegen generates it for serverless.yml (role policy, record, topics, environment)',
    async (service, key, logical) => {
      const { iam, ssm, sns, lambda } = aws();
      const fragment = fragments[service]!;
      const fn = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: `${service}-dev-${key}` }));
      // The role: exactly svc-mesh's inline policy, as codegen writes it for serverless.yml.
      const roleName = fn.Role!.split('/').pop()!;
      const expected = fragment.Resources[`${logical}SvcMeshRole`]!.Properties['Policies'] as {
        PolicyName: string;
        PolicyDocument: unknown;
      }[];
      expect((await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames).toEqual(
        expected.map((p) => p.PolicyName),
      );
      for (const p of expected) {
        const got = await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: p.PolicyName }));
        // moto stores a CloudFormation inline policy as Python's repr; AWS returns URL-encoded JSON.
        const raw = decodeURIComponent(got.PolicyDocument!);
        expect(JSON.parse(raw.startsWith("{'") ? raw.replaceAll("'", '"') : raw)).toEqual(resolved(p.PolicyDocument));
      }
      // The record (v2: service, function, stage identity), with the same contract hash.
      const name = `/svc-mesh/dev/${service}/${key}`;
      const rec = JSON.parse((await ssm.send(new GetParameterCommand({ Name: name }))).Parameter!.Value!);
      const param = Object.values(fragment.Resources).find(
        (r) => r.Type === 'AWS::SSM::Parameter' && r.Properties['Name'] === name,
      )!;
      expect(rec).toEqual(JSON.parse(resolved(param.Properties['Value'])));
      expect(rec).toMatchObject({ v: 2, service, function: key, stage: 'dev', functionArn: fn.FunctionArn });
      expect(rec.contract).toMatch(/^sha256-/);
      // Topics of this function, by name.
      const topics = ((await sns.send(new ListTopicsCommand({}))).Topics ?? [])
        .map((t) => t.TopicArn!.split(':').pop()!)
        .filter((t) => t.startsWith(`${service}-dev-${key}-`));
      const declaredTopics = Object.values(fragment.Resources)
        .filter((r) => r.Type === 'AWS::SNS::Topic')
        .map((r) => r.Properties['TopicName'] as string);
      expect(topics.sort()).toEqual(declaredTopics.sort());
      // The SVC_MESH_* environment, and the function's own variables next to it.
      const meshEnv = (vars: Record<string, unknown>) =>
        Object.fromEntries(Object.entries(vars).filter(([k]) => k.startsWith('SVC_MESH_')));
      expect(meshEnv(fn.Environment!.Variables!)).toEqual(
        meshEnv(resolved(fragment.Resources[`${logical}LambdaFunction`]!.Properties['Environment'].Variables)),
      );
      expect(fn.Environment!.Variables!['SHOP_STAGE'] ?? fn.Environment!.Variables!['FROM_ADDRESS']).toMatch(/dev/);
    },
  );

  it('the runtime resolves orders:placeOrder and payments:charge from moto, and inventory (serverless.yml, not deployed) is not found', async () => {
    const { lambda } = aws();
    const env = (await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'orders-dev-placeOrder' })))
      .Environment!.Variables!;
    const mesh = createSdk({ env, region: moto.region, endpoint: moto.endpoint, credentials: moto.config.credentials });
    expect(await mesh.resolve('payments:charge')).toMatchObject({
      functionArn: `arn:aws:lambda:us-east-1:${moto.account}:function:payments-dev-charge`,
      stage: 'dev',
      source: 'ssm',
      contract: expect.stringMatching(/^sha256-/),
    });
    await expect(mesh.resolve('inventory:reserve')).rejects.toMatchObject({ code: 'TARGET_NOT_FOUND' });
    const notificationsEnv = (
      await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'notifications-dev-onOrderPlaced' }))
    ).Environment!.Variables!;
    const other = createSdk({
      env: { ...notificationsEnv, SVC_MESH_CALLING: 'orders:placeOrder' },
      region: moto.region,
      endpoint: moto.endpoint,
      credentials: moto.config.credentials,
    });
    expect(await other.resolve('orders:placeOrder')).toMatchObject({
      functionArn: `arn:aws:lambda:us-east-1:${moto.account}:function:orders-dev-placeOrder`,
      source: 'ssm',
      topics: { success: `arn:aws:sns:us-east-1:${moto.account}:orders-dev-placeOrder-success` },
    });
  });

  it('lifecycle publishing on moto: a declined charge reaches an SQS queue through the declared filter policy, another code does not', async () => {
    const { sns, sqs, lambda } = aws();
    const queue = async (name: string, topicArn: string, filterPolicy?: unknown) => {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
      const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] })))
        .Attributes!['QueueArn']!;
      const Attributes: Record<string, string> =
        filterPolicy === undefined
          ? {}
          : { FilterPolicy: JSON.stringify(filterPolicy), FilterPolicyScope: 'MessageAttributes' };
      await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn, Attributes }));
      return async () =>
        (await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 })))
          .Messages ?? [];
    };
    const declared = (topic: string) =>
      Object.values(templates['notifications']!.Resources).find(
        (r) => r.Type === 'AWS::SNS::Subscription' && JSON.stringify(r.Properties).includes(topic),
      )!.Properties['FilterPolicy'];
    const envOf = async (name: string) =>
      (await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }))).Environment!.Variables!;
    const sdkFor = (env: Record<string, string>) =>
      createSdk({ env, region: moto.region, endpoint: moto.endpoint, credentials: moto.config.credentials });
    const ctx = (fn: string) => ({ awsRequestId: 'r1', getRemainingTimeInMillis: () => 10_000, functionName: fn });

    // payments:charge failed → notifications:onPaymentFailed's policy (failed + CARD_DECLINED).
    const payEnv = await envOf('payments-dev-charge');
    const declined = await queue(
      'declined-cards',
      JSON.parse(payEnv['SVC_MESH_TOPICS']!).failed,
      declared('payments-dev-charge-failed'),
    );
    const charge = defineFunction(
      async (input: { orderId: string; reason: string }) => {
        throw Object.assign(new Error(`card declined for order ${input.orderId}`), {
          name: 'CardDeclinedError',
          code: input.reason,
        });
      },
      { sdk: sdkFor(payEnv), onPublishError: 'throw' },
    );
    await expect(
      charge({ orderId: 'o-1', reason: 'CARD_DECLINED' }, ctx('payments-dev-charge') as never),
    ).rejects.toThrow();
    await expect(
      charge({ orderId: 'o-2', reason: 'GATEWAY_DOWN' }, ctx('payments-dev-charge') as never),
    ).rejects.toThrow();
    const got = await declined();
    expect(got).toHaveLength(1);
    const event = JSON.parse(JSON.parse(got[0]!.Body!).Message);
    expect(event).toMatchObject({
      specversion: '1.0',
      source: expect.stringContaining('payments'),
      data: { input: { orderId: 'o-1' }, error: { code: 'CARD_DECLINED' } },
    });
    expect(event.type).toMatch(/failed/);

    // orders:placeOrder success: published to the CDK stack's topic. notifications:onOrderPlaced
    // filters on traceparent, which an untraced invocation does not carry: that queue stays empty.
    const ordEnv = await envOf('orders-dev-placeOrder');
    const success = JSON.parse(ordEnv['SVC_MESH_TOPICS']!).success;
    const all = await queue('orders-all', success);
    const traced = await queue('orders-traced', success, declared('orders-dev-placeOrder-success'));
    const placeOrder = defineFunction(
      async (input: { orderId: string }) => ({ orderId: input.orderId, placed: true }),
      {
        sdk: sdkFor(ordEnv),
        onPublishError: 'throw',
      },
    );
    await placeOrder({ orderId: 'o-3' }, ctx('orders-dev-placeOrder') as never);
    const placed = await all();
    expect(placed).toHaveLength(1);
    expect(JSON.parse(JSON.parse(placed[0]!.Body!).Message)).toMatchObject({
      type: expect.stringMatching(/success/),
      data: { input: { orderId: 'o-3' } },
    });
    expect(await traced()).toEqual([]);
  });

  it('publisher stack deleted and deployed again: its subscriptions are gone until doctor --repair', async () => {
    expect((await deleteStack(moto, STACKS.payments)).status).toMatch(/DELETE_COMPLETE/);
    const gone = await doctor('--no-types');
    expect(codes(gone.findings)).toContain('PUBLISHER_MISSING notifications:onPaymentFailed');
    expect(codes(gone.findings)).toContain('RECORD_MISSING payments:charge');
    const pay = gone.findings.find((f) => f.code === 'PUBLISHER_MISSING')!;
    expect(pay.message).toContain('payments-dev-charge-failed');
    // The assembly as synthesized, deployed from the app directory.
    expect(
      pay.fix.startsWith(`(cd ${appDir} && npx cdk deploy --app cdk.out shop-payments-dev), then svc-codegen doctor `),
      pay.fix,
    ).toBe(true);
    expect(pay.fix).toMatch(/ --stage dev --endpoint http:\/\/127\.0\.0\.1:\d+ --repair$/);
    expect((await cdkDeploy(STACKS.payments)).status).toBe('CREATE_COMPLETE');
    expect(codes((await doctor('--no-types')).findings)).toEqual([
      'SUBSCRIPTION_MISSING notifications:onPaymentFailed',
      ...REFERENCES_NOT_DEPLOYED,
    ]);
    expect(codes((await doctor('--repair', '--no-types')).findings)).toEqual(REFERENCES_NOT_DEPLOYED);
    // Another stage than the assembly's: no cdk deploy of the wrong stacks, but what to synthesize.
    const alice = await doctorStage('alice', '--no-types');
    const rec = alice.findings.find((f) => f.code === 'RECORD_MISSING' && f.subject === 'payments:charge')!;
    expect(rec.fix).toBe(
      `synthesize the CDK app in ${appDir} for stage alice (${join(out, 'svc-mesh.json')} is for stage dev), then deploy the stacks of service payments`,
    );
  }, 60_000);
});
