/**
 * The Serverless Framework v3 plugin, through the real `serverless package` (offline, dummy
 * credentials). Two packages run in parallel once; the tests read their templates.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CUSTOM_SCHEMA,
  FUNCTION_EVENT_SCHEMA,
  FUNCTION_PROPERTIES_SCHEMA,
} from '../../codegen/emit/serverless-plugin.js';
import { type Packaged, serverlessPackage } from '../helpers/serverless.js';

const ROOT = join(import.meta.dirname, '../..');
const out = mkdtempSync(join(tmpdir(), 'svc-sls-'));
const results: Record<string, Packaged> = {};

async function pack(name: string, dir: string): Promise<void> {
  results[name] = await serverlessPackage(join(ROOT, dir), join(out, name));
}

beforeAll(async () => {
  await Promise.all([
    pack('shop-orders', 'examples/shop/orders'),
    pack('fixture-orders', 'test/fixtures/codegen/sls/orders'),
  ]);
}, 180_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

const byType = (p: Packaged, type: string) => Object.entries(p.template.Resources).filter(([, r]) => r.Type === type);

describe('Serverless Framework v3 plugin (real serverless package)', () => {
  it('declares calling, subscribable, the function event and custom.svcMesh: no configuration warnings', () => {
    for (const p of Object.values(results)) {
      // (examples/ use nodejs22.x, which serverless@3's own schema predates: that warning is not ours.)
      const schemaComplaints = p.output
        .split('\n')
        .filter((l) => /^\s+at '|unrecognized propert|unsupported function event/i.test(l));
      expect(schemaComplaints.filter((l) => !l.includes("at 'provider.runtime'"))).toEqual([]);
      expect(p.output).toMatch(/Service packaged/);
    }
    // The sibling services are read as references, so every call was checked.
    expect(results['shop-orders']!.output).not.toMatch(/not part of this run/);
  });

  it('gives every function its own role with exactly its grants, and drops the shared role', () => {
    const t = results['shop-orders']!.template;
    expect(t.Resources['IamRoleLambdaExecution']).toBeUndefined();
    const fn = t.Resources['PlaceOrderLambdaFunction']!;
    expect(fn.Properties['Role']).toEqual({ 'Fn::GetAtt': ['PlaceOrderSvcMeshRole', 'Arn'] });
    const doc = t.Resources['PlaceOrderSvcMeshRole']!.Properties['Policies'][0].PolicyDocument;
    const invoke = doc.Statement.find((s: { Sid: string }) => s.Sid === 'InvokeDeclaredTargets');
    expect(invoke.Resource.map((r: { 'Fn::Sub': string }) => r['Fn::Sub'].split(':function:')[1])).toEqual([
      'inventory-dev-reserve',
      'inventory-dev-reserve:*',
      'inventory-dev-release',
      'inventory-dev-release:*',
      'payments-dev-charge',
      'payments-dev-charge:*',
    ]);
    expect(fn.Properties['Environment'].Variables).toMatchObject({
      SVC_MESH_SERVICE: 'orders',
      SVC_MESH_FUNCTION: 'placeOrder',
      SVC_MESH_STAGE: 'dev',
      SVC_MESH_CALLING: 'inventory:reserve,inventory:release,payments:charge',
      SVC_MESH_SUBSCRIBABLE: 'true',
      SVC_MESH_TOPICS: { 'Fn::Sub': expect.stringContaining('orders-dev-placeOrder-success') },
      SHOP_STAGE: 'dev', // the user's own environment is kept
    });
    expect(
      byType(results['shop-orders']!, 'AWS::SNS::Topic')
        .map(([, r]) => r.Properties['TopicName'])
        .sort(),
    ).toEqual(['orders-dev-placeOrder-failed', 'orders-dev-placeOrder-start', 'orders-dev-placeOrder-success']);
  });

  it("keeps the user's provider.iam statements on each function role", () => {
    const t = results['fixture-orders']!.template;
    for (const [role, fn] of [
      ['PlaceOrderSvcMeshRole', 'placeOrder'],
      ['OnUserCreatedSvcMeshRole', 'onUserCreated'],
    ] as const) {
      const policies = t.Resources[role]!.Properties['Policies'];
      expect(policies.map((p: { PolicyName: string }) => p.PolicyName)).toEqual([
        `svc-mesh-orders-${fn}`,
        'service-statements',
      ]);
      expect(policies[1].PolicyDocument.Statement).toEqual([
        {
          Effect: 'Allow',
          Action: ['dynamodb:GetItem'],
          Resource: 'arn:aws:dynamodb:us-east-1:123456789012:table/orders',
        },
      ]);
    }
  });

  it('adds subscriptions with filter policies, SourceArn-scoped permissions, records and exports', () => {
    const p = results['fixture-orders']!;
    const [[, sub]] = byType(p, 'AWS::SNS::Subscription') as unknown as [[string, { Properties: Record<string, any> }]];
    expect(sub.Properties).toEqual({
      Protocol: 'lambda',
      TopicArn: {
        'Fn::Sub': 'arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:users-dev-createUser-success',
      },
      Endpoint: { 'Fn::GetAtt': ['OnUserCreatedLambdaFunction', 'Arn'] },
      FilterPolicyScope: 'MessageAttributes',
      FilterPolicy: { svcmesh_type: ['success'], plan: ['pro'] },
    });
    const [[, perm]] = byType(p, 'AWS::Lambda::Permission') as unknown as [
      [string, { Properties: Record<string, any> }],
    ];
    expect(perm.Properties).toEqual({
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': ['OnUserCreatedLambdaFunction', 'Arn'] },
      Principal: 'sns.amazonaws.com',
      SourceArn: sub.Properties['TopicArn'],
    });
    const records = byType(p, 'AWS::SSM::Parameter')
      .map(([, r]) => r.Properties['Name'])
      .sort();
    expect(records).toEqual(['/svc-mesh/dev/orders/onUserCreated', '/svc-mesh/dev/orders/placeOrder']);
    // The record carries the contract hash derived from the handler types.
    const [[, rec]] = byType(p, 'AWS::SSM::Parameter') as unknown as [[string, { Properties: Record<string, any> }]];
    expect(rec.Properties['Value']['Fn::Sub']).toMatch(
      /^\{"v":2,"service":"orders","function":"onUserCreated","stage":"dev","functionArn":"arn:\$\{AWS::Partition\}:lambda:\$\{AWS::Region\}:\$\{AWS::AccountId\}:function:orders-dev-onUserCreated","contract":"sha256-[A-Za-z0-9+/]{43}="\}$/,
    );
    expect(p.template.Outputs['PlaceOrderSvcMeshExportFunctionArn'].Export).toEqual({
      Name: 'svc-mesh:dev:orders:placeOrder:FunctionArn',
    });
    // Fallback stage grants come from custom.svcMesh.stageFallback.
    const doc = p.template.Resources['PlaceOrderSvcMeshRole']!.Properties['Policies'][0].PolicyDocument;
    expect(JSON.stringify(doc)).toContain('function:users-shared-getUser');
    expect(JSON.stringify(doc)).toContain('cloudformation:ListExports');
  });

  it('serverless.cjs declares the same schemas as the implementation', async () => {
    const declared: Record<string, unknown> = {};
    const Plugin = createRequire(import.meta.url)(join(ROOT, 'tools', 'serverless.cjs')) as new (
      sls: unknown,
      opts: unknown,
    ) => unknown;
    new Plugin(
      {
        configSchemaHandler: {
          defineFunctionProperties: (_p: string, s: unknown) => (declared['FUNCTION_PROPERTIES_SCHEMA'] = s),
          defineFunctionEvent: (_p: string, _n: string, s: unknown) => (declared['FUNCTION_EVENT_SCHEMA'] = s),
          defineCustomProperties: (s: { properties: { svcMesh: unknown } }) =>
            (declared['CUSTOM_SCHEMA'] = s.properties.svcMesh),
        },
      },
      {},
    );
    expect(declared['FUNCTION_PROPERTIES_SCHEMA']).toEqual(FUNCTION_PROPERTIES_SCHEMA);
    expect(declared['FUNCTION_EVENT_SCHEMA']).toEqual(FUNCTION_EVENT_SCHEMA);
    expect(declared['CUSTOM_SCHEMA']).toEqual(CUSTOM_SCHEMA);
  });
});
