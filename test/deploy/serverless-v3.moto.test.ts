/**
 * examples/shop packaged by the real Serverless Framework v3 (`serverless package` + the plugin)
 * and deployed into moto, an AWS emulator written by other people: every stack reaches
 * CREATE_COMPLETE, roles / inline policies / records / topics / environment read back as
 * generated, the runtime discovers targets and publishes lifecycle events there, and
 * `svc-codegen doctor` finds (and repairs) what is missing, including after the publisher's stack
 * is deleted and deployed again.
 *
 * moto's CloudFormation skips AWS::SNS::Subscription: right after the deploy, doctor reports every
 * subscription missing, which is moto's gap, not the template's (the template's subscriptions are
 * checked below). `doctor --repair` then creates them through the SNS API, as it would after a
 * publisher was replaced in AWS. Lambda invocations need Docker (absent): functions are created,
 * and the runtime runs in this process against moto's endpoints instead.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { GetRoleCommand, GetRolePolicyCommand, IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
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
import { createSdk, defineFunction } from 'svc-mesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCLI } from '../../codegen/cli.js';
import { deleteStack, deployPackaged, type Moto, motoSkipReason, startMoto, type Template } from '../helpers/moto.js';
import { serverlessPackage } from '../helpers/serverless.js';

const ROOT = join(import.meta.dirname, '../..');
const SHOP = join(ROOT, 'examples/shop');
const SERVICES = ['inventory', 'ledger', 'payments', 'orders', 'notifications'] as const;
const skip = motoSkipReason('deploy tests on moto (serverless v3)');

let moto: Moto;
const out = mkdtempSync(join(tmpdir(), 'svc-deploy-v3-'));
const templates: Record<string, Template> = {};

/** `svc-codegen doctor examples/shop --stage dev --endpoint <moto> --json`: exit code and findings. */
const doctorArgs = (...extra: string[]) => doctorWith(['doctor', ...extra]);
async function doctorWith(args: string[]) {
  let text = '';
  const sink = new Writable({
    write(c, _e, cb) {
      text += c.toString();
      cb();
    },
  });
  const code = await runCLI([...args, SHOP, '--stage', 'dev', '--endpoint', moto.endpoint, '--json'], {
    stdout: sink,
    stderr: sink,
  });
  const json = JSON.parse(text.slice(text.indexOf('{\n'), text.lastIndexOf('}') + 1));
  return { code, text, findings: json.findings as { code: string; subject: string; message: string; fix: string }[] };
}

beforeAll(async () => {
  if (skip) return;
  process.env['AWS_ACCESS_KEY_ID'] ??= 'testing';
  process.env['AWS_SECRET_ACCESS_KEY'] ??= 'testing';
  const started = startMoto();
  // Two packages at a time (2 cores); each runs the plugin, which derives contracts from the handler types.
  const queue = [...SERVICES];
  await Promise.all(
    [0, 1].map(async () => {
      for (let s = queue.shift(); s !== undefined; s = queue.shift()) {
        await serverlessPackage(join(SHOP, s), join(out, s));
      }
    }),
  );
  moto = await started;
}, 240_000);
afterAll(async () => {
  await moto?.close();
  rmSync(out, { recursive: true, force: true });
});

describe.skipIf(skip)('examples/shop through serverless v3 into moto', () => {
  const aws = () => ({
    iam: new IAMClient(moto.config),
    ssm: new SSMClient(moto.config),
    sns: new SNSClient(moto.config),
    sqs: new SQSClient(moto.config),
    lambda: new LambdaClient(moto.config),
  });

  it('deploys every service (publishers first): CREATE_COMPLETE', async () => {
    for (const s of SERVICES) {
      const r = await deployPackaged(moto, join(out, s), `${s}-dev`);
      expect({ stack: r.stackName, status: r.status, reasons: r.reasons }).toEqual({
        stack: `${s}-dev`,
        status: 'CREATE_COMPLETE',
        reasons: [],
      });
      templates[s] = r.template;
    }
  }, 120_000);

  it('reads back one role per function with exactly the generated inline policy, and no shared role', async () => {
    const { iam } = aws();
    const roles = (await iam.send(new ListRolesCommand({}))).Roles ?? [];
    expect(roles.some((r) => r.RoleName?.includes('IamRoleLambdaExecution'))).toBe(false);
    const t = templates['orders']!;
    const physical = roles.find((r) => r.RoleName?.startsWith('orders-dev-PlaceOrderSvcMeshRole'));
    expect(physical, roles.map((r) => r.RoleName).join(', ')).toBeDefined();
    const role = await iam.send(new GetRoleCommand({ RoleName: physical!.RoleName! }));
    expect(decodeURIComponent(role.Role!.AssumeRolePolicyDocument!)).toContain('lambda.amazonaws.com');
    const declared = t.Resources['PlaceOrderSvcMeshRole']!.Properties!['Policies'][0];
    const got = await iam.send(
      new GetRolePolicyCommand({ RoleName: physical!.RoleName!, PolicyName: declared.PolicyName }),
    );
    // moto's CloudFormation stores an inline policy as Python's repr of the document ({'Version': …});
    // AWS returns it URL-encoded JSON. Both read back here (the policies hold no quotes of their own).
    const raw = decodeURIComponent(got.PolicyDocument!);
    const doc = JSON.parse(raw.startsWith("{'") ? raw.replaceAll("'", '"') : raw);
    // Fn::Sub resolved by moto's CloudFormation, with moto's account and region.
    const resolved = JSON.parse(
      JSON.stringify(declared.PolicyDocument).replace(/\{"Fn::Sub":"([^"]*)"\}/g, (_m, s: string) =>
        JSON.stringify(
          s
            .replaceAll('${AWS::Partition}', 'aws')
            .replaceAll('${AWS::Region}', moto.region)
            .replaceAll('${AWS::AccountId}', moto.account),
        ),
      ),
    );
    expect(doc).toEqual(resolved);
    const invoke = doc.Statement.find((s: { Sid: string }) => s.Sid === 'InvokeDeclaredTargets');
    expect(invoke.Resource).toContain(`arn:aws:lambda:us-east-1:${moto.account}:function:payments-dev-charge`);
  });

  it('reads back discovery records, topics and the SVC_MESH_* environment', async () => {
    const { ssm, sns, lambda } = aws();
    const rec = JSON.parse(
      (await ssm.send(new GetParameterCommand({ Name: '/svc-mesh/dev/payments/charge' }))).Parameter!.Value!,
    );
    const fn = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'payments-dev-charge' }));
    expect(rec).toMatchObject({
      v: 2,
      service: 'payments',
      function: 'charge',
      stage: 'dev',
      functionArn: fn.FunctionArn,
      topics: { failed: `arn:aws:sns:us-east-1:${moto.account}:payments-dev-charge-failed` },
    });
    expect(rec.contract).toMatch(/^sha256-/);
    const topics = ((await sns.send(new ListTopicsCommand({}))).Topics ?? []).map((t) => t.TopicArn!.split(':').pop());
    expect(topics.sort()).toEqual(
      [
        'orders-dev-placeOrder-failed',
        'orders-dev-placeOrder-start',
        'orders-dev-placeOrder-success',
        'payments-dev-charge-failed',
        'payments-dev-charge-start',
        'payments-dev-charge-success',
      ].sort(),
    );
    expect(fn.Environment!.Variables).toMatchObject({
      SVC_MESH_SERVICE: 'payments',
      SVC_MESH_FUNCTION: 'charge',
      SVC_MESH_STAGE: 'dev',
      SVC_MESH_CALLING: 'ledger:record',
      SVC_MESH_SUBSCRIBABLE: 'true',
      SVC_MESH_TOPICS: JSON.stringify(rec.topics),
      MAX_CHARGE_CENTS: '50000',
    });
  });

  it('the runtime resolves every declared target of orders:placeOrder from moto (SSM records)', async () => {
    const { lambda } = aws();
    const env = (await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'orders-dev-placeOrder' })))
      .Environment!.Variables!;
    const mesh = createSdk({ env, region: moto.region, endpoint: moto.endpoint, credentials: moto.config.credentials });
    for (const target of env['SVC_MESH_CALLING']!.split(',')) {
      const r = await mesh.resolve(target);
      const [svc, fnName] = target.split(':');
      expect(r).toMatchObject({
        functionArn: `arn:aws:lambda:us-east-1:${moto.account}:function:${svc}-dev-${fnName}`,
        stage: 'dev',
        source: 'ssm',
      });
      expect(r.contract).toMatch(/^sha256-/);
    }
  });

  it('a failed payments:charge publishes a CloudEvent that reaches an SQS queue through the template filter policy', async () => {
    const { sns, sqs, lambda } = aws();
    const env = (await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'payments-dev-charge' })))
      .Environment!.Variables!;
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'declined-cards' }));
    const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] })))
      .Attributes!['QueueArn']!;
    // The subscription notifications:onPaymentFailed declares, with its filter policy, from the template.
    const sub = Object.values(templates['notifications']!.Resources).find(
      (r) => r.Type === 'AWS::SNS::Subscription' && JSON.stringify(r.Properties).includes('payments-dev-charge-failed'),
    )!;
    expect(sub.Properties!['FilterPolicy']).toEqual({ svcmesh_type: ['failed'], svcmesh_code: ['CARD_DECLINED'] });
    await sns.send(
      new SubscribeCommand({
        TopicArn: JSON.parse(env['SVC_MESH_TOPICS']!).failed,
        Protocol: 'sqs',
        Endpoint: queueArn,
        Attributes: {
          FilterPolicy: JSON.stringify(sub.Properties!['FilterPolicy']),
          FilterPolicyScope: 'MessageAttributes',
        },
      }),
    );
    const mesh = createSdk({ env, region: moto.region, endpoint: moto.endpoint, credentials: moto.config.credentials });
    const charge = defineFunction(
      async (input: { orderId: string; reason: string }) => {
        throw Object.assign(new Error(`card declined for order ${input.orderId}`), {
          name: 'CardDeclinedError',
          code: input.reason,
        });
      },
      { sdk: mesh, onPublishError: 'throw' },
    );
    const ctx = { awsRequestId: 'r1', getRemainingTimeInMillis: () => 10_000, functionName: 'payments-dev-charge' };
    await expect(charge({ orderId: 'o-1', reason: 'CARD_DECLINED' }, ctx as never)).rejects.toThrow(/declined/);
    // Another code: published too, but the filter policy keeps it away from the queue.
    await expect(charge({ orderId: 'o-2', reason: 'GATEWAY_DOWN' }, ctx as never)).rejects.toThrow(/declined/);
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    expect(got.Messages).toHaveLength(1);
    const envelope = JSON.parse(got.Messages![0]!.Body!);
    expect(envelope.MessageAttributes.svcmesh_code.Value).toBe('CARD_DECLINED');
    const event = JSON.parse(envelope.Message);
    expect(event).toMatchObject({
      specversion: '1.0',
      source: expect.stringContaining('payments'),
      data: { input: { orderId: 'o-1' }, error: { code: 'CARD_DECLINED' } },
    });
    expect(event.type).toMatch(/failed/);
  });

  it("moto's CloudFormation skipped the subscriptions: doctor reports each one missing, --repair subscribes it with the template's filter policy", async () => {
    // Also a record deployed from other sources than the ones here: its contract hash differs.
    const { ssm } = aws();
    const name = '/svc-mesh/dev/payments/charge';
    const original = (await ssm.send(new GetParameterCommand({ Name: name }))).Parameter!.Value!;
    const stale = JSON.stringify({ ...JSON.parse(original), contract: 'sha256-stale' });
    await ssm.send(new PutParameterCommand({ Name: name, Value: stale, Type: 'String', Overwrite: true }));
    const before = await doctorArgs();
    await ssm.send(new PutParameterCommand({ Name: name, Value: original, Type: 'String', Overwrite: true }));
    expect(before.code).toBe(1);
    expect(before.findings.map((f) => `${f.code} ${f.subject}`).sort()).toEqual([
      'CONTRACT_DRIFT payments:charge',
      'SUBSCRIPTION_MISSING notifications:onOrderPlaced',
      'SUBSCRIPTION_MISSING notifications:onPaymentFailed',
    ]);
    expect(before.findings.find((f) => f.code === 'CONTRACT_DRIFT')!.message).toContain('sha256-stale');
    expect(before.findings.find((f) => f.code === 'SUBSCRIPTION_MISSING')!.fix).toMatch(
      /svc-codegen doctor .* --repair$/,
    );
    const repaired = await doctorArgs('--repair', '--no-types');
    expect(repaired.code).toBe(0);
    expect(repaired.findings).toEqual([]);
    const { sns } = aws();
    const topic = `arn:aws:sns:us-east-1:${moto.account}:payments-dev-charge-failed`;
    const subs = (await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topic }))).Subscriptions!.filter(
      (s) => s.Protocol === 'lambda',
    );
    expect(subs.map((s) => s.Endpoint)).toEqual([
      `arn:aws:lambda:us-east-1:${moto.account}:function:notifications-dev-onPaymentFailed`,
    ]);
    const attrs = (await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: subs[0]!.SubscriptionArn })))
      .Attributes!;
    const templateSub = Object.values(templates['notifications']!.Resources).find(
      (r) => r.Type === 'AWS::SNS::Subscription' && JSON.stringify(r.Properties).includes('payments-dev-charge-failed'),
    )!;
    expect(JSON.parse(attrs['FilterPolicy']!)).toEqual(templateSub.Properties!['FilterPolicy']);
  }, 60_000);

  it('publisher deleted: doctor names it (records, topics, targets); redeployed: its subscriptions are gone until --repair', async () => {
    expect((await deleteStack(moto, 'payments-dev')).status).toMatch(/DELETE_COMPLETE/);
    const gone = await doctorArgs('--no-types');
    expect(gone.code).toBe(1);
    const codes = gone.findings.map((f) => `${f.code} ${f.subject}`);
    expect(codes).toContain('RECORD_MISSING payments:charge');
    expect(codes).toContain('TARGET_MISSING orders:placeOrder');
    expect(codes).toContain('PUBLISHER_MISSING notifications:onPaymentFailed');
    const pub = gone.findings.find((f) => f.code === 'PUBLISHER_MISSING')!;
    expect(pub.fix).toMatch(/serverless deploy --stage dev\), then svc-codegen doctor .* --repair/);

    const again = await deployPackaged(moto, join(out, 'payments'), 'payments-dev');
    expect(again.status).toBe('CREATE_COMPLETE');
    const after = await doctorArgs('--no-types');
    expect(after.findings.map((f) => `${f.code} ${f.subject}`)).toEqual([
      'SUBSCRIPTION_MISSING notifications:onPaymentFailed',
    ]);
    expect((await doctorArgs('--repair', '--no-types')).code).toBe(0);
  }, 90_000);
});
