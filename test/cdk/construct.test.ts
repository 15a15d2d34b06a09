/**
 * The CDK front end (codegen/cdk) with the real aws-cdk-lib: the shop's services declared in CDK
 * (examples/cdk-shop) against the same services in serverless.yml (examples/shop), through
 * codegen's loader and emitters (what the Serverless plugin merges, test/codegen/serverless-plugin.test.ts).
 * Bundling is skipped here (`aws:cdk:bundling-stacks: []`); test/cdk/cdk-synth.test.ts runs the real CLI.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { shopApp } from '../../examples/cdk-shop/shop.js';
import {
  SvcMesh,
  type SvcMeshFunctionDeclaration,
  SvcMeshFunction,
  type SvcMeshProps,
} from '../../codegen/cdk/index.js';
import { lambdaLogicalId, roleLogicalId } from '../../codegen/emit/cloudformation.js';
import { generate } from '../../codegen/emit/generate.js';
import { isCodegenError } from '../../codegen/errors.js';
import { makeContract } from '../../codegen/contracts/io.js';
import { loadProject } from '../../codegen/load/loadProject.js';

const ROOT = join(import.meta.dirname, '../..');
const SHOP = join(ROOT, 'examples/shop');
const tmp = mkdtempSync(join(tmpdir(), 'svc-cdk-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Res = { Type: string; Properties: Record<string, any>; DependsOn?: unknown };
type Tpl = { Resources: Record<string, Res>; Outputs?: Record<string, any> };

const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

function synthShop(stage: string, stageFallback: string[], outdir?: string, types = true) {
  const app = new App({ context: NO_BUNDLING, ...(outdir !== undefined ? { outdir } : {}) });
  const shop = shopApp(app, { stage, stageFallback, types });
  const templates: Record<string, Tpl> = {};
  for (const [k, s] of Object.entries(shop.stacks)) templates[k] = Template.fromStack(s).toJSON() as Tpl;
  return { app, ...shop, templates };
}

/** Replaces `{Fn::GetAtt: [<cdk id>, Arn]}` of each function by the Serverless logical id of the same function. */
function normalize(t: Tpl, ids: Record<string, string>): Tpl {
  let s = JSON.stringify(t);
  for (const [cdk, sls] of Object.entries(ids)) s = s.replaceAll(`"${cdk}"`, `"${sls}"`);
  return JSON.parse(s);
}

describe.each([
  { stage: 'dev', stageFallback: [] as string[] },
  { stage: 'alice', stageFallback: ['dev'] },
])(
  'a function declared in CDK equals the same function in serverless.yml (stage $stage)',
  ({ stage, stageFallback }) => {
    const cdk = synthShop(stage, stageFallback);
    const sls = loadProject([SHOP], { stage, stageFallback, contracts: true }).then((p) => ({
      project: p,
      g: generate(p),
    }));
    const FUNCTIONS = [
      ['orders', 'placeOrder'],
      ['payments', 'charge'],
      ['notifications', 'onPaymentFailed'],
      ['notifications', 'onOrderPlaced'],
    ] as const;

    const lambdaOf = (service: string, key: string) => {
      const t = cdk.templates[service]!;
      const hit = Object.entries(t.Resources).find(
        ([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties['FunctionName'] === `${service}-${stage}-${key}`,
      );
      expect(hit, `${service}:${key} in the CDK template`).toBeDefined();
      return { id: hit![0], fn: hit![1], t };
    };

    it.each(FUNCTIONS)('%s:%s has an equal role policy (the documents are compared)', async (service, key) => {
      const { g } = await sls;
      const { fn, t } = lambdaOf(service, key);
      const role = t.Resources[fn.Properties['Role']['Fn::GetAtt'][0]]!;
      const fragment = g.cloudformation[service] as Tpl;
      const slsRole = fragment.Resources[roleLogicalId({ key } as never)]!;
      // The same inline policy (name and document), and nothing else: Lambda's basic execution
      // role (logs on every log group) gives way to the function's own log group.
      expect(role.Properties['Policies']).toEqual(slsRole.Properties['Policies']);
      expect(role.Properties['ManagedPolicyArns']).toEqual(slsRole.Properties['ManagedPolicyArns']);
      expect(role.Properties['Policies'][0].PolicyDocument.Statement.map((s: { Sid: string }) => s.Sid)).toEqual(
        g.templatePolicies[`${service}:${key}`]![0]!.Statement.map((s) => s.Sid),
      );
      // No other policy attached to the role (the user added no grants here).
      expect(Object.values(t.Resources).filter((r) => r.Type === 'AWS::IAM::Policy')).toEqual([]);
    });

    it.each(FUNCTIONS)('%s:%s has equal SVC_MESH_* environment, next to its own', async (service, key) => {
      const { g } = await sls;
      const { fn } = lambdaOf(service, key);
      const vars = fn.Properties['Environment'].Variables as Record<string, unknown>;
      const mesh = Object.fromEntries(Object.entries(vars).filter(([k]) => k.startsWith('SVC_MESH_')));
      const patch = (g.cloudformation[service] as Tpl).Resources[lambdaLogicalId({ key } as never)]!;
      expect(mesh).toEqual(patch.Properties['Environment'].Variables);
      expect(Object.keys(vars).some((k) => !k.startsWith('SVC_MESH_'))).toBe(true);
    });

    it.each(['orders', 'payments', 'notifications'])(
      '%s: equal topics, subscriptions, permissions, discovery records and exports',
      async (service) => {
        const { g } = await sls;
        const fragment = g.cloudformation[service] as Tpl;
        const t = cdk.templates[service]!;
        const ids: Record<string, string> = {};
        for (const [id, r] of Object.entries(t.Resources)) {
          if (r.Type !== 'AWS::Lambda::Function') continue;
          const key = String(r.Properties['FunctionName']).slice(`${service}-${stage}-`.length);
          ids[id] = lambdaLogicalId({ key } as never);
        }
        const n = normalize(t, ids);
        const TYPES = ['AWS::SNS::Topic', 'AWS::SNS::Subscription', 'AWS::Lambda::Permission', 'AWS::SSM::Parameter'];
        const pick = (x: Tpl) =>
          Object.values(x.Resources)
            .filter((r) => TYPES.includes(r.Type))
            .map((r) => JSON.stringify({ Type: r.Type, Properties: r.Properties }))
            .sort();
        const expected = pick(fragment);
        expect(expected.length).toBeGreaterThan(0);
        expect(pick(n)).toEqual(expected);
        // The records carry the contract hash, derived from the same handlers on both sides.
        const records = pick(n).filter((x) => x.includes('AWS::SSM::Parameter'));
        expect(records.length).toBeGreaterThan(0);
        for (const r of records) expect(r).toMatch(/\\"contract\\":\\"sha256-/);
        const outputs = (x: Tpl) =>
          Object.values(x.Outputs ?? {})
            .filter((o) => String(o.Export?.Name ?? '').startsWith('svc-mesh:'))
            .map((o) => JSON.stringify(o))
            .sort();
        expect(outputs(n)).toEqual(outputs(fragment));
      },
    );
  },
);

describe('exports discovery', () => {
  it('adds the same CloudFormation exports and ListExports grant as serverless.yml', async () => {
    const app = new App();
    const mesh = new SvcMesh(app, 'SvcMesh', {
      stage: 'dev',
      discovery: ['routes', 'ssm', 'exports'],
      references: [SHOP],
    });
    const stack = new Stack(app, 'payments');
    new SvcMeshFunction(stack, 'ChargeMesh', {
      mesh,
      function: inline(stack, 'Charge'),
      service: 'payments',
      name: 'charge',
      subscribable: true,
      calling: ['ledger:record'],
    });
    const t = Template.fromStack(stack).toJSON() as Tpl;
    const g = generate(await loadProject([SHOP], { stage: 'dev', discovery: ['routes', 'ssm', 'exports'] }));
    const fragment = g.cloudformation['payments'] as Tpl;
    const strip = (o: Record<string, any>) =>
      Object.values(o)
        .map((x) => JSON.stringify(x))
        .sort();
    expect(strip(t.Outputs ?? {})).toEqual(strip(fragment.Outputs!));
    expect(strip(t.Outputs ?? {})).toHaveLength(4);
    const role = Object.values(t.Resources).find((r) => r.Type === 'AWS::IAM::Role')!;
    expect(role.Properties['Policies']).toEqual(fragment.Resources['ChargeSvcMeshRole']!.Properties['Policies']);
  });
});

function inline(stack: Stack, id: string, props: Partial<lambda.FunctionProps> = {}): lambda.Function {
  return new lambda.Function(stack, id, {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    ...props,
  });
}

describe('user grants and roles', () => {
  it("keeps the user's own grants (CDK's DefaultPolicy) and managed policies other than basic execution", () => {
    const app = new App();
    const mesh = new SvcMesh(app, 'SvcMesh', { stage: 'dev', references: [SHOP] });
    const stack = new Stack(app, 'payments');
    const fn = inline(stack, 'Charge');
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['dynamodb:GetItem'], resources: ['arn:aws:dynamodb:*:*:table/x'] }),
    );
    fn.role!.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('AWSXrayWriteOnlyAccess'));
    new SvcMeshFunction(stack, 'ChargeMesh', { mesh, function: fn, service: 'payments', name: 'charge' });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [{ Action: 'dynamodb:GetItem', Effect: 'Allow', Resource: 'arn:aws:dynamodb:*:*:table/x' }],
      },
    });
    const role = Object.values(t.toJSON()['Resources'] as Record<string, Res>).find(
      (r) => r.Type === 'AWS::IAM::Role',
    )!;
    expect(JSON.stringify(role.Properties['ManagedPolicyArns'])).toContain('AWSXrayWriteOnlyAccess');
    expect(JSON.stringify(role.Properties['ManagedPolicyArns'])).not.toContain('AWSLambdaBasicExecutionRole');
    expect(role.Properties['Policies'][0].PolicyName).toBe('svc-mesh-payments-charge');
  });
});

/** Synthesizes a one-function app into its own directory; returns the error and what was written. */
function synthBad(
  decl: Partial<SvcMeshFunctionDeclaration> & Record<string, unknown>,
  opts: {
    mesh?: Partial<SvcMeshProps>;
    fn?: (stack: Stack) => lambda.Function;
    more?: (stack: Stack, mesh: SvcMesh) => void;
  } = {},
) {
  const outdir = mkdtempSync(join(tmp, 'bad-'));
  const app = new App({ outdir });
  const mesh = new SvcMesh(app, 'SvcMesh', { stage: 'dev', references: [SHOP], ...opts.mesh } as SvcMeshProps);
  const stack = new Stack(app, 'Shop');
  new SvcMeshFunction(stack, 'Decl', {
    mesh,
    function: opts.fn?.(stack) ?? inline(stack, 'Fn'),
    service: 'cdkorders',
    name: 'place',
    ...decl,
  } as never);
  opts.more?.(stack, mesh);
  let error: unknown;
  try {
    app.synth();
  } catch (err) {
    error = err;
  }
  const written = readdirSync(outdir).filter((f) => f.endsWith('.template.json') || f === 'svc-mesh.json');
  return { error, written, message: (error as Error | undefined)?.message ?? '' };
}

describe('bad input is refused at synth, naming the construct and declaration; nothing is emitted', () => {
  it.each([
    [
      { calling: ['inventory:reserv'] },
      /Shop\/Decl: calling 'inventory:reserv': service 'inventory' has no function 'reserv'; did you mean 'inventory:reserve'/,
    ],
    [
      { calling: ['inventry:reserve'] },
      /Shop\/Decl: calling 'inventry:reserve': unknown service 'inventry'; did you mean 'inventory'/,
    ],
    [{ calling: ['payments'] }, /Shop\/Decl: calling\[0\]: .*no ':' between service and function/],
    [{ calling: ['a:b:c'] }, /Shop\/Decl: calling\[0\]: .*2 ':' separators/],
    [{ calling: 'inventory:reserve' }, /Shop\/Decl: calling must be a list/],
    [
      { events: [{ function: { service: 'inventory', name: 'reserve', type: 'success' } }] },
      /Shop\/Decl: cannot subscribe to 'inventory:reserve': it is not subscribable/,
    ],
    [
      { events: [{ function: { service: 'payments', name: 'charge', type: 'done' } }] },
      /Shop\/Decl: events\[0\]\.function\.type "done" is not a lifecycle event type/,
    ],
    [
      {
        events: [
          {
            function: {
              service: 'payments',
              name: 'charge',
              type: 'failed',
              filterPolicy: { a: ['1'], b: ['1'], c: ['1'], d: ['1'], e: ['1'] },
            },
          },
        ],
      },
      /Shop\/Decl: events\[0\]\.function\.filterPolicy has 5 keys .*SNS allows 5 per policy and svc-mesh uses one/,
    ],
    [
      {
        events: [
          {
            function: {
              service: 'payments',
              name: 'charge',
              type: 'failed',
              filterPolicy: {
                a: Array.from({ length: 13 }, (_, i) => `a${i}`),
                b: Array.from({ length: 12 }, (_, i) => `b${i}`),
              },
            },
          },
        ],
      },
      /filterPolicy allows 156 combinations of values .*150/,
    ],
    [{ service: 'cdk_orders' }, /Shop\/Decl: service "cdk_orders" is not a valid service name/],
    [{ name: '9lives' }, /Shop\/Decl: name "9lives" is not a valid function key/],
    [{ subscribable: 'yes' }, /Shop\/Decl: subscribable must be true or false/],
    [{ calling: ['inventory:reserve'], callng: ['x:y'] }, /Shop\/Decl: unknown key 'callng'/],
    [{ handler: 'examples/shop/orders/handler.placeOrdr' }, /Shop\/Decl: .*has no export 'placeOrdr'; did you mean/],
    [{ handler: 'nowhere/handler.place' }, /Shop\/Decl: handler file not found: looked for nowhere\/handler/],
    [{ handler: 'handler' }, /Shop\/Decl: handler "handler" must be 'path\/to\/file.export'/],
  ])('%j', (decl, expected) => {
    const r = synthBad(decl as never);
    expect(isCodegenError(r.error)).toBe(true);
    expect(r.message).toMatch(expected);
    // Located at the declaration in this file (the `new SvcMeshFunction(…)` call).
    expect(r.message).toContain('construct.test.ts:');
    expect(r.written).toEqual([]);
  });

  it.each([
    [{ stage: 'dev_1' }, /SvcMesh: stage "dev_1" is not a valid stage/],
    [{ stage: 'dev 1' }, /SvcMesh: stage "dev 1" is not a valid stage/],
    [{ stageFallback: ['dev/x'] }, /SvcMesh: fallback stage "dev\/x" is not a valid stage/],
    [{ ssmPrefix: 'svc-mesh' }, /SvcMesh: SSM prefix "svc-mesh" must start with '\/'/],
    [{ discovery: ['dns'] }, /SvcMesh: discovery source "dns" is unknown/],
    [{ references: [join(ROOT, 'nowhere')] }, /SvcMesh: references: no serverless.yml at or under/],
  ])('mesh %j', (mesh, expected) => {
    const r = synthBad({}, { mesh: mesh as never });
    expect(isCodegenError(r.error)).toBe(true);
    expect(r.message).toMatch(expected);
    expect(r.written).toEqual([]);
  });

  it('a function name svc-mesh does not own, an imported role, a function from another stack, a duplicate', () => {
    const named = synthBad({}, { fn: (s) => inline(s, 'Fn', { functionName: 'my-name' }) });
    expect(named.message).toMatch(/Shop\/Decl: the function Shop\/Fn sets functionName "my-name".*remove functionName/);
    const imported = synthBad(
      {},
      { fn: (s) => inline(s, 'Fn', { role: iam.Role.fromRoleArn(s, 'R', 'arn:aws:iam::123456789012:role/x') }) },
    );
    expect(imported.message).toMatch(/Shop\/Decl: the function Shop\/Fn has no iam.Role of its own stack/);
    const dup = synthBad(
      {},
      {
        more: (stack, mesh) =>
          new SvcMeshFunction(stack, 'Again', {
            mesh,
            function: inline(stack, 'Fn2'),
            service: 'cdkorders',
            name: 'place',
          }),
      },
    );
    expect(dup.message).toMatch(/Shop\/Again: 'cdkorders:place' is already declared by Shop\/Decl/);
    const other = synthBad(
      {},
      {
        more: (stack, mesh) => {
          const s2 = new Stack(stack.node.scope as App, 'Other');
          new SvcMeshFunction(stack, 'Cross', {
            mesh,
            function: inline(s2, 'Fn'),
            service: 'cdkorders',
            name: 'other',
          });
        },
      },
    );
    expect(other.message).toMatch(/Shop\/Cross: the function Other\/Fn is in another stack/);
    const shared = synthBad(
      {},
      {
        fn: (s) =>
          inline(s, 'Fn', {
            role: new iam.Role(s, 'Shared', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }),
          }),
        more: (stack, mesh) =>
          new SvcMeshFunction(stack, 'Second', {
            mesh,
            function: inline(stack, 'Fn2', { role: stack.node.findChild('Shared') as iam.Role }),
            service: 'cdkorders',
            name: 'second',
          }),
      },
    );
    expect(shared.message).toMatch(
      /Shop\/Second: the function Shop\/Fn2 shares its role Shop\/Shared with Shop\/Fn \(Shop\/Decl\)/,
    );
    for (const r of [named, imported, dup, other, shared]) expect(r.written).toEqual([]);
  });

  it('every problem at once, and unknownServices: warning lets an unknown service through with a warning', () => {
    const r = synthBad({ calling: ['inventory:reserv', 'payments'], subscribable: 1 } as never);
    expect(r.message).toMatch(/3 errors/);
    const ok = synthBad({ calling: ['elsewhere:fn'] }, { mesh: { unknownServices: 'warning' } });
    expect(ok.error).toBeUndefined();
    expect(ok.written.sort()).toEqual(['Shop.template.json', 'svc-mesh.json']);
  });
});

describe('svc-mesh.json: the declarations for svc-codegen and svc-mesh dev', () => {
  const outdir = join(tmp, 'cdk.out');
  const cdk = synthShop('dev', [], outdir);
  cdk.app.synth();

  it('is written into the cloud assembly; loadProject(cdk.out) gives the model the constructs used', async () => {
    expect(existsSync(join(outdir, 'svc-mesh.json'))).toBe(true);
    const built = cdk.mesh.generated!;
    const project = await loadProject([outdir], { stage: 'dev', contracts: true });
    // The same contracts (so the same hashes in the records) from the handlers the manifest names.
    expect(project.contracts).toEqual(built.project.contracts);
    expect(Object.keys(project.contracts).sort()).toEqual(['notifications', 'orders', 'payments']);
    expect(project.services.filter((s) => !s.external).map((s) => s.name)).toEqual([
      'notifications',
      'orders',
      'payments',
    ]);
    // References (serverless.yml) come along, as references.
    expect(project.services.filter((s) => s.external).map((s) => s.name)).toEqual(['inventory', 'ledger']);
    const g = generate(project);
    expect(g.templatePolicies).toEqual(built.generated.templatePolicies);
    expect(g.templateEnv).toEqual(built.generated.templateEnv);
    expect(g.seed).toEqual(built.generated.seed);
    // Handlers resolved for contracts and the local mesh.
    const place = project.services.find((s) => s.name === 'orders')!.functions[0]!;
    expect(place.handler.file).toBe(join(SHOP, 'orders/handler.ts'));
    expect(place.handler.export).toBe('placeOrder');
    // The function's own literal environment comes along (the local mesh sets it).
    expect(place.environment).toEqual({ SHOP_STAGE: 'dev' });
  });

  it('a CDK app directory stands for its cdk.out; without a synth it says to run one', async () => {
    const app = join(tmp, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'cdk.json'), '{"app":"npx tsx app.ts"}');
    const err = (await loadProject([app], { stage: 'dev' }).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/is a CDK app without .*cdk\.out\/svc-mesh\.json: run 'npx cdk synth' in it first/);
    synthShop('dev', [], join(app, 'cdk.out'), false).app.synth();
    const p = await loadProject([app], { stage: 'dev' });
    expect(p.services.filter((s) => !s.external).map((s) => s.name)).toEqual(['notifications', 'orders', 'payments']);
  });

  it('follows the stage given to codegen, like serverless.yml', async () => {
    const g = generate(await loadProject([outdir], { stage: 'prod' }));
    expect(g.templateEnv['orders']!['placeOrder']!['SVC_MESH_STAGE']).toBe('prod');
    expect(JSON.stringify(g.templatePolicies['orders:placeOrder'])).toContain('function:payments-prod-charge');
  });

  it('a hand-edited manifest is checked like the constructs check it, at the declaration', async () => {
    const bad = join(tmp, 'bad.out');
    rmSync(bad, { recursive: true, force: true });
    const m = JSON.parse(readFileSync(join(outdir, 'svc-mesh.json'), 'utf8'));
    m.functions[0].declaration.calling = ['inventory:nope'];
    mkdirSync(bad);
    writeFileSync(join(bad, 'svc-mesh.json'), JSON.stringify(m));
    const err = await loadProject([bad], { stage: 'dev' }).catch((e: unknown) => e);
    expect(isCodegenError(err)).toBe(true);
    expect((err as Error).message).toMatch(
      /shop\.ts:\d+:\d+: error: .*calling 'inventory:nope': service 'inventory' has no function 'nope'/,
    );
    writeFileSync(join(bad, 'svc-mesh.json'), '{"svcMesh":2}');
    expect(((await loadProject([bad], { stage: 'dev' }).catch((e: unknown) => e)) as Error).message).toMatch(
      /not an svc-mesh CDK manifest/,
    );
  });
});

describe('services of other repositories, by their contracts', () => {
  it('are callable and subscribable, as with custom.svcMesh.contracts; svc-mesh.json keeps the directory', async () => {
    const contracts = join(tmp, 'billing-contracts');
    mkdirSync(contracts);
    const billing = makeContract('billing', { charge: { subscribable: true, input: {}, output: {} } }, {});
    writeFileSync(join(contracts, 'billing.json'), JSON.stringify(billing));
    const outdir = join(tmp, 'contracts.out');
    const app = new App({ outdir });
    const mesh = new SvcMesh(app, 'SvcMesh', { stage: 'dev', contracts: [contracts] });
    const stack = new Stack(app, 'orders');
    new SvcMeshFunction(stack, 'PlaceMesh', {
      mesh,
      function: inline(stack, 'Place'),
      service: 'orders',
      name: 'place',
      calling: ['billing:charge'],
      events: [{ function: { service: 'billing', name: 'charge', type: 'failed' } }],
    });
    const t = Template.fromStack(stack);
    expect(JSON.stringify(t.toJSON())).toContain('function:billing-dev-charge"');
    t.hasResourceProperties('AWS::SNS::Subscription', {
      TopicArn: { 'Fn::Sub': 'arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:billing-dev-charge-failed' },
    });
    app.synth();
    const project = await loadProject([outdir], { stage: 'dev' });
    expect(project.services.map((s) => [s.name, s.external])).toEqual([
      ['billing', true],
      ['orders', false],
    ]);
    expect(project.contracts['billing']?.hash).toBe(billing.hash);

    const bad = synthBad({}, { mesh: { contracts: [join(tmp, 'no-contracts')] } });
    expect(bad.message).toMatch(/contracts directory not found/);
    expect(bad.written).toEqual([]);
  });
});
