/**
 * Property test of the IAM split: whatever the calling list, the policies hold exactly the
 * declared grants (nothing lost, nothing added, no wildcard), every part fits its quota, and
 * generation fails only when the grants truly cannot fit in the allowed number of policies.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Arns } from '../../codegen/emit/arns.js';
import { functionPolicies, INLINE_POLICY_QUOTA, MANAGED_POLICY_QUOTA, policySize } from '../../codegen/emit/iam.js';
import type { FunctionModel, PolicyDocument, Project, ServiceModel } from '../../codegen/index.js';

const loc = { file: '/p/serverless.yml', line: 1, col: 1 };

function fn(service: string, key: string, stages: string[], calling: FunctionModel['calling'] = []): FunctionModel {
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
    calling,
    subscribable: false,
    subscriptions: [],
    loc,
    locs: {},
  };
}

const svc = (name: string, functions: FunctionModel[]): ServiceModel => ({
  name,
  dir: '/p',
  file: '/p/serverless.yml',
  region: 'us-east-1',
  runtime: 'nodejs20.x',
  functions,
  loc,
  external: false,
});

const strings = (docs: PolicyDocument[], action: string) =>
  docs.flatMap((d) =>
    d.Statement.filter((s) => ([] as string[]).concat(s.Action).includes(action)).flatMap((s) =>
      ([] as string[]).concat(s.Resource),
    ),
  );

describe('Function: functionPolicies (property test)', () => {
  it('keeps exactly the declared grants within the quotas, or fails only past the managed-policy quota', () => {
    let failures = 0;
    let splits = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 450 }),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 1, max: 30 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 20 }),
        (targets, fallbacks, keyLen, concrete, maxManaged) => {
          const stages = ['dev', 'shared', 'qa'].slice(0, fallbacks + 1);
          const keys = Array.from({ length: targets }, (_, i) =>
            `f${String(i).padStart(3, '0')}${'x'.repeat(keyLen)}`.slice(0, 40),
          );
          const callee = svc(
            'billing',
            keys.map((k) => fn('billing', k, stages)),
          );
          const caller = fn(
            'orders',
            'place',
            stages,
            keys.map((k) => ({ service: 'billing', function: k })),
          );
          const orders = svc('orders', [caller]);
          const project: Project = {
            options: {
              stage: 'dev',
              stageFallback: stages.slice(1),
              region: 'us-east-1',
              account: concrete ? '123456789012' : undefined,
              partition: 'aws',
              discovery: ['ssm'],
              ssmPrefix: '/svc-mesh',
              maxManagedPolicies: maxManaged,
            },
            services: [callee, orders],
            diagnostics: [],
            contracts: {},
          };
          const arns = Arns.preferred(project);
          const byName = new Map([
            ['billing', callee],
            ['orders', orders],
          ]);
          const res = functionPolicies(project, arns, orders, caller, byName);
          const expectedInvoke = keys.flatMap((k) =>
            stages.flatMap((s) => {
              const a = arns.lambda(`billing-${s}-${k}`, callee, orders);
              return [a, `${a}:*`];
            }),
          );
          const expectedRead = keys.flatMap((k) => stages.map((s) => arns.parameter(callee, 'billing', k, s, orders)));
          if (!Array.isArray(res)) {
            // Failing is only allowed when the grants really exceed what the allowed policies can
            // hold (greedy packing of small targets wastes little: at least 90% of the capacity).
            expect(res.message).toMatch(/svc-mesh does not widen grants to wildcards/);
            const grants = JSON.stringify(expectedInvoke).length + JSON.stringify(expectedRead).length;
            expect(grants).toBeGreaterThan(0.9 * (INLINE_POLICY_QUOTA + maxManaged * MANAGED_POLICY_QUOTA) - 1000);
            failures++;
            return;
          }
          expect(res.length - 1).toBeLessThanOrEqual(maxManaged);
          if (res.length > 1) splits++;
          expect(policySize(res[0]!)).toBeLessThanOrEqual(INLINE_POLICY_QUOTA);
          for (const d of res.slice(1)) expect(policySize(d)).toBeLessThanOrEqual(MANAGED_POLICY_QUOTA);
          expect(strings(res, 'lambda:InvokeFunction').sort()).toEqual([...expectedInvoke].sort());
          expect(strings(res, 'ssm:GetParameters').sort()).toEqual([...expectedRead].sort());
          for (const r of res.flatMap((d) => d.Statement.flatMap((s) => ([] as string[]).concat(s.Resource)))) {
            expect(r.replace(/:\*$/, '')).not.toContain('*');
          }
        },
      ),
      { numRuns: 80, seed: 20161020 },
    );
    // Both outcomes were exercised (the generator is biased towards long lists for that).
    expect(splits).toBeGreaterThan(0);
    expect(failures).toBeGreaterThan(0);
  });
});
