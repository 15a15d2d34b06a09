/**
 * Light checks of examples/: each loads with the codegen loader, and the generated graph has
 * exactly the edges the README and the demo describe. (The real `serverless package` of each
 * example, the golden files and IAM simulation are codegen's tests.)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { generate, loadProject } from '../../codegen/index.js';

const root = fileURLToPath(new URL('../../examples/', import.meta.url));
const opts = { stage: 'dev', stageFallback: [], account: '000000000000', region: 'us-east-1' };

describe('examples/*/*/serverless.yml', () => {
  const files = ['serverless-2016', 'shop'].flatMap((ex) =>
    readdirSync(`${root}${ex}`, { withFileTypes: true })
      .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
      .map((d) => `${ex}/${d.name}/serverless.yml`),
  );

  it('are realistic Serverless Framework v3 services with the svc-mesh plugin', () => {
    expect(files).toHaveLength(9);
    for (const f of files) {
      // Prepare
      const doc = parse(readFileSync(`${root}${f}`, 'utf8')) as {
        service: string;
        provider: Record<string, unknown>;
        plugins: string[];
        functions: Record<string, { handler: string }>;
      };

      // Assess
      expect(doc.service, f).toBe(f.split('/')[1]);
      expect(doc.provider, f).toMatchObject({ name: 'aws', runtime: 'nodejs22.x', region: 'us-east-1' });
      expect(doc.plugins, f).toEqual(['svc-mesh-tools/serverless']);
      for (const fn of Object.values(doc.functions)) expect(fn.handler, f).toMatch(/^[A-Za-z]+\.[A-Za-z]+$/);
    }
  });
});

describe('examples/serverless-2016', () => {
  it('has the services, calls and subscriptions of the 2016 plan', async () => {
    // Act
    const g = generate(await loadProject([`${root}serverless-2016`], opts));

    // Assess
    expect(Object.keys(g.policies).sort()).toEqual([
      'helloService:hello',
      'otherService:someFunction',
      'subscriberService:createUser',
      'subscriberService:sendWelcomeEmail',
      'testService:publicFunction',
    ]);
    expect(g.graph).toContain('helloService__hello --> otherService__someFunction');
    expect(g.graph).toMatch(/subscriberService__createUser -\. "start" \.-> subscriberService__sendWelcomeEmail/);
    expect(g.graph).toMatch(/testService__publicFunction -\. "failed" \.-> subscriberService__sendWelcomeEmail/);
  });
});

describe('examples/shop', () => {
  it('has the sync calls, the async call and the filtered subscriptions the demo plays', async () => {
    // Act
    const project = await loadProject([`${root}shop`], opts);
    const g = generate(project);

    // Assess
    for (const edge of [
      'orders__placeOrder --> inventory__reserve',
      'orders__placeOrder --> inventory__release',
      'orders__placeOrder --> payments__charge',
      'payments__charge --> ledger__record',
    ])
      expect(g.graph).toContain(edge);
    expect(g.graph).toMatch(/payments__charge -\. "failed \(filtered\)" \.-> notifications__onPaymentFailed/);
    expect(g.graph).toMatch(/orders__placeOrder -\. "success \(filtered\)" \.-> notifications__onOrderPlaced/);
    expect(
      g.seed.subscriptions.find((s) => s.functionArn.endsWith('notifications-dev-onOrderPlaced'))?.filterPolicy,
    ).toEqual({
      svcmesh_type: ['success'],
      traceparent: [{ exists: true }],
    });
    expect(
      g.seed.subscriptions.find((s) => s.functionArn.endsWith('notifications-dev-onPaymentFailed'))?.filterPolicy,
    ).toEqual({ svcmesh_type: ['failed'], svcmesh_code: ['CARD_DECLINED'] });
  });

  it('resolves a per-developer stage that falls back to dev', async () => {
    // Act
    const g = generate(
      await loadProject([`${root}shop`], {
        ...opts,
        stage: 'alice',
        stageFallback: ['dev'],
      }),
    );

    // Assess: orders@alice may invoke dev's payments (fallback), and nothing it does not call.
    const policy = JSON.stringify(g.policies['orders:placeOrder']);
    expect(policy).toContain('function:payments-dev-charge');
    expect(policy).toContain('function:payments-alice-charge');
    expect(policy).not.toContain('ledger');
  });
});
