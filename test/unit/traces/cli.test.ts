import { describe, expect, it } from 'vitest';
import { formatWaterfall, run } from '../../../tools/cli/commands/traces.js';
import { normaliseRequest } from '../../../tools/local/traces/otlp.js';
import { TraceStore } from '../../../tools/local/traces/TraceStore.js';
import { hex, otlpRequest, postOtlp, scenarioSpans } from './otlpFixtures.js';
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
    await postOtlp(srv.url, sc.traceId, sc.spans);
    const out = await capture(undefined, { last: true, endpoint: srv.url });
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^orders:placeOrder .* 61\.0 ms .* 7 spans .* 4 services .* ✗ 1 error$/);
    expect(lines[2]).toMatch(/^cause: payments:charge \(payments\): CardDeclinedError.*: card declined$/);
    expect(out).toContain(`trace ${sc.traceId}`);
    const row = (name: string) => lines.find((l) => l.includes(name)) ?? '';
    expect(row('└─ invoke payments:charge')).toMatch(/orders .*40\.0 ms/);
    expect(row('└─ payments:charge')).toMatch(/✗ CardDeclinedError \[CARD_DECLINED\]: card dec/);
    expect(row('└─ ledger:record [async]')).toMatch(/│ {2}└─ ledger:record \[async\] .*ledger .*┄+▓+ .*12\.0 ms/);
    expect(row('publish payments:charge failed [event]')).toMatch(/└─ publish/);
    expect(row('alerts:onPaymentFailed')).toMatch(/alerts .*·+▒+ .*9\.00 ms/);
    expect(row('└─ ledger:record [async]')).not.toContain('✗');
    // the same trace by id
    expect(await capture(sc.traceId, { endpoint: srv.url })).toBe(out);
    // and by an unambiguous prefix
    expect(await capture(sc.traceId.slice(0, 8), { endpoint: srv.url })).toBe(out);
    // the list
    const list = await capture(undefined, { endpoint: srv.url });
    expect(list).toMatch(
      new RegExp(
        `${sc.traceId}\\s+orders:placeOrder ✗ payments:charge: \\[CARD_DECLINED\\] card declined orders, payments, ledger, alerts`,
      ),
    );
  });

  it('fails with a clear, coded error for unknown ids, bad ids and an unreachable mesh', async () => {
    await using srv = await startTraceServer();
    await expect(capture(hex(16), { endpoint: srv.url })).rejects.toMatchObject({
      code: 'TRACE_NOT_FOUND',
      message: /not stored/,
    });
    await expect(capture('xyz', { endpoint: srv.url })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(capture('abc', { endpoint: srv.url })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(capture('abcd', { endpoint: srv.url })).rejects.toMatchObject({
      code: 'TRACE_NOT_FOUND',
      message: /no stored trace id starts with abcd/,
    });
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

describe('Command: svc-mesh traces --follow', () => {
  it('prints each new trace once it settles, and again only if it grows', async () => {
    await using srv = await startTraceServer();
    const ac = new AbortController();
    let out = '';
    const done = run(undefined, {
      follow: true,
      endpoint: srv.url,
      settleMs: 50,
      color: false,
      width: 140,
      signal: ac.signal,
      out: (t) => (out += t),
    });
    const sc = scenarioSpans();
    const post = (spans: typeof sc.spans) => postOtlp(srv.url, sc.traceId, spans);
    const waitFor = async (cond: () => boolean) => {
      while (!cond()) await new Promise((r) => setTimeout(r, 20));
    };
    await waitFor(() => out.includes('Following'));
    await post(sc.spans.slice(0, 3));
    await waitFor(() => out.includes(`trace ${sc.traceId}`));
    expect(out).toMatch(/orders:placeOrder .* 3 spans/);
    await post(sc.spans.slice(3));
    await waitFor(() => /7 spans/.test(out));
    expect(out.split(`trace ${sc.traceId}`)).toHaveLength(3); // printed twice: 3 spans, then 7
    ac.abort();
    await done;
  });
});

describe('Function: formatWaterfall', () => {
  it('gives a span that starts at the very end a cell, and keeps long error messages within the width', () => {
    const store = new TraceStore();
    const t = hex(16);
    const root = hex(8);
    store.ingest(
      normaliseRequest(
        otlpRequest(t, [
          { service: 'orders', spanId: root, name: 'root', kind: 2, startMs: 1000, durationMs: 10 },
          {
            service: 'orders',
            spanId: hex(8),
            parentSpanId: root,
            name: 'last',
            kind: 4,
            startMs: 1010,
            durationMs: 0,
            error: { type: 'BoomError', message: 'x'.repeat(500) },
          },
        ]),
      ).request,
    );
    const out = formatWaterfall(store.get(t)!, { color: false, width: 120 });
    const last = out.split('\n').find((l) => l.includes('└─ last'))!;
    expect(last).toMatch(/█ +0 µs/);
    expect(last).toContain('✗ BoomError: xxx');
    expect([...last].length).toBeLessThanOrEqual(120);
    // one service: singular words in the header
    expect(out.split('\n')[0]).toMatch(/ 2 spans .* 1 service .* ✗ 1 error$/);
  });
});

describe('Command: svc-mesh traces --serve', () => {
  it('runs a standalone collector and viewer, persists, and stops cleanly on SIGINT', async () => {
    const { spawn } = await import('node:child_process');
    const { mkdtempSync, readFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const file = join(mkdtempSync(join(tmpdir(), 'svc-mesh-serve-')), 'traces.jsonl');
    const bin = new URL('../../../tools/bin/svc-mesh.js', import.meta.url);
    const child = spawn(process.execPath, [bin.pathname, 'traces', '--serve', '--port', '0', '--persist', file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d;
        const m = /viewer (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('close', () => reject(new Error(`exited early: ${err}`)));
    });
    const sc = scenarioSpans();
    const res = await postOtlp(url, sc.traceId, sc.spans);
    expect(res.status).toBe(200);
    expect((await fetch(`${url}/`)).status).toBe(200);
    // DNS rebinding and other sites' pages are refused, as by the mesh (docs/security.md)
    const { request } = await import('node:http');
    const status = (headers: Record<string, string>, method = 'GET') =>
      new Promise<number>((resolve, reject) => {
        const r = request(`${url}/api/traces`, { method, headers }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        r.on('error', reject);
        r.end();
      });
    expect(await status({ host: 'rebind.example:4318' })).toBe(403);
    expect(await status({ origin: 'http://evil.example' }, 'DELETE')).toBe(403);
    expect(await capture(undefined, { last: true, endpoint: url })).toContain(sc.traceId);
    child.kill('SIGINT');
    expect(await new Promise((resolve) => child.on('close', resolve))).toBe(0);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!).resourceSpans).toHaveLength(4);
  });
});
