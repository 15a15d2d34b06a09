/**
 * The generated pieces working together with the real runtime: a function configured with the
 * generated SVC_MESH_* environment calls through a generated client, resolves through the
 * generated discovery record (real SSM and Lambda clients against a wire-protocol server), and
 * an undeclared target is refused before any request.
 */
import { join } from 'node:path';
import { resetDefaults } from 'svc-mesh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate, loadProject } from '../../codegen/index.js';
import { startWireServer, type WireServer } from '../helpers/wire-server.js';
import { clients } from './__golden__/generated/typed/clients.js';

const saved = { ...process.env };
let ws: WireServer;

beforeAll(async () => {
  const project = await loadProject([join(import.meta.dirname, '../fixtures/codegen/typed')], {
    stage: 'dev',
    account: '000000000000',
    region: 'us-east-1',
  });
  const g = generate(project);
  ws = await startWireServer({ account: '000000000000', region: 'us-east-1' });
  for (const p of g.seed.parameters) ws.parameters.set(p.name, p.value);
  ws.functions.set('typedBilling-dev-chargeCard', {
    handler: async (event: { amountCents: number }) => ({ chargeId: `ch_${event.amountCents}`, status: 'paid' }),
  });
  // This process plays typedAccounts:topUp, configured exactly as codegen says.
  Object.assign(process.env, g.env['typedAccounts']!['topUp']!, {
    AWS_ENDPOINT_URL: ws.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
  resetDefaults();
});

afterAll(async () => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
  resetDefaults();
  await ws?.close();
});

describe('Generated clients at runtime', () => {
  it('calls the declared target through its generated discovery record', async () => {
    const out = await clients.typedBilling.chargeCard({ amountCents: 250, currency: 'EUR', card: 'tok_visa' });
    expect(out).toEqual({ chargeId: 'ch_250', status: 'paid' });
    expect(ws.invokes.map((i) => [i.functionName, i.invocationType])).toEqual([
      ['typedBilling-dev-chargeCard', 'RequestResponse'],
    ]);
    expect(JSON.parse(ws.invokes[0]!.payload)).toEqual({ amountCents: 250, currency: 'EUR', card: 'tok_visa' });
  });

  it('refuses a target that is not under calling:, before any request', async () => {
    const before = ws.invokes.length;
    await expect(clients.typedBilling.refund({ chargeId: 'ch_1' })).rejects.toMatchObject({ code: 'UNDECLARED_CALL' });
    expect(ws.invokes.length).toBe(before);
  });
});
