/** `svc-codegen --watch` regenerates typed clients and contracts as handler types change. */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'tools/bin/svc-codegen.js');

async function until(cond: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 50));
  }
}

it('svc-codegen --watch regenerates the clients when a handler type changes, and stops on Ctrl-C', async () => {
  mkdirSync(join(ROOT, '.svc-mesh'), { recursive: true });
  const dir = mkdtempSync(join(ROOT, '.svc-mesh', 'codegen-watch-'));
  const project = join(dir, 'typed');
  cpSync(join(ROOT, 'test/fixtures/codegen/typed'), project, { recursive: true });
  const svc = join(project, 'typedAccounts');
  const out = join(dir, 'out');
  const proc = spawn(process.execPath, [BIN, project, '--out', out], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  // without --watch: one run and exit
  expect(await exited).toBe(0);
  const watching = spawn(process.execPath, [BIN, project, '--out', out, '--watch'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  err = '';
  watching.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const done = new Promise<number | null>((r) => watching.on('exit', (code) => r(code)));
  try {
    const clientFile = join(out, 'clients', 'typedAccounts.ts');
    await until(() => err.includes('watching'));
    expect(readFileSync(clientFile, 'utf8')).not.toContain('note');
    const handler = join(svc, 'handler.ts');
    writeFileSync(
      handler,
      readFileSync(handler, 'utf8').replace('amountCents: number }', 'amountCents: number; note?: string }'),
    );
    await until(() => existsSync(clientFile) && readFileSync(clientFile, 'utf8').includes('note?: string'));
    watching.kill('SIGINT');
    expect(await done).toBe(0);
  } finally {
    watching.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
