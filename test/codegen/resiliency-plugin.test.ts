/**
 * Resiliency policies through the Serverless Framework v3 plugin (real `serverless package`,
 * offline): the framework accepts the `calling:` mapping form without a schema warning, and the
 * merged policy reaches the function's environment as SVC_MESH_POLICIES.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serverlessPackage } from '../helpers/serverless.js';

const ROOT = join(import.meta.dirname, '../..');
const out = mkdtempSync(join(tmpdir(), 'svc-sls-resilience-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('Serverless plugin: resiliency policies', () => {
  it('packages examples/resilience/checkout with SVC_MESH_POLICIES and no schema warning', {
    timeout: 180_000,
  }, async () => {
    const p = await serverlessPackage(join(ROOT, 'examples/resilience/checkout'), join(out, 'checkout'));
    const complaints = p.output
      .split('\n')
      .filter((l) => /^\s+at '|unrecognized propert|unsupported function event/i.test(l))
      .filter((l) => !l.includes("at 'provider.runtime'"));
    expect(complaints).toEqual([]);
    expect(p.output).toMatch(/Service packaged/);
    const env = p.template.Resources['PayLambdaFunction']!.Properties['Environment'].Variables;
    expect(env['SVC_MESH_CALLING']).toBe('payments:charge');
    expect(JSON.parse(env['SVC_MESH_POLICIES'])).toEqual({
      'payments:charge': { timeoutMs: 3000, retries: 0, breaker: { failures: 2, halfOpenMs: 1000 }, fallback: 'event' },
    });
  });
});
