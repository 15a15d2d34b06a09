/** Help texts that read right, and the AWS SDK's Node-version notice said once, briefly. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nodeVersionNotice } from '../../../tools/cli/nodeNotice.js';

const run = (bin: string, args: string[]) =>
  new Promise<string>((resolve) => {
    execFile(
      process.execPath,
      [fileURLToPath(new URL(`../../../tools/bin/${bin}.js`, import.meta.url)), ...args],
      (_e, out, err) => resolve(out + err),
    );
  });

describe('CLI help', () => {
  it('says a --no-x flag turns a default-on feature off, never "(default: true)"', async () => {
    const help = await run('svc-mesh', ['dev', '--help']);
    expect(help).toMatch(
      /--no-iam\s+Do not enforce the generated IAM policies \(on by default; this flag turns it off\)/,
    );
    expect(help).toMatch(/--no-tracing .*\(on by default; this flag turns it off\)/);
    expect(help).not.toContain('(default: true)');
    const codegen = await run('svc-codegen', ['--help']);
    expect(codegen).toMatch(/--no-types .*\(on by default; this flag turns it off\)/);
    expect(codegen).not.toContain('(default: true)');
  }, 60_000);

  it('svc-codegen --help does not tell you to run svc-codegen --help', async () => {
    const help = await run('svc-codegen', ['--help']);
    expect(help).not.toMatch(/^\s*\$ svc-codegen --help\s*$/m);
    expect(help).toContain('$ svc-codegen check --help');
  }, 60_000);
});

describe('AWS SDK Node-version notice', () => {
  it('is one line, once per machine and Node major, and turns the SDK’s own off', () => {
    const dir = mkdtempSync(join(tmpdir(), 'notice-'));
    try {
      const lines: string[] = [];
      const env1: NodeJS.ProcessEnv = {};
      expect(nodeVersionNotice(env1, (t) => lines.push(t), dir, '20.1.0')).toBe(true);
      expect(env1['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED']).toBe('true');
      expect(lines).toHaveLength(1);
      expect(lines[0]!.trimEnd().split('\n')).toHaveLength(1);
      expect(lines[0]).toMatch(/Node 20\.1\.0: AWS SDK v3 .* need Node >= 22/);
      // a second command: silent, SDK still quiet
      const env2: NodeJS.ProcessEnv = {};
      expect(nodeVersionNotice(env2, (t) => lines.push(t), dir, '20.1.0')).toBe(false);
      expect(env2['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED']).toBe('true');
      expect(lines).toHaveLength(1);
      // Node 22: nothing to say; a user's own setting is left alone
      expect(nodeVersionNotice({}, (t) => lines.push(t), dir, '22.3.0')).toBe(false);
      const own: NodeJS.ProcessEnv = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'false' };
      expect(nodeVersionNotice(own, (t) => lines.push(t), dir, '18.0.0')).toBe(false);
      expect(own['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED']).toBe('false');
      expect(lines).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
