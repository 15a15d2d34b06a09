import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Diagnostic, generate, isCodegenError, loadProject } from '../../codegen/index.js';
import { handlers, runCodegen, service, tempProject } from './helpers/project.js';

async function diagnostics(files: Record<string, string>): Promise<Diagnostic[]> {
  using p = tempProject(files);
  const err = await loadProject([p.dir], { stage: 'dev' }).catch((e: unknown) => e);
  if (!isCodegenError(err)) throw new Error(`expected a CodegenError, got ${String(err)}`);
  return err.diagnostics.map((d) => ({ ...d, file: d.file.slice(p.dir.length + 1) }));
}

const payments = service('payments', '  charge:\n    handler: h.charge\n  refund:\n    handler: h.refund\n');
const base = { 'payments/serverless.yml': payments, 'payments/h.ts': handlers('charge', 'refund') };
const orders = (fns: string, extra = '') => ({
  ...base,
  'orders/serverless.yml': service('orders', fns) + extra,
  'orders/h.ts': handlers('place', 'other'),
});

describe('Resiliency policies on calling: edges', () => {
  it('carries an edge policy to SVC_MESH_POLICIES (compact JSON) and labels the edge in graph.mmd', async () => {
    using p = tempProject(
      orders(
        '  place:\n    handler: h.place\n    timeout: 10\n    calling:\n      - payments:refund\n' +
          '      - payments:charge: { timeout: 2s, retries: 2, circuitBreaker: { consecutiveFailures: 3, halfOpenAfter: 30s }, maxConcurrent: 10, fallback: event }\n',
      ),
    );
    const project = await loadProject([p.dir], { stage: 'dev' });
    const place = project.services.find((s) => s.name === 'orders')!.functions[0]!;
    expect(place.calling.map((t) => `${t.service}:${t.function}`)).toEqual(['payments:refund', 'payments:charge']);
    const g = generate(project);
    expect(g.env['orders']!['place']!['SVC_MESH_CALLING']).toBe('payments:refund,payments:charge');
    expect(JSON.parse(g.env['orders']!['place']!['SVC_MESH_POLICIES']!)).toEqual({
      'payments:charge': {
        timeoutMs: 2000,
        retries: 2,
        breaker: { failures: 3, halfOpenMs: 30000 },
        maxConcurrent: 10,
        fallback: 'event',
      },
    });
    expect(g.env['orders']!['place']!['SVC_MESH_POLICIES']).not.toContain(' ');
    expect(g.graph).toContain(
      'orders__place -->|"timeout 2s · retries 2 · breaker 3/30s · max 10 · fallback event"| payments__charge',
    );
    expect(g.graph).toContain('orders__place --> payments__refund');
    // The IAM is the same as for the plain string form.
    expect(JSON.stringify(g.policies['orders:place'])).toContain('payments-dev-charge');
  });

  it('writes no SVC_MESH_POLICIES when no policy is declared', async () => {
    using p = tempProject(orders('  place:\n    handler: h.place\n    calling: [payments:charge]\n'));
    const g = generate(await loadProject([p.dir], { stage: 'dev' }));
    expect(g.env['orders']!['place']).not.toHaveProperty('SVC_MESH_POLICIES');
  });

  it('merges levels key by key: edge > service targets > callee resiliency: > service default', async () => {
    using p = tempProject({
      'payments/serverless.yml': service(
        'payments',
        '  charge:\n    handler: h.charge\n    resiliency: { maxConcurrent: 5, timeout: 3s, circuitBreaker: { halfOpenAfter: 10s } }\n  refund:\n    handler: h.refund\n',
      ),
      'payments/h.ts': handlers('charge', 'refund'),
      'orders/serverless.yml':
        service(
          'orders',
          '  place:\n    handler: h.place\n    calling:\n      - payments:charge: { retries: 0 }\n      - payments:refund\n',
        ) +
        'custom:\n  svcMesh:\n    resiliency:\n      default: { timeout: 4s, retries: 1 }\n      targets:\n        payments:charge: { circuitBreaker: { consecutiveFailures: 2 } }\n',
      'orders/h.ts': handlers('place'),
    });
    const g = generate(await loadProject([p.dir], { stage: 'dev' }));
    expect(JSON.parse(g.env['orders']!['place']!['SVC_MESH_POLICIES']!)).toEqual({
      'payments:charge': { timeoutMs: 3000, retries: 0, breaker: { failures: 2, halfOpenMs: 10000 }, maxConcurrent: 5 },
      'payments:refund': { timeoutMs: 4000, retries: 1 },
    });
  });
});

describe('Resiliency policies: bad input, each with its position, nothing generated', () => {
  const one = (policy: string, timeout = '') =>
    diagnostics(orders(`  place:\n    handler: h.place\n${timeout}    calling:\n      - payments:charge: ${policy}\n`));

  it.each([
    ['{ timeout: 0s }', 9, 37, 'timeout must be greater than zero'],
    ['{ timeout: -1s }', 9, 37, 'timeout must be greater than zero'],
    ['{ timeout: 2 }', 9, 37, 'timeout needs a unit: write 2s or 2ms'],
    ['{ retries: -1 }', 9, 37, 'retries must be 0 or more, got -1'],
    ['{ maxConcurrent: 0 }', 9, 43, 'maxConcurrent must be at least 1, got 0'],
    ['{ circuitBreaker: { consecutiveFailures: 0 } }', 9, 67, 'circuitBreaker.consecutiveFailures must be at least 1'],
    ['{ circuitBreaker: { halfOpenAfter: -5s } }', 9, 61, 'circuitBreaker.halfOpenAfter must be greater than zero'],
    ['{ timout: 2s }', 9, 28, "unknown policy key 'timout'; did you mean 'timeout'?"],
    [
      '{ circuitBreaker: { failures: 3 } }',
      9,
      46,
      "unknown key 'circuitBreaker.failures'; did you mean 'consecutiveFailures'?",
    ],
    ['{ fallback: sync }', 9, 38, "fallback must be 'event'"],
    ['{ queue: 3 }', 9, 26, "'queue' needs 'maxConcurrent'"],
  ])('%s', async (policy, line, col, message) => {
    const d = await one(policy);
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ file: 'orders/serverless.yml', line, col, severity: 'error' });
    expect(d[0]!.message).toContain(message);
    expect(d[0]!.message).toContain("calling 'payments:charge'");
  });

  it('a timeout not shorter than the caller’s own Lambda timeout', async () => {
    const d = await one('{ timeout: 6s }');
    expect(d).toEqual([
      {
        file: 'orders/serverless.yml',
        line: 9,
        col: 37,
        severity: 'error',
        message:
          "calling 'payments:charge' from orders:place: timeout 6s is not shorter than orders:place's own Lambda timeout (6s), so the caller would be killed first. Lower the timeout, or raise functions.place.timeout",
      },
    ]);
    using p = tempProject(
      orders(
        '  place:\n    handler: h.place\n    timeout: 10\n    calling:\n      - payments:charge: { timeout: 6s }\n',
      ),
    );
    await expect(loadProject([p.dir], { stage: 'dev' })).resolves.toBeDefined();
  });

  it('a service default timeout too long for one function is reported at the default', async () => {
    const d = await diagnostics(
      orders(
        '  place:\n    handler: h.place\n    timeout: 3\n    calling: [payments:charge]\n',
        'custom:\n  svcMesh:\n    resiliency:\n      default: { timeout: 5s }\n',
      ),
    );
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ line: 13, col: 27 });
    expect(d[0]!.message).toContain('timeout 5s is not shorter than orders:place');
  });

  it('a policy for an edge no function declares', async () => {
    const d = await diagnostics(
      orders(
        '  place:\n    handler: h.place\n    calling: [payments:charge]\n',
        'custom:\n  svcMesh:\n    resiliency:\n      targets:\n        payments:refund: { retries: 1 }\n',
      ),
    );
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ line: 13, col: 9, severity: 'error' });
    expect(d[0]!.message).toContain(
      "custom.svcMesh.resiliency.targets has a policy for 'payments:refund', but no function of service 'orders' lists it under calling:",
    );
  });

  it('a calling: entry with two targets in one mapping', async () => {
    const d = await diagnostics(
      orders('  place:\n    handler: h.place\n    calling:\n      - { payments:charge: {}, payments:refund: {} }\n'),
    );
    expect(d[0]).toMatchObject({ line: 9, col: 9 });
    expect(d[0]!.message).toContain('put each target on its own');
  });

  it('the CLI exits 1 and writes nothing', async () => {
    using p = tempProject(
      orders('  place:\n    handler: h.place\n    calling:\n      - payments:charge: { timeout: 0s }\n'),
    );
    const out = join(p.dir, 'out');
    const r = await runCodegen([p.dir, '--out', out, '--no-types']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /orders\/serverless\.yml:9:37: error: calling 'payments:charge': timeout must be greater than zero/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('the CLI writes the policy into env/ and graph.mmd', async () => {
    using p = tempProject(
      orders('  place:\n    handler: h.place\n    calling:\n      - payments:charge: { retries: 1 }\n'),
    );
    const out = join(p.dir, 'out');
    expect((await runCodegen([p.dir, '--out', out, '--no-types'])).code).toBe(0);
    expect(readFileSync(join(out, 'graph.mmd'), 'utf8')).toContain('-->|"retries 1"|');
  });
});
