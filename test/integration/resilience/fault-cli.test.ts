/**
 * The CLI as a user runs it: `svc-mesh dev --fault …` starts with the fault, `svc-mesh fault`
 * changes and shows it, `svc-mesh invoke` sees it; a bad `--fault` starts nothing.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { startDevProcess } from '../../helpers/dev-process.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const bin = `${root}tools/bin/svc-mesh.js`;
const run = (args: string[]) =>
  promisify(execFile)(process.execPath, [bin, ...args], { cwd: root, timeout: 60_000 }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

describe('svc-mesh dev --fault and svc-mesh fault', () => {
  it('injects, shows, changes and clears faults on a running mesh', { timeout: 120_000 }, async () => {
    await using mesh = await startDevProcess(
      process.execPath,
      [bin, 'dev', 'examples/resilience', '--port', '0', '--quiet', '--no-tracing', '--fault', 'payments:charge=error'],
      root,
    );
    const e = ['--endpoint', mesh.endpoint];
    const failed = await run(['invoke', 'payments:charge', ...e, '--data', '{"orderId":"o1","amountCents":1}']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('errorType: InjectedFault');

    const shown = await run(['fault', ...e]);
    expect(shown.stdout).toBe(
      'Injecting: payments:charge=error\n  payments:charge=error: 1 injected of 1 matching calls\n',
    );
    expect((await run(['fault', 'checkout:pay->payments:charge=latency:10ms', '--add', ...e])).stdout).toContain(
      'Injecting: payments:charge=error, checkout:pay->payments:charge=latency:10ms',
    );
    const bad = await run(['fault', 'payments:charge=error:200%', ...e]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('the probability 200% is outside 0–100%');
    expect((await run(['fault', '--clear', ...e])).stdout).toBe('No faults injected.\n');
    const ok = await run(['invoke', 'payments:charge', ...e, '--data', '{"orderId":"o1","amountCents":1}']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ chargeId: 'ch_o1' });
  });

  it('a bad --fault starts nothing and says why', { timeout: 60_000 }, async () => {
    const r = await run(['dev', 'examples/resilience', '--port', '0', '--fault', 'payments:refund=crash']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("the local mesh runs no function 'payments:refund'");
    expect(r.stdout).not.toContain('local mesh on');
  });
});
