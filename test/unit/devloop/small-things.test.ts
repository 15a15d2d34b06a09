/** Small things a user hit: codegen output permissions, a browser set-up that never prompts. */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { writeOutput } from '../../../codegen/emit/write.js';

describe('codegen output folder', () => {
  it('gets the usual permissions (umask), not mkdtemp’s 0700', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'perm-'));
    try {
      const out = join(dir, 'codegen');
      await writeOutput(out, { 'a/b.json': '{}', '.svc-codegen.json': '{}' });
      const expected = 0o777 & ~process.umask();
      expect(statSync(out).mode & 0o777).toBe(expected);
      // replacing it keeps that
      await writeOutput(out, { 'a/c.json': '{}', '.svc-codegen.json': '{}' });
      expect(statSync(out).mode & 0o777).toBe(expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('scripts/setup-browser.sh', () => {
  it('never prompts for a password: without password-less sudo it says what it needs and stops', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'browser-'));
    try {
      const bin = join(dir, 'bin');
      mkdirSync(bin);
      const fake = (name: string, body: string) => {
        writeFileSync(join(bin, name), `#!/usr/bin/env bash\n${body}\n`);
        chmodSync(join(bin, name), 0o755);
      };
      fake('id', 'echo 1000');
      // a sudo that would prompt: it logs every call, and only -n fails fast
      fake(
        'sudo',
        `printf '%s\\n' "$*" >> ${join(dir, 'sudo.log')}\nif [ "$1" = "-n" ]; then exit 1; fi\nread -r -p "[sudo] password: " x`,
      );
      fake('apt-get', `echo "$@" >> ${join(dir, 'apt.log')}`);
      const script = fileURLToPath(new URL('../../../scripts/setup-browser.sh', import.meta.url));
      const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
        const p = execFile(
          'bash',
          [script],
          {
            env: { ...process.env, PATH: `${bin}:${process.env['PATH']}`, SVC_MESH_CHROMIUM: join(dir, 'no-chromium') },
            timeout: 20_000,
          },
          (err, _o, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
        );
        p.stdin?.end();
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/need Debian's chromium at .*no-chromium/);
      expect(r.stderr).toContain('sudo would ask for a password');
      expect(r.stderr).toContain('sudo apt-get install chromium');
      expect(readFileSync(join(dir, 'sudo.log'), 'utf8').trim().split('\n')).toEqual(['-n true']);
      expect(() => readFileSync(join(dir, 'apt.log'))).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
