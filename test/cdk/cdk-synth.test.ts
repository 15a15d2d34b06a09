/**
 * The real `cdk synth` (aws-cdk CLI, this checkout's devDependency) on examples/cdk-shop, offline
 * with dummy credentials: bundles the shop's handlers with esbuild, writes the templates and
 * svc-mesh.json; then `svc-codegen <cdk.out>` derives contracts and typed clients from it. A
 * second, failing synth shows a bad fallback stage refused before anything is written.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCLI } from '../../codegen/cli.js';
import { type Packaged, serverlessPackage } from '../helpers/serverless.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');
const APP = join(ROOT, 'examples/cdk-shop');
const CDK = join(ROOT, 'node_modules/aws-cdk/bin/cdk');
const tmp = mkdtempSync(join(tmpdir(), 'svc-cdk-synth-'));
const out = join(tmp, 'cdk.out');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const ENV = {
  ...process.env,
  AWS_ACCESS_KEY_ID: 'x',
  AWS_SECRET_ACCESS_KEY: 'y',
  AWS_REGION: 'us-east-1',
  CDK_DISABLE_VERSION_CHECK: '1',
  CDK_DISABLE_CLI_TELEMETRY: 'true',
};

function synth(outdir: string, ...args: string[]) {
  return run(process.execPath, [CDK, 'synth', '--no-notices', '--quiet', '--output', outdir, ...args], {
    cwd: APP,
    env: ENV,
    timeout: 240_000,
  });
}

let output = '';
let sls: Packaged;
beforeAll(async () => {
  // orders through the real `serverless package` + plugin, in parallel (construct.test.ts
  // compares every shop function with codegen's fragment, which is what the plugin merges).
  const [r, orders] = await Promise.all([
    synth(out),
    serverlessPackage(join(ROOT, 'examples/shop/orders'), join(tmp, 'sls-orders')),
  ]);
  output = r.stdout + r.stderr;
  sls = orders;
}, 240_000);

type Tpl = { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };
const template = (name: string): Tpl => JSON.parse(readFileSync(join(out, `${name}.template.json`), 'utf8'));

describe('cdk synth (real CLI) on examples/cdk-shop', () => {
  it('synthesizes the three stacks with bundled handlers and the svc-mesh wiring', () => {
    expect(output).toMatch(/Successfully synthesized/);
    const files = readdirSync(out);
    expect(files.filter((f) => f.endsWith('.template.json')).sort()).toEqual([
      'shop-notifications-dev.template.json',
      'shop-orders-dev.template.json',
      'shop-payments-dev.template.json',
    ]);
    // esbuild bundled the real handler (and svc-mesh's runtime with it).
    const assets = files.filter((f) => f.startsWith('asset.'));
    expect(assets.length).toBeGreaterThan(0);
    expect(readFileSync(join(out, assets[0]!, 'index.js'), 'utf8')).toMatch(/SVC_MESH_/);

    const orders = template('shop-orders-dev');
    const fn = Object.values(orders.Resources).find((r) => r.Type === 'AWS::Lambda::Function')!;
    expect(fn.Properties['FunctionName']).toBe('orders-dev-placeOrder');
    expect(fn.Properties['Environment'].Variables).toMatchObject({
      SVC_MESH_CALLING: 'inventory:reserve,inventory:release,payments:charge',
      SHOP_STAGE: 'dev',
    });
    const types = (t: Tpl) =>
      Object.values(t.Resources)
        .map((r) => r.Type)
        .filter((x) => !x.startsWith('AWS::CDK'))
        .sort();
    expect(types(orders)).toEqual([
      'AWS::IAM::Role',
      'AWS::Lambda::Function',
      'AWS::SNS::Topic',
      'AWS::SNS::Topic',
      'AWS::SNS::Topic',
      'AWS::SSM::Parameter',
    ]);
    expect(types(template('shop-notifications-dev')).filter((x) => /Subscription|Permission/.test(x))).toEqual([
      'AWS::Lambda::Permission',
      'AWS::Lambda::Permission',
      'AWS::SNS::Subscription',
      'AWS::SNS::Subscription',
    ]);
    expect(existsSync(join(out, 'svc-mesh.json'))).toBe(true);
  });

  it.each([['orders', 'placeOrder']])(
    '%s:%s: the same role policy, environment and record as `serverless package` with the plugin',
    (service, key) => {
      const p = sls;
      const resources = (t: Tpl) => Object.values(t.Resources);
      const cdk = template(`shop-${service}-dev`);
      const fnOf = (t: Tpl) =>
        resources(t).find(
          (r) => r.Type === 'AWS::Lambda::Function' && r.Properties['FunctionName'] === `${service}-dev-${key}`,
        )!;
      const roleOf = (t: Tpl) => t.Resources[fnOf(t).Properties['Role']['Fn::GetAtt'][0]]!;
      expect(roleOf(cdk).Properties['Policies']).toEqual(roleOf(p.template as Tpl).Properties['Policies']);
      expect(roleOf(cdk).Properties['ManagedPolicyArns']).toEqual(
        roleOf(p.template as Tpl).Properties['ManagedPolicyArns'],
      );
      const meshEnv = (t: Tpl) =>
        Object.fromEntries(
          Object.entries(fnOf(t).Properties['Environment'].Variables).filter(([k]) => k.startsWith('SVC_MESH_')),
        );
      expect(meshEnv(cdk)).toEqual(meshEnv(p.template as Tpl));
      const records = (t: Tpl) =>
        resources(t)
          .filter((r) => r.Type === 'AWS::SSM::Parameter')
          .map((r) => r.Properties);
      // With the contract hash: both sides derive it from the same handler types.
      expect(records(cdk)).toEqual(records(p.template as Tpl));
      expect(JSON.stringify(records(cdk))).toContain('sha256-');
      const topics = (t: Tpl) =>
        resources(t)
          .filter((r) => r.Type === 'AWS::SNS::Topic')
          .map((r) => r.Properties['TopicName'])
          .sort();
      expect(topics(cdk)).toEqual(topics(p.template as Tpl));
    },
  );

  it('svc-codegen reads cdk.out: contracts and typed clients for the CDK-declared services', async () => {
    const gen = join(tmp, 'gen');
    let stderr = '';
    const io = {
      stdout: { write: () => true } as unknown as NodeJS.WritableStream,
      stderr: {
        write: (s: string) => {
          stderr += s;
          return true;
        },
      } as unknown as NodeJS.WritableStream,
    };
    expect(await runCLI([out, '--stage', 'dev', '--out', gen, '--quiet'], io), stderr).toBe(0);
    expect(readdirSync(join(gen, 'clients')).sort()).toEqual([
      'index.ts',
      'notifications.ts',
      'orders.ts',
      'payments.ts',
    ]);
    const contract = JSON.parse(readFileSync(join(gen, 'contracts/payments.json'), 'utf8'));
    expect(contract.functions.charge.untyped).toBeUndefined();
    expect(contract.functions.charge.input.required).toEqual(['amountCents', 'card', 'orderId']);
    expect(readFileSync(join(gen, 'clients/orders.ts'), 'utf8')).toMatch(/placeOrder/);
  });

  it('a bad fallback stage fails the synth with the construct named, and writes no template', async () => {
    const bad = join(tmp, 'bad.out');
    const err = (await synth(bad, '-c', 'stageFallback=dev_1').catch((e: unknown) => e)) as {
      code?: number;
      stderr?: string;
    };
    expect(err.code).not.toBe(0);
    expect(err.stderr).toMatch(/SvcMesh: fallback stage "dev_1" is not a valid stage/);
    expect(existsSync(bad) ? readdirSync(bad).filter((f) => f.endsWith('.json') && f !== 'cdk.out') : []).toEqual([]);
  });
});
