/**
 * A discovery record names its target (issue 12 item 3): codegen writes version 2 records
 * `{v:2, service, function, stage, functionArn, …}`, and the runtime refuses a record that is not
 * the one of the target it resolved (InvalidDiscoveryRecordError, INVALID_DISCOVERY_RECORD)
 * before invoking anything. Version 1 records, which name nothing, are still read when their
 * function is the target's default Lambda name. Real SSM and Lambda SDK clients, wire server.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DiscoveryRecordError,
  InvalidDiscoveryRecordError,
  createSdk,
  isDiscoveryRecordError,
  isInvalidDiscoveryRecordError,
} from 'svc-mesh';
import { generate, loadProject } from '../../../codegen/index.js';
import { startWireServer } from '../../helpers/wire-server.js';
import { wireSdk } from '../../helpers/sdk.js';

const ROOT = join(import.meta.dirname, '../../..');

async function setup() {
  const ws = await startWireServer({
    functions: {
      'payments-dev-charge': async () => ({ status: 'charged' }),
      'inventory-dev-release': async () => ({ status: 'confirmed' }),
      'payments-prod-charge': async () => ({ status: 'charged in prod' }),
      'billing-v2': async () => ({ status: 'custom name' }),
    },
  });
  const sdk = wireSdk(ws, { stage: 'dev' });
  return { ws, sdk };
}

const v2 = (service: string, fn: string, stage: string, arn: string) =>
  JSON.stringify({ v: 2, service, function: fn, stage, functionArn: arn });

describe('Discovery records identify their target', () => {
  it("refuses another target's record copied to this target's name, invoking nothing", async () => {
    const { ws, sdk } = await setup();
    await using _ = ws;
    ws.parameters.set(
      '/svc-mesh/dev/payments/charge',
      v2('inventory', 'release', 'dev', ws.arn('inventory-dev-release')),
    );
    const err = await sdk.invoke('payments:charge', { amountCents: 100 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidDiscoveryRecordError);
    expect(err).toBeInstanceOf(DiscoveryRecordError);
    expect(isInvalidDiscoveryRecordError(err) && isDiscoveryRecordError(err)).toBe(true);
    const e = err as InvalidDiscoveryRecordError;
    expect(e.code).toBe('INVALID_DISCOVERY_RECORD');
    expect(e.retryable).toBe(false);
    expect(e.source).toBe('ssm:/svc-mesh/dev/payments/charge');
    expect(e.expected).toEqual({ service: 'payments', function: 'charge', stage: 'dev' });
    expect(e.found).toMatchObject({ service: 'inventory', function: 'release', stage: 'dev' });
    expect(e.message).toMatch(
      /record of inventory:release in stage 'dev', but it was read as the record of payments:charge/,
    );
    expect(ws.invokes).toEqual([]);
  });

  it("refuses a record of another stage (prod's record under dev)", async () => {
    const { ws, sdk } = await setup();
    await using _ = ws;
    ws.parameters.set(
      '/svc-mesh/dev/payments/charge',
      v2('payments', 'charge', 'prod', ws.arn('payments-prod-charge')),
    );
    await expect(sdk.invoke('payments:charge', {})).rejects.toBeInstanceOf(InvalidDiscoveryRecordError);
    expect(ws.invokes).toEqual([]);
  });

  it('accepts its own record, in a fallback stage too, whatever the Lambda name', async () => {
    const { ws, sdk } = await setup();
    await using _ = ws;
    ws.parameters.set('/svc-mesh/dev/billing/charge', v2('billing', 'charge', 'dev', ws.arn('billing-v2')));
    expect(await sdk.invoke('billing:charge', {})).toEqual({ status: 'custom name' });
    const alice = createSdk({
      region: 'us-east-1',
      endpoint: ws.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      env: {},
      stage: 'alice',
      stageFallback: ['dev'],
    });
    expect(await alice.invoke('billing:charge', {})).toEqual({ status: 'custom name' });
    expect((await alice.resolve('billing:charge')).stage).toBe('dev');
  });

  it('still reads a version-1 record whose function is the default name, and refuses a copied one', async () => {
    const { ws, sdk } = await setup();
    await using _ = ws;
    ws.parameters.set(
      '/svc-mesh/dev/payments/charge',
      JSON.stringify({ v: 1, functionArn: ws.arn('payments-dev-charge') }),
    );
    expect(await sdk.invoke('payments:charge', {})).toEqual({ status: 'charged' });
    sdk.resolver.clear();
    ws.invokes.length = 0;
    ws.parameters.set(
      '/svc-mesh/dev/payments/charge',
      JSON.stringify({ v: 1, functionArn: ws.arn('inventory-dev-release') }),
    );
    const err = (await sdk.invoke('payments:charge', {}).catch((e: unknown) => e)) as InvalidDiscoveryRecordError;
    expect(err).toBeInstanceOf(InvalidDiscoveryRecordError);
    expect(err.found).toEqual({ functionArn: ws.arn('inventory-dev-release') });
    expect(err.message).toMatch(
      /version-1 record.*'inventory-dev-release' is not the default name 'payments-dev-charge'/,
    );
    expect(ws.invokes).toEqual([]);
  });

  it('codegen writes version-2 records the runtime accepts, and refuses them swapped (examples/shop)', async () => {
    const project = await loadProject([join(ROOT, 'examples/shop')], { stage: 'dev', region: 'us-east-1' });
    const { seed } = generate(project);
    expect(seed.parameters.length).toBeGreaterThan(3);
    const { ws, sdk } = await setup();
    await using _ = ws;
    for (const p of seed.parameters) {
      const rec = JSON.parse(p.value);
      expect(Object.keys(rec).slice(0, 5)).toEqual(['v', 'service', 'function', 'stage', 'functionArn']);
      expect(rec.v).toBe(2);
      expect(p.name).toBe(`/svc-mesh/${rec.stage}/${rec.service}/${rec.function}`);
      ws.parameters.set(p.name, p.value);
    }
    for (const p of seed.parameters) {
      const [, , , service, fn] = p.name.split('/');
      const where = await sdk.resolve(`${service}:${fn}`);
      expect(where.functionArn).toBe(JSON.parse(p.value).functionArn);
    }
    // The rebinding attack of issue 12: payments:charge's record replaced by inventory:release's.
    const charge = seed.parameters.find((p) => p.name === '/svc-mesh/dev/payments/charge')!;
    const release = seed.parameters.find((p) => p.name === '/svc-mesh/dev/inventory/release')!;
    ws.parameters.set(charge.name, release.value);
    sdk.resolver.clear();
    await expect(sdk.resolve('payments:charge')).rejects.toBeInstanceOf(InvalidDiscoveryRecordError);
  });
});
