import { describe, expect, it } from 'vitest';
import { createSdk } from '../../../src/index.js';

const base = { region: 'us-east-1', routes: { 'payments:charge': 'payments-dev-charge' } };
const code = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: { code?: string; message?: string }) => `${e.code}: ${e.message}`,
  );

describe('Resiliency configuration in the runtime', () => {
  it.each([
    ['{"payments:charge":{"breaker":{"failures":0,"halfOpenMs":10}}}', 'breaker.failures must be a whole number ≥ 1'],
    ['{"payments:charge":{"timeout":2000}}', 'unknown key "timeout"'],
    ['{"payments:charge":{"fallback":"sync"}}', 'fallback must be "event"'],
    ['[1]', 'must be an object'],
    ['{nope', 'is not valid JSON'],
  ])('SVC_MESH_POLICIES=%s is an INVALID_CONFIG error naming the setting, before any request', async (raw, message) => {
    let sent = 0;
    const lambda = {
      send: async () => {
        sent++;
        return { StatusCode: 200, Payload: new Uint8Array(), $metadata: {} };
      },
    };
    const r = await code(
      Promise.resolve().then(() =>
        createSdk({ ...base, env: { SVC_MESH_POLICIES: raw }, clients: { lambda } }).invoke('payments:charge', {}),
      ),
    );
    expect(r).toMatch(/^INVALID_CONFIG: SVC_MESH_POLICIES/);
    expect(r).toContain(message);
    expect(sent).toBe(0);
  });

  it('SVC_MESH_FAULTS naming a target this function does not call, or a bad probability, is refused', async () => {
    const env = (faults: string) => ({ SVC_MESH_FAULTS: faults, SVC_MESH_CALLING: 'payments:charge' });
    expect(await code(createSdk({ ...base, env: env('ledger:record=error') }).invoke('payments:charge', {}))).toContain(
      "SVC_MESH_FAULTS: fault 'ledger:record=error' names 'ledger:record', which this function does not call",
    );
    expect(
      await code(createSdk({ ...base, env: env('payments:charge=error:-1%') }).invoke('payments:charge', {})),
    ).toContain('outside 0–100%');
  });

  it('health() without any call reports declared breakers as closed, and nothing without policies', () => {
    expect(createSdk({ ...base, env: {} }).health()).toEqual({ breakers: {}, bulkheads: {}, faults: [] });
    const s = createSdk({
      ...base,
      env: {},
      policies: { 'payments:charge': { breaker: { failures: 3, halfOpenMs: 10 } } },
    });
    expect(s.health().breakers).toEqual({
      'payments:charge': { state: 'closed', failures: 0, threshold: 3, opens: 0 },
    });
  });
});
