import { describe, expect, it } from 'vitest';
import { run } from '../../../src/cli/commands/traces.js';
import { hex, otlpRequest, scenarioSpans } from './otlpFixtures.js';
import { startTraceServer } from './traceServer.js';

async function capture(traceId: string | undefined, opts: Parameters<typeof run>[1]): Promise<string> {
  let out = '';
  await run(traceId, { color: false, width: 140, ...opts, out: (t) => (out += t) });
  return out;
}

describe('Command: svc-mesh traces', () => {
  it('prints the last trace as a waterfall with tree, hops, durations and error markers', async () => {
    await using srv = await startTraceServer();
    const sc = scenarioSpans();
    await fetch(`${srv.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(otlpRequest(sc.traceId, sc.spans)),
    });
    const out = await capture(undefined, { last: true, endpoint: srv.url });
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^orders:placeOrder .* 61\.0 ms .* 7 spans .* 4 services .* ✗ 3 errors/);
    expect(out).toContain(`trace ${sc.traceId}`);
    const row = (name: string) => lines.find((l) => l.includes(name)) ?? '';
    expect(row('└─ invoke payments:charge')).toMatch(/orders .*40\.0 ms/);
    expect(row('└─ payments:charge')).toMatch(/✗ CardDeclinedError: card declined/);
    expect(row('└─ ledger:record [async]')).toMatch(/│ {2}└─ ledger:record \[async\] .*ledger .*┄+▓+ .*12\.0 ms/);
    expect(row('publish payments:charge failed [event]')).toMatch(/└─ publish/);
    expect(row('alerts:onPaymentFailed')).toMatch(/alerts .*·+▒+ .*9\.00 ms/);
    expect(row('└─ ledger:record [async]')).not.toContain('✗');
    // the same trace by id
    expect(await capture(sc.traceId, { endpoint: srv.url })).toBe(out);
    // the list
    const list = await capture(undefined, { endpoint: srv.url });
    expect(list).toMatch(new RegExp(`${sc.traceId}\\s+orders:placeOrder ✗ orders, payments, ledger, alerts`));
  });

  it('fails with a clear, coded error for unknown ids, bad ids and an unreachable mesh', async () => {
    await using srv = await startTraceServer();
    await expect(capture(hex(16), { endpoint: srv.url })).rejects.toMatchObject({
      code: 'TRACE_NOT_FOUND',
      message: /not stored/,
    });
    await expect(capture('xyz', { endpoint: srv.url })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(capture(undefined, { last: true, endpoint: srv.url })).rejects.toMatchObject({
      code: 'TRACE_NOT_FOUND',
    });
    await srv.close();
    await expect(capture(undefined, { last: true, endpoint: srv.url })).rejects.toMatchObject({
      code: 'MESH_UNREACHABLE',
      message: /svc-mesh dev/,
    });
  });
});
