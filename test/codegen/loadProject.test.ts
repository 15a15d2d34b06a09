import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate, isCodegenError, loadProject } from '../../codegen/index.js';
import { ENV } from '../../src/internal/env.js';
import { parseDiscoveryRecord } from '../../src/internal/names.js';

const BASIC = join(import.meta.dirname, '../fixtures/codegen/basic');
const LOCAL = { stage: 'dev', account: '000000000000', region: 'us-east-1' } as const;

describe('Function: loadProject', () => {
  it('reads every service under the path, sorted, with resolved variables', async () => {
    // Act
    const p = await loadProject([BASIC], LOCAL);
    // Assess
    expect(p.services.map((s) => s.name)).toEqual(['email', 'orders', 'users']);
    const users = p.services.find((s) => s.name === 'users')!;
    expect(users.functions.map((f) => f.key)).toEqual(['createUser', 'getUser']);
    const create = users.functions[0]!;
    expect(create.memorySize).toBe(512);
    expect(create.environment).toEqual({ TABLE: 'users-dev' });
    expect(create.physicalName).toBe('users-dev-createUser');
    expect(create.handler.file).toBe(join(BASIC, 'users/src/handlers.ts'));
    expect(create.subscribable).toBe(true);
    const email = p.services[0]!.functions[0]!;
    expect(email.subscriptions.map((s) => [s.service, s.function, s.type, s.filterPolicy])).toEqual([
      ['users', 'createUser', 'success', undefined],
      ['orders', 'placeOrder', 'failed', { tier: ['gold'] }],
    ]);
    expect(email.subscriptions[0]!.loc).toMatchObject({ file: join(BASIC, 'email/serverless.yml'), line: 8, col: 9 });
    expect(p.diagnostics).toEqual([]);
  });

  it('keeps physical names for every stage of the fallback chain', async () => {
    const p = await loadProject([BASIC], { ...LOCAL, stage: 'alice', stageFallback: ['dev'] });
    const f = p.services.find((s) => s.name === 'users')!.functions[0]!;
    expect(f.physicalNames).toEqual({ alice: 'users-alice-createUser', dev: 'users-dev-createUser' });
  });
});

describe('Function: generate (local mesh contract)', () => {
  it('gives every function its SVC_MESH_* environment', async () => {
    const g = generate(await loadProject([BASIC], { ...LOCAL, stageFallback: ['shared'] }));
    const env = g.env['orders']!['placeOrder']!;
    expect(env).toEqual({
      [ENV.SERVICE]: 'orders',
      [ENV.FUNCTION]: 'placeOrder',
      [ENV.STAGE]: 'dev',
      [ENV.STAGE_FALLBACK]: 'shared',
      [ENV.CALLING]: 'users:getUser,users:createUser',
      [ENV.SUBSCRIBABLE]: 'true',
      [ENV.DISCOVERY]: 'routes,ssm',
      [ENV.SSM_PREFIX]: '/svc-mesh',
      [ENV.TOPICS]: JSON.stringify({
        start: 'arn:aws:sns:us-east-1:000000000000:orders-dev-placeOrder-start',
        success: 'arn:aws:sns:us-east-1:000000000000:orders-dev-placeOrder-success',
        failed: 'arn:aws:sns:us-east-1:000000000000:orders-dev-placeOrder-failed',
      }),
    });
    expect(g.env['users']!['getUser']![ENV.TOPICS]).toBeUndefined();
  });

  it('plans topics, filtered subscriptions and parseable discovery records', async () => {
    const g = generate(await loadProject([BASIC], LOCAL));
    expect(g.seed.topics.map((t) => t.name)).toEqual([
      'orders-dev-placeOrder-failed',
      'orders-dev-placeOrder-start',
      'orders-dev-placeOrder-success',
      'users-dev-createUser-failed',
      'users-dev-createUser-start',
      'users-dev-createUser-success',
    ]);
    expect(g.seed.subscriptions).toContainEqual({
      topicArn: 'arn:aws:sns:us-east-1:000000000000:orders-dev-placeOrder-failed',
      functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:email-dev-sendWelcome',
      filterPolicy: { svcmesh_type: ['failed'], tier: ['gold'] },
    });
    expect(g.seed.parameters.map((p) => p.name)).toEqual([
      '/svc-mesh/dev/email/sendWelcome',
      '/svc-mesh/dev/orders/placeOrder',
      '/svc-mesh/dev/users/createUser',
      '/svc-mesh/dev/users/getUser',
    ]);
    for (const p of g.seed.parameters) expect(() => parseDiscoveryRecord(p.value, p.name)).not.toThrow();
    const rec = parseDiscoveryRecord(g.seed.parameters[2]!.value, 'x');
    expect(rec.topics?.success).toBe('arn:aws:sns:us-east-1:000000000000:users-dev-createUser-success');
    expect(g.seed.exports).toEqual([]);
  });

  it('adds exports and ListExports only when exports discovery is on', async () => {
    const off = generate(await loadProject([BASIC], LOCAL));
    const on = generate(await loadProject([BASIC], { ...LOCAL, discovery: ['ssm', 'exports'] }));
    const actions = (g: typeof on, id: string) => g.policies[id]!.flatMap((d) => d.Statement.flatMap((s) => s.Action));
    expect(actions(off, 'orders:placeOrder')).not.toContain('cloudformation:ListExports');
    expect(actions(on, 'orders:placeOrder')).toContain('cloudformation:ListExports');
    // A function that calls nothing never discovers anything.
    expect(actions(on, 'users:getUser')).not.toContain('cloudformation:ListExports');
    expect(on.seed.exports.map((e) => e.name)).toContain('svc-mesh:dev:users:createUser:TopicSuccess');
  });

  it('renders concrete ARNs with an account and placeholders without one', async () => {
    const concrete = generate(await loadProject([BASIC], LOCAL));
    const template = generate(await loadProject([BASIC], { stage: 'dev' }));
    const res = (g: typeof concrete) => JSON.stringify(g.policies['orders:placeOrder']);
    expect(res(concrete)).toContain('arn:aws:lambda:us-east-1:000000000000:function:users-dev-getUser');
    expect(res(template)).toContain(
      'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:users-dev-getUser',
    );
    // The seed plan is what the local mesh creates: always concrete.
    expect(template.seed.topics[0]!.arn).toMatch(/^arn:aws:sns:us-east-1:000000000000:/);
  });

  it('is deterministic', async () => {
    const a = generate(await loadProject([BASIC], LOCAL));
    const b = generate(await loadProject([BASIC], LOCAL));
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });
});

describe('Class: CodegenError', () => {
  it('is thrown for a path without services, with a location', async () => {
    const err = await loadProject([join(BASIC, 'users/src')], LOCAL).catch((e: unknown) => e);
    expect(isCodegenError(err)).toBe(true);
    if (!isCodegenError(err)) return;
    expect(err.code).toBe('CODEGEN_INVALID_INPUT');
    expect(err.diagnostics[0]!.message).toMatch(/no serverless.yml found/);
  });
});
