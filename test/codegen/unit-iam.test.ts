/**
 * Codegen's IAM emission on small hand-built projects, compared with the exact documents and ARNs
 * (fast: StrykerJS runs it per mutant; the least-privilege test checks the same policies with an
 * independent evaluator on real projects).
 */
import { describe, expect, it } from 'vitest';
import { Arns, LOCAL_ACCOUNT, logicalPart, normalizedFunctionName } from '../../codegen/emit/arns.js';
import { functionPolicies, INLINE_POLICY_QUOTA, MANAGED_POLICY_QUOTA, policySize } from '../../codegen/emit/iam.js';
import type { FunctionModel, PolicyDocument, Project, ServiceModel } from '../../codegen/index.js';

const loc = { file: '/p/serverless.yml', line: 1, col: 1 };

function fn(service: string, key: string, stages: string[], extra: Partial<FunctionModel> = {}): FunctionModel {
  return {
    service,
    key,
    physicalName: `${service}-${stages[0]}-${key}`,
    physicalNames: Object.fromEntries(stages.map((s) => [s, `${service}-${s}-${key}`])),
    handler: { raw: 'h.f', file: undefined, export: 'f' },
    runtime: 'nodejs20.x',
    timeout: 6,
    memorySize: 1024,
    environment: {},
    calling: [],
    subscribable: false,
    subscriptions: [],
    loc,
    locs: {},
    ...extra,
  };
}

const svc = (name: string, functions: FunctionModel[], region = 'us-east-1'): ServiceModel => ({
  name,
  dir: '/p',
  file: '/p/serverless.yml',
  region,
  runtime: 'nodejs20.x',
  functions,
  loc,
  external: false,
});

function project(services: ServiceModel[], options: Partial<Project['options']> = {}): Project {
  return {
    options: {
      stage: 'dev',
      stageFallback: [],
      region: 'us-east-1',
      account: undefined,
      partition: 'aws',
      discovery: ['ssm'],
      ssmPrefix: '/svc-mesh',
      maxManagedPolicies: 10,
      ...options,
    },
    services,
    diagnostics: [],
    contracts: {},
  };
}

const policiesOf = (p: Project, arns: Arns, s: ServiceModel, f: FunctionModel) =>
  functionPolicies(p, arns, s, f, new Map(p.services.map((x) => [x.name, x])));

const logs = (arn: string) => ({
  Sid: 'WriteOwnLogs',
  Effect: 'Allow',
  Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
  Resource: [arn],
});

describe('Function: functionPolicies (exact documents)', () => {
  it('grants logs, Invoke and discovery reads for each calling target in each stage, as CloudFormation placeholders', () => {
    const charge = fn('payments', 'charge', ['dev', 'shared']);
    const place = fn('orders', 'place', ['dev', 'shared'], { calling: [{ service: 'payments', function: 'charge' }] });
    const payments = svc('payments', [charge]);
    const orders = svc('orders', [place]);
    const p = project([payments, orders], { stageFallback: ['shared'] });
    const docs = policiesOf(p, Arns.template(p), orders, place);
    const lambda = (n: string) => `arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:${n}`;
    const param = (s: string) =>
      `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/svc-mesh/${s}/payments/charge`;
    expect(docs).toEqual([
      {
        Version: '2012-10-17',
        Statement: [
          logs('arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/orders-dev-place:*'),
          {
            Sid: 'InvokeDeclaredTargets',
            Effect: 'Allow',
            Action: 'lambda:InvokeFunction',
            Resource: [
              lambda('payments-dev-charge'),
              `${lambda('payments-dev-charge')}:*`,
              lambda('payments-shared-charge'),
              `${lambda('payments-shared-charge')}:*`,
            ],
          },
          {
            Sid: 'ReadTargetDiscoveryRecords',
            Effect: 'Allow',
            Action: ['ssm:GetParameter', 'ssm:GetParameters'],
            Resource: [param('dev'), param('shared')],
          },
        ],
      },
    ]);
  });

  it('uses concrete ARNs with an account, a literal region across regions, and custom physical names', () => {
    const charge = fn('payments', 'charge', ['dev'], { physicalNames: { dev: 'legacy-charge' } });
    const place = fn('orders', 'place', ['dev'], {
      calling: [
        { service: 'payments', function: 'charge' },
        { service: 'ghost', function: 'run' },
      ],
      subscribable: true,
    });
    const payments = svc('payments', [charge], 'eu-west-1');
    const orders = svc('orders', [place]);
    const concrete = project([payments, orders], { account: '123456789012', discovery: ['routes', 'exports'] });
    const docs = policiesOf(concrete, Arns.preferred(concrete), orders, place) as PolicyDocument[];
    expect(docs).toEqual([
      {
        Version: '2012-10-17',
        Statement: [
          logs('arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/orders-dev-place:*'),
          {
            Sid: 'PublishOwnLifecycleEvents',
            Effect: 'Allow',
            Action: 'sns:Publish',
            Resource: ['start', 'success', 'failed'].map(
              (t) => `arn:aws:sns:us-east-1:123456789012:orders-dev-place-${t}`,
            ),
          },
          { Sid: 'DiscoverThroughExports', Effect: 'Allow', Action: 'cloudformation:ListExports', Resource: '*' },
          {
            Sid: 'InvokeDeclaredTargets',
            Effect: 'Allow',
            Action: 'lambda:InvokeFunction',
            Resource: [
              'arn:aws:lambda:eu-west-1:123456789012:function:legacy-charge',
              'arn:aws:lambda:eu-west-1:123456789012:function:legacy-charge:*',
              'arn:aws:lambda:us-east-1:123456789012:function:ghost-dev-run',
              'arn:aws:lambda:us-east-1:123456789012:function:ghost-dev-run:*',
            ],
          },
        ],
      },
    ]);
    // The template rendering keeps the home region a placeholder and the other one literal.
    const t = Arns.template(concrete);
    expect(t.lambda('x', payments, orders)).toBe('arn:${AWS::Partition}:lambda:eu-west-1:${AWS::AccountId}:function:x');
    expect(t.lambda('x', orders, orders)).toBe(
      'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:x',
    );
    expect(t.lambda('x', undefined)).toBe('arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:x');
    expect(t.lambda('x', payments)).toBe('arn:${AWS::Partition}:lambda:eu-west-1:${AWS::AccountId}:function:x');
  });

  it('grants nothing but its logs to a function that calls nothing, even with exports discovery', () => {
    const alone = fn('a', 'b', ['dev']);
    const s = svc('a', [alone]);
    const p = project([s], { discovery: ['ssm', 'exports'], partition: 'aws-cn', account: '1', region: 'cn-north-1' });
    const c = project([svc('a', [alone], 'cn-north-1')], {
      discovery: ['ssm', 'exports'],
      partition: 'aws-cn',
      account: '1',
      region: 'cn-north-1',
    });
    expect(policiesOf(c, Arns.concrete(c), c.services[0]!, alone)).toEqual([
      { Version: '2012-10-17', Statement: [logs('arn:aws-cn:logs:cn-north-1:1:log-group:/aws/lambda/a-dev-b:*')] },
    ]);
    expect(Arns.concrete(project([s])).account).toBe(LOCAL_ACCOUNT);
    expect(Arns.preferred(p).concrete).toBe(true);
    expect(Arns.preferred(project([s])).concrete).toBe(false);
    expect(Arns.template(p).partition).toBe('${AWS::Partition}');
    expect(Arns.template(p).account).toBe('${AWS::AccountId}');
  });

  it('names parameters and topics exactly, with any SSM prefix', () => {
    const f = fn('users', 'create', ['dev']);
    const users = svc('users', [f]);
    for (const [prefix, name] of [
      ['/svc-mesh', '/svc-mesh/dev/users/create'],
      ['/svc-mesh/', '/svc-mesh/dev/users/create'],
      ['custom', 'custom/dev/users/create'],
    ] as const) {
      const p = project([users], { ssmPrefix: prefix, account: '2' });
      const name2 = name.startsWith('/') ? name : `/${name}`;
      expect(Arns.concrete(p).parameter(users, 'users', 'create', 'dev')).toBe(
        `arn:aws:ssm:us-east-1:2:parameter${name2}`,
      );
    }
    const p = project([users], { account: '2' });
    expect(Arns.concrete(p).topics(users, f, 'prod')).toEqual({
      start: 'arn:aws:sns:us-east-1:2:users-prod-create-start',
      success: 'arn:aws:sns:us-east-1:2:users-prod-create-success',
      failed: 'arn:aws:sns:us-east-1:2:users-prod-create-failed',
    });
    expect(Arns.concrete(p).topic(undefined, 'x', 'y', 'failed', 'dev')).toBe('arn:aws:sns:us-east-1:2:x-dev-y-failed');
  });

  it('names logical ids as the Serverless Framework does', () => {
    expect(normalizedFunctionName('get-user')).toBe('GetDashuser');
    expect(normalizedFunctionName('get_user-by-id')).toBe('GetUnderscoreuserDashbyDashid');
    expect(normalizedFunctionName('charge')).toBe('Charge');
    expect(logicalPart('a-b')).toBe('ADashb');
  });
});

describe('Function: functionPolicies (quotas)', () => {
  /** A caller of `n` targets whose inline policy is exactly `size` characters (tuned by its own name). */
  function sized(n: number, nameLen: number, maxManaged = 10) {
    const stages = ['dev'];
    const keys = Array.from({ length: n }, (_, i) => `target${String(i).padStart(3, '0')}`);
    const callee = svc(
      'billing',
      keys.map((k) => fn('billing', k, stages)),
    );
    const caller = fn('orders', 'place', stages, {
      physicalName: 'p'.repeat(nameLen),
      calling: keys.map((k) => ({ service: 'billing', function: k })),
      locs: { calling: { ...loc, line: 7 }, 'calling[0]': { ...loc, line: 8 } },
    });
    const orders = svc('orders', [caller]);
    const p = project([callee, orders], { account: '123456789012', maxManagedPolicies: maxManaged });
    return { res: policiesOf(p, Arns.preferred(p), orders, caller), p, caller, orders };
  }

  it('keeps one inline policy up to exactly the inline quota, and splits one character past it', () => {
    // Find the target count and caller-name length that make the single document exactly 10,240.
    const base = sized(40, 1).res as PolicyDocument[];
    const n = Math.floor((INLINE_POLICY_QUOTA - 200) / (policySize(base[0]!) / 40));
    const one = sized(n, 1).res as PolicyDocument[];
    expect(one).toHaveLength(1);
    const pad = INLINE_POLICY_QUOTA - policySize(one[0]!) + 1;
    const exact = sized(n, pad).res as PolicyDocument[];
    expect(policySize(exact[0]!)).toBe(INLINE_POLICY_QUOTA);
    expect(exact).toHaveLength(1);
    const over = sized(n, pad + 1).res as PolicyDocument[];
    expect(over.length).toBeGreaterThan(1);
    expect(policySize(over[0]!)).toBeLessThanOrEqual(INLINE_POLICY_QUOTA);
    for (const d of over.slice(1)) {
      expect(policySize(d)).toBeLessThanOrEqual(MANAGED_POLICY_QUOTA);
      // Managed policies carry grants only, never the base statements.
      expect(d.Statement.map((s) => s.Sid)).not.toContain('WriteOwnLogs');
    }
    expect(over[0]!.Statement[0]!.Sid).toBe('WriteOwnLogs');
    // Nothing lost: every target's two Invoke ARNs and its record, once each.
    const all = over.flatMap((d) => d.Statement).flatMap((s) => ([] as string[]).concat(s.Resource));
    expect(all).toHaveLength(1 + 3 * n);
    expect(new Set(all).size).toBe(all.length);
  });

  it('fills the inline policy first, up to exactly its quota, when splitting', () => {
    // The caller's own name (in its log group ARN) tunes the inline policy one character at a time.
    let exactAt: number | undefined;
    for (let len = 1; len < 400 && exactAt === undefined; len++) {
      const res = sized(60, len).res as PolicyDocument[];
      expect(res.length).toBeGreaterThan(1);
      // Greedy: the inline policy is filled to within one target's grants of its quota.
      expect(policySize(res[0]!)).toBeGreaterThan(INLINE_POLICY_QUOTA - 300);
      if (policySize(res[0]!) === INLINE_POLICY_QUOTA) exactAt = len;
    }
    expect(exactAt, 'no caller name made the inline policy exactly 10,240 characters').toBeDefined();
  });

  it('puts a target whose grants are exactly a managed policy in one of its own', () => {
    // Target a fills the inline policy; target b (31 stages) goes alone into a managed policy whose
    // size is tuned by b's key (31 records) and one stage's physical name (2 ARNs).
    const stages = Array.from({ length: 31 }, (_, i) => `s${String(i).padStart(2, '0')}`);
    const build = (keyLen: number, nameLen: number) => {
      const a = fn('billing', 'a', stages, {
        physicalNames: Object.fromEntries(stages.map((st) => [st, `${'a'.repeat(60)}-${st}`])),
      });
      const bKey = `b${'k'.repeat(keyLen)}`;
      const b = fn('billing', bKey, stages, {
        physicalNames: Object.fromEntries(stages.map((st, i) => [st, i === 0 ? 'n'.repeat(nameLen) : `bb-${st}`])),
      });
      const caller = fn('orders', 'place', stages, {
        calling: [
          { service: 'billing', function: 'a' },
          { service: 'billing', function: bKey },
        ],
      });
      const orders = svc('orders', [caller]);
      const p = project([svc('billing', [a, b]), orders], {
        stage: stages[0]!,
        stageFallback: stages.slice(1),
        account: '123456789012',
      });
      return policiesOf(p, Arns.preferred(p), orders, caller);
    };
    let exact: PolicyDocument[] | undefined;
    // Lambda names stop at 64 characters, so the key (31 records, 31 characters a step) does the
    // coarse tuning and the name (2 ARNs, 2 characters a step) the fine one.
    for (let keyLen = 1; keyLen <= 60 && exact === undefined; keyLen++)
      for (let nameLen = 1; nameLen <= 64 && exact === undefined; nameLen++) {
        const res = build(keyLen, nameLen);
        if (Array.isArray(res) && res.length === 2 && policySize(res[1]!) === MANAGED_POLICY_QUOTA) exact = res;
      }
    expect(exact, 'no size tuning gave a managed policy of exactly 6,144 characters').toBeDefined();
  });

  it('fails, naming the quota and the fix, when the policies would need more managed policies than allowed', () => {
    const many = sized(200, 1, 1).res;
    expect(Array.isArray(many)).toBe(false);
    const d = many as { message: string; line: number; severity: string };
    expect(d.severity).toBe('error');
    expect(d.line).toBe(7);
    expect(d.message).toMatch(
      /^orders:place calls 200 functions across 1 stage\(s\); its exact policy needs the inline policy plus \d+ managed policies, but a role may have 1\. svc-mesh does not widen grants to wildcards: split the function, shorten 'calling:' or the stage fallback, or raise the quota \(20 on request\) and pass --max-managed-policies \d+$/,
    );
    const needed = Number(/plus (\d+) managed/.exec(d.message)![1]);
    expect(d.message.endsWith(`--max-managed-policies ${Math.min(20, needed)}`)).toBe(true);
    // Exactly enough managed policies: it fits.
    const fits = sized(200, 1, needed).res;
    expect(Array.isArray(fits) && fits.length).toBe(needed + 1);
    // At the hard quota of 20 there is nothing to raise.
    const huge = sized(2_000, 1, 20).res as { message: string };
    expect(huge.message).toMatch(
      /but a role may have 20\. svc-mesh does not widen grants to wildcards: split the function, shorten 'calling:' or the stage fallback$/,
    );
  });

  it('fails when one target alone exceeds a managed policy, naming it at its calling entry', () => {
    const stages = Array.from({ length: 60 }, (_, i) => `stage${i}`);
    const callee = svc('billing', [fn('billing', 'k', stages)]);
    const caller = fn('orders', 'place', stages, {
      calling: [{ service: 'billing', function: 'k' }],
      locs: { 'calling[0]': { ...loc, line: 9 } },
    });
    const orders = svc('orders', [caller]);
    const p = project([callee, orders], { stageFallback: stages.slice(1), account: '123456789012' });
    const d = policiesOf(p, Arns.preferred(p), orders, caller) as { message: string; line: number; severity: string };
    expect(d.line).toBe(9);
    expect(d.severity).toBe('error');
    expect(d.message).toBe("the grants for 'billing:k' alone exceed IAM's 6144-character managed policy quota");
  });

  it('counts policy size as IAM does: JSON without white space', () => {
    const d: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'a:b', Resource: '*' }] };
    expect(policySize(d)).toBe(JSON.stringify(d).length);
    expect(policySize(d)).toBe(87);
  });
});
