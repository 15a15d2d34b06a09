/**
 * Services in other repositories are known by their contracts only: callable, subscribable,
 * with IAM, records and clients, and nothing generated for them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate, isCodegenError, loadProject } from '../../codegen/index.js';
import { handlers, runCodegen, service, tempProject } from './helpers/project.js';

describe('Cross-repository services (--contracts)', () => {
  it('calls and subscribes to a service known only by its contract, and builds its client', async () => {
    using p = tempProject({
      'billing-repo/billing/serverless.yml': service(
        'billing',
        '  charge:\n    handler: h.charge\n    subscribable: true\n',
      ),
      'billing-repo/billing/h.ts':
        'export const charge = async (input: { cents: number }): Promise<{ id: string }> => ({ id: String(input.cents) });\n',
      'shop-repo/orders/serverless.yml': service(
        'orders',
        '  place:\n    handler: h.place\n    calling: [billing:charge]\n    events:\n      - function: { service: billing, name: charge, type: failed }\n',
      ),
      'shop-repo/orders/h.ts': handlers('place'),
    });
    // The billing repository publishes its contracts.
    expect((await runCodegen([join(p.dir, 'billing-repo'), '--out', join(p.dir, 'billing-out')])).code).toBe(0);
    const contracts = join(p.dir, 'billing-out/contracts');
    // The shop repository builds against them.
    const out = join(p.dir, 'shop-out');
    const r = await runCodegen([join(p.dir, 'shop-repo'), '--out', out, '--contracts', contracts, '--no-types']);
    expect(r.stderr).toContain('1 service, 1 function');
    expect(r.code).toBe(0);
    const policy = readFileSync(join(out, 'iam/orders-place.json'), 'utf8');
    expect(policy).toContain('function:billing-dev-charge"');
    expect(readFileSync(join(out, 'clients/billing.ts'), 'utf8')).toContain(
      'export type ChargeInput = {\n  cents: number;\n};',
    );
    expect(readFileSync(join(out, 'cloudformation/orders.json'), 'utf8')).toContain('billing-dev-charge-failed');
    // Nothing is generated for the external service itself.
    expect(() => readFileSync(join(out, 'cloudformation/billing.json'))).toThrow();
    expect(() => readFileSync(join(out, 'contracts/billing.json'))).toThrow();
  });

  it('rejects a file in --contracts that is not a contract', async () => {
    using p = tempProject({
      'o/serverless.yml': service('o', '  f:\n    handler: h.f\n'),
      'o/h.ts': handlers('f'),
      'c/x.json': '{"service": "x"}',
    });
    const err = await loadProject([join(p.dir, 'o')], { stage: 'dev', externalContracts: [join(p.dir, 'c')] }).catch(
      (e) => e,
    );
    expect(isCodegenError(err) && err.diagnostics[0]!.message).toBe(
      'not an svc-mesh contract: it has svcMesh undefined; expected 1',
    );
  });
});

describe('Reference services (referencePaths)', () => {
  it('checks calls against them and takes their Lambda names, ignoring their own problems', async () => {
    using p = tempProject({
      'users/serverless.yml': service(
        'users',
        '  get:\n    handler: nope.get\n    name: users-${sls:stage}-read\n    calling: [ghost:x]\n',
      ),
      'orders/serverless.yml': service('orders', '  place:\n    handler: h.place\n    calling: [users:get]\n'),
      'orders/h.ts': handlers('place'),
    });
    const project = await loadProject([join(p.dir, 'orders')], {
      stage: 'dev',
      referencePaths: [p.dir],
      account: '123456789012',
    });
    expect(project.diagnostics).toEqual([]);
    expect(project.services.map((s) => [s.name, s.external])).toEqual([
      ['orders', false],
      ['users', true],
    ]);
    const g = generate(project);
    expect(Object.keys(g.cloudformation)).toEqual(['orders']);
    expect(JSON.stringify(g.policies['orders:place'])).toContain('function:users-dev-read"');
    writeFileSync(
      join(p.dir, 'orders/serverless.yml'),
      service('orders', '  place:\n    handler: h.place\n    calling: [users:gett]\n'),
    );
    const bad = await loadProject([join(p.dir, 'orders')], { stage: 'dev', referencePaths: [p.dir] }).catch((e) => e);
    expect(isCodegenError(bad) && bad.diagnostics.map((d) => d.message)).toEqual([
      "calling 'users:gett': service 'users' has no function 'gett'; did you mean 'users:get'?",
    ]);
  });
});

describe('Stages and limits', () => {
  it('re-resolves a name: override for every stage of the chain', async () => {
    using p = tempProject({
      'a/serverless.yml': service('a', '  f:\n    handler: h.f\n    name: ${sls:stage}-custom-f\n'),
      'a/h.ts': handlers('f'),
      'b/serverless.yml': service('b', '  g:\n    handler: h.g\n    calling: [a:f]\n'),
      'b/h.ts': handlers('g'),
    });
    const project = await loadProject([p.dir], { stage: 'alice', stageFallback: ['dev'], account: '123456789012' });
    expect(project.services[0]!.functions[0]!.physicalNames).toEqual({ alice: 'alice-custom-f', dev: 'dev-custom-f' });
    const invoke = generate(project).policies['b:g']![0]!.Statement.find((s) => s.Sid === 'InvokeDeclaredTargets')!;
    expect(invoke.Resource).toEqual([
      'arn:aws:lambda:us-east-1:123456789012:function:alice-custom-f',
      'arn:aws:lambda:us-east-1:123456789012:function:alice-custom-f:*',
      'arn:aws:lambda:us-east-1:123456789012:function:dev-custom-f',
      'arn:aws:lambda:us-east-1:123456789012:function:dev-custom-f:*',
    ]);
  });

  it("fails when the environment would exceed Lambda's 4 KB", async () => {
    const targets = Array.from({ length: 120 }, (_, i) => `fn${i}`);
    using p = tempProject({
      'a/serverless.yml': service('a', targets.map((t) => `  ${t}:\n    handler: h.${t}\n`).join('')),
      'a/h.ts': handlers(...targets),
      'long-caller-service/serverless.yml': service(
        'long-caller-service',
        `  f:\n    handler: h.f\n    environment:\n      BIG: ${'x'.repeat(3500)}\n    calling:\n${targets.map((t) => `      - a:${t}\n`).join('')}`,
      ),
      'long-caller-service/h.ts': handlers('f'),
    });
    const project = await loadProject([p.dir], { stage: 'dev' });
    expect(() => generate(project)).toThrow(/environment would be \d+ bytes; Lambda allows 4096/);
    expect(() => generate(project)).toThrow(expect.objectContaining({ code: 'CODEGEN_INVALID_INPUT' }));
  });

  it('leaves environment values with unsupported variables to the framework in plugin mode', async () => {
    using p = tempProject({
      'a/serverless.yml': service(
        'a',
        '  f:\n    handler: h.f\n    environment:\n      SECRET: ${ssm:/a/secret}\n      PLAIN: x\n',
      ),
      'a/h.ts': handlers('f'),
    });
    await expect(loadProject([p.dir], { stage: 'dev' })).rejects.toThrow(/\$\{ssm:\/a\/secret\} is not supported/);
    const project = await loadProject([p.dir], { stage: 'dev', lenientEnvironment: true });
    expect(project.services[0]!.functions[0]!.environment).toEqual({ PLAIN: 'x' });
    expect(project.diagnostics).toEqual([
      expect.objectContaining({
        severity: 'warning',
        line: 9,
        col: 15,
        message: expect.stringMatching(/left to the framework\)$/),
      }),
    ]);
  });

  it('keeps two different types that share a name apart in one contract', async () => {
    using p = tempProject({
      'a/serverless.yml': service('a', '  f:\n    handler: one.f\n  g:\n    handler: two.g\n'),
      'a/one.ts':
        'export interface Item { id: string }\nexport const f = async (input: Item[]): Promise<void> => {};\n',
      'a/two.ts':
        'export interface Item { sku: number }\nexport const g = async (input: Item[]): Promise<void> => {};\n',
    });
    const project = await loadProject([p.dir], { stage: 'dev', contracts: true });
    const c = project.contracts['a']!;
    expect(Object.keys(c.definitions).sort()).toEqual(['Item', 'Item_2']);
    expect(c.functions['f']!.input).toEqual({ type: 'array', items: { $ref: '#/definitions/Item' } });
    expect(c.functions['g']!.input).toEqual({ type: 'array', items: { $ref: '#/definitions/Item_2' } });
    expect(c.definitions['Item_2']).toMatchObject({ properties: { sku: { type: 'number' } } });
  });
});
