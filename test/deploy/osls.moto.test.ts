/**
 * The plugin under osls 4.x (the open-source Serverless Framework 4 fork), with the real `osls`
 * CLI: `osls deploy` of examples/shop into moto (osls talks to moto through AWS_ENDPOINT_URL), in
 * the wrong order first. The subscriber is refused before CloudFormation is called, naming the
 * publishers and the commands to run; after the publishers it deploys. And v4's
 * `provider.iam.role.mode: perFunction` is refused with a clear message.
 *
 * osls deploys the way the framework does (CreateStack with the bucket, upload, UpdateStack), so
 * moto's exports-only-on-CreateStack gap would hide exports: the shop uses SSM records only.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate, loadProject } from '../../codegen/index.js';
import { type Moto, motoSkipReason, startMoto } from '../helpers/moto.js';
import { osls } from '../helpers/osls.js';

const ROOT = join(import.meta.dirname, '../..');
const SHOP = join(ROOT, 'examples/shop');
const skip = motoSkipReason('deploy tests on moto (osls)');
let moto: Moto;

beforeAll(async () => {
  if (!skip) moto = await startMoto();
}, 60_000);
afterAll(async () => {
  await moto?.close();
  // What `osls deploy` leaves in the service directories (git-ignored build output).
  for (const s of ['payments', 'orders', 'notifications'])
    rmSync(join(SHOP, s, '.serverless'), { recursive: true, force: true });
});

const deploy = (service: string, stage = 'dev') =>
  osls(join(SHOP, service), ['deploy', '--stage', stage], { AWS_ENDPOINT_URL: moto.endpoint });

async function stackStatus(name: string): Promise<string> {
  const cfn = new CloudFormationClient(moto.config);
  try {
    const r = await cfn.send(new DescribeStacksCommand({ StackName: name }));
    return r.Stacks?.[0]?.StackStatus ?? 'NONE';
  } catch (err) {
    if (/does not exist/.test((err as Error).message)) return 'NONE';
    throw err;
  } finally {
    cfn.destroy();
  }
}

describe.skipIf(skip)('examples/shop through osls 4.x into moto, in any order', () => {
  it('refuses the subscriber before its publishers exist, naming them and the commands; nothing is created', async () => {
    const r = await deploy('notifications');
    expect(r.code).not.toBe(0);
    expect(r.output).toContain('svc-mesh: not deploying notifications to stage dev');
    expect(r.output).toContain(
      `notifications:onPaymentFailed subscribes to payments:charge (failed): topic arn:aws:sns:us-east-1:${moto.account}:payments-dev-charge-failed does not exist`,
    );
    expect(r.output).toContain('notifications:onOrderPlaced subscribes to orders:placeOrder (success)');
    expect(r.output).toContain('(cd ../payments && serverless deploy --stage dev)');
    expect(r.output).toContain('(cd ../orders && serverless deploy --stage dev)');
    expect(await stackStatus('notifications-dev')).toBe('NONE');
  }, 180_000);

  it('deploys once the publishers are there: records, environment, one role per function', async () => {
    const pubs = await Promise.all([deploy('payments'), deploy('orders')]);
    for (const p of pubs) expect(p.output).toMatch(/Service deployed to stack/);
    const r = await deploy('notifications');
    expect(r.output).toMatch(/Service deployed to stack notifications-dev/);
    expect(await stackStatus('notifications-dev')).toMatch(/^(CREATE|UPDATE)_COMPLETE$/);

    // What osls compiled (with the plugin) is what was deployed.
    const compiled = join(SHOP, 'notifications/.serverless/cloudformation-template-update-stack.json');
    expect(existsSync(compiled)).toBe(true);
    const t = JSON.parse(readFileSync(compiled, 'utf8'));
    expect(t.Resources['IamRoleLambdaExecution']).toBeUndefined();
    expect(t.Resources['OnPaymentFailedSvcMeshRole'].Type).toBe('AWS::IAM::Role');
    expect(t.Resources['OnPaymentFailedSvcMeshOnPaymentsChargeFailedSubscription'].Properties.FilterPolicy).toEqual({
      svcmesh_type: ['failed'],
      svcmesh_code: ['CARD_DECLINED'],
    });

    // Every resource of svc-codegen's fragment is in osls's template as generated (one model, any CLI).
    const project = await loadProject([join(SHOP, 'notifications')], {
      stage: 'dev',
      region: 'us-east-1',
      referencePaths: [join(SHOP, 'payments'), join(SHOP, 'orders')],
      unknownServices: 'warning',
      lenientEnvironment: true,
      contracts: true,
    });
    const fragment = generate(project).cloudformation['notifications'] as {
      Resources: Record<string, { Type: string; Properties: Record<string, any> }>;
    };
    for (const [id, r] of Object.entries(fragment.Resources)) {
      if (r.Type === 'AWS::Lambda::Function') {
        expect(t.Resources[id].Properties.Role).toEqual(r.Properties['Role']);
        expect(t.Resources[id].Properties.Environment.Variables).toMatchObject(r.Properties['Environment'].Variables);
      } else expect(t.Resources[id], id).toEqual(r);
    }

    const lambda = new LambdaClient(moto.config);
    const ssm = new SSMClient(moto.config);
    try {
      const fn = await lambda.send(
        new GetFunctionConfigurationCommand({ FunctionName: 'notifications-dev-onPaymentFailed' }),
      );
      expect(fn.Role).toMatch(/OnPaymentFailedSvcMeshRole/);
      expect(fn.Environment!.Variables).toMatchObject({
        SVC_MESH_SERVICE: 'notifications',
        SVC_MESH_FUNCTION: 'onPaymentFailed',
        SVC_MESH_STAGE: 'dev',
        FROM_ADDRESS: 'shop-dev@example.com',
      });
      const rec = await ssm.send(new GetParameterCommand({ Name: '/svc-mesh/dev/notifications/onPaymentFailed' }));
      expect(JSON.parse(rec.Parameter!.Value!).functionArn).toBe(fn.FunctionArn);
    } finally {
      lambda.destroy();
      ssm.destroy();
    }
  }, 300_000);
});

describe("Serverless Framework v4's provider.iam.role.mode: perFunction", () => {
  it('is refused at package time with the reason and the fix (osls package)', async () => {
    const r = await osls(join(ROOT, 'test/fixtures/deploy/per-function'), [
      'package',
      '--stage',
      'dev',
      '--package',
      mkdtempSync(join(tmpdir(), 'svc-perfn-')),
    ]);
    expect(r.code).not.toBe(0);
    expect(r.output).toContain('provider.iam.role.mode is "perFunction"');
    expect(r.output).toContain("Remove 'mode'");
  }, 120_000);
});
