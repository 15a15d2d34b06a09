/**
 * The README cannot drift from reality: from a fresh `git clone` of HEAD (reusing this checkout's
 * node_modules through a symlink), every documented `svc-mesh` / `svc-codegen` command must name a
 * real subcommand and real flags, every `npm run` script must exist, every relative link must
 * resolve, and the cheap commands are run for real: codegen, the contract check, and
 * `svc-mesh dev` → `svc-mesh invoke` → `svc-mesh traces` against the local mesh.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevProcess } from '../helpers/dev-process.js';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../..', import.meta.url));
const DOCS = ['README.md', 'examples/shop/README.md', 'examples/serverless-2016/README.md'];
const SUBCOMMANDS: Record<string, string[]> = { 'svc-mesh': ['dev', 'invoke', 'traces'], 'svc-codegen': ['check'] };

/** Lines of the ```sh blocks of a Markdown file, without comments. */
function shellLines(md: string): string[] {
  const out: string[] = [];
  for (const m of md.matchAll(/```(?:sh|bash|shell)\n([\s\S]*?)```/g)) {
    for (const raw of (m[1] ?? '').split('\n')) {
      const line = raw.replace(/\s+#\s.*$/, '').trim();
      if (line && !line.startsWith('#')) out.push(line);
    }
  }
  return out;
}

/** Splits a command line like a POSIX shell would for the simple lines we document (quotes, no escapes). */
function argv(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)) out.push(m[1] ?? m[2] ?? m[3] ?? '');
  return out;
}

let clone = '';
const help = new Map<string, string>();

async function node(bin: string, args: string[], cwd = clone) {
  return run(process.execPath, [join(cwd, 'tools', 'bin', `${bin}.js`), ...args], { cwd, timeout: 120_000 });
}

async function helpOf(bin: string, sub: string | undefined): Promise<string> {
  const key = `${bin} ${sub ?? ''}`;
  if (!help.has(key)) help.set(key, (await node(bin, sub ? [sub, '--help'] : ['--help'])).stdout);
  return help.get(key) ?? '';
}

beforeAll(async () => {
  // A fresh clone of HEAD: what a newcomer (and CI) gets, without anyone's uncommitted work.
  clone = mkdtempSync(join(os.tmpdir(), 'svc-mesh-readme-'));
  await run('git', ['clone', '--quiet', '--depth', '1', `file://${repo}`, clone], { timeout: 60_000 });
  symlinkSync(join(repo, 'node_modules'), join(clone, 'node_modules'), 'dir');
});

afterAll(() => {
  if (clone) rmSync(clone, { recursive: true, force: true });
});

describe('README.md', () => {
  it('gives the two fresh-machine commands, and CI runs both', () => {
    // Prepare
    const lines = shellLines(readFileSync(join(clone, 'README.md'), 'utf8'));
    const ci = readFileSync(join(clone, '.ci/run'), 'utf8');

    // Assess
    expect(lines).toContain('npm ci && npm run demo');
    expect(lines).toContain('npm ci && npm test');
    expect(ci).toMatch(/npm ci\b.*&& npm test/);
    expect(ci).toMatch(/npm run demo/);
  });

  it('names only npm scripts that exist', () => {
    // Prepare
    const scripts = Object.keys(
      (JSON.parse(readFileSync(join(clone, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts,
    );
    const named = DOCS.flatMap((d) => shellLines(readFileSync(join(clone, d), 'utf8')))
      .flatMap((l) => [...l.matchAll(/npm (?:run (\S+)|(test)\b)/g)])
      .map((m) => m[1] ?? m[2] ?? '');

    // Assess
    expect(named.length).toBeGreaterThan(3);
    for (const s of named) expect(scripts, `npm run ${s}`).toContain(s);
  });

  it('links only to files that exist', () => {
    for (const doc of [...DOCS, 'docs/configuration.md', 'docs/concepts.md']) {
      // Prepare
      const md = readFileSync(join(clone, doc), 'utf8');
      const links = [...md.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)]
        .map((m) => m[1] ?? '')
        .filter((l) => !/^[a-z]+:/.test(l));

      // Assess
      for (const l of links) expect(existsSync(resolve(dirname(join(clone, doc)), l)), `${doc} → ${l}`).toBe(true);
    }
  });

  it('documents only svc-mesh and svc-codegen subcommands and flags that exist', { timeout: 120_000 }, async () => {
    // Prepare
    const commands = DOCS.flatMap((d) => shellLines(readFileSync(join(clone, d), 'utf8')))
      .map(argv)
      .filter((a) => a[0] === 'npx' && (a[1] === 'svc-mesh' || a[1] === 'svc-codegen'));
    expect(commands.length).toBeGreaterThan(10);

    for (const [, bin = '', ...rest] of commands) {
      // Act
      const sub = SUBCOMMANDS[bin]?.includes(rest[0] ?? '') ? rest[0] : undefined;
      if (bin === 'svc-mesh') expect(sub, `svc-mesh ${rest.join(' ')}: unknown subcommand`).toBeDefined();
      const text = await helpOf(bin, sub);

      // Assess
      for (const flag of rest.filter((a) => a.startsWith('--')).map((a) => a.split('=')[0] ?? a))
        expect(text, `${bin} ${sub ?? ''} ${flag}`).toContain(`${flag} `);
    }
  });
});

describe('configuration reference', () => {
  it('documents every SVC_MESH_* variable the code reads, and only those', async () => {
    // Prepare
    const { ENV } = await import('../../src/internal/env.js');
    const readme = readFileSync(join(repo, 'README.md'), 'utf8');
    const config = readFileSync(join(repo, 'docs/configuration.md'), 'utf8');
    const code = ['src', 'codegen'].map((d) => run('grep', ['-rhoE', 'SVC_MESH_[A-Z_]*[A-Z]', join(repo, d)]));
    const inCode = new Set((await Promise.all(code)).flatMap((r) => r.stdout.split('\n')).filter(Boolean));

    // Assess
    for (const v of Object.values(ENV)) {
      expect(readme, `README.md: ${v}`).toContain(v);
      expect(config, `docs/configuration.md: ${v}`).toContain(v);
    }
    for (const v of new Set(
      [...readme.matchAll(/SVC_MESH_[A-Z_]*[A-Z]/g), ...config.matchAll(/SVC_MESH_[A-Z_]*[A-Z]/g)].map((m) => m[0]),
    ))
      expect(inCode, `${v} is documented but not in src/ or codegen/`).toContain(v);
  });

  it('lists every stable error code', async () => {
    // Prepare
    const { ERROR_CODES } = await import('../../src/errors/codes.js');
    const config = readFileSync(join(repo, 'docs/configuration.md'), 'utf8');

    // Assess
    for (const code of Object.keys(ERROR_CODES)) expect(config, code).toContain(`\`${code}\``);
  });
});

describe('README.md commands, run from a fresh clone', () => {
  const readme = () => shellLines(readFileSync(join(clone, 'README.md'), 'utf8')).map(argv);
  const find = (pred: (a: string[]) => boolean) => {
    const a = readme().find(pred);
    expect(a, 'the README no longer documents this command').toBeDefined();
    return a ?? [];
  };

  it('svc-codegen writes IAM, CloudFormation, env, contracts, clients and the graph, and check passes', {
    timeout: 180_000,
  }, async () => {
    // Prepare
    const gen = find((a) => a[1] === 'svc-codegen' && a.includes('--out') && !a.includes('--no-types'));
    const check = find((a) => a[1] === 'svc-codegen' && a[2] === 'check');
    const against = check[check.indexOf('--against') + 1] ?? '';
    const out = gen[gen.indexOf('--out') + 1] ?? '';

    // Act
    await run('npx', ['--offline', ...gen.slice(1)], { cwd: clone, timeout: 120_000 });
    cpSync(join(clone, out, 'contracts'), join(clone, against), { recursive: true });
    const checked = await run('npx', ['--offline', ...check.slice(1)], { cwd: clone, timeout: 120_000 });

    // Assess
    for (const f of ['iam/orders-placeOrder.json', 'cloudformation/payments.json', 'env/ledger.json', 'graph.mmd'])
      expect(existsSync(join(clone, out, f)), f).toBe(true);
    expect(readFileSync(join(clone, out, 'contracts/payments.json'), 'utf8')).toContain('"card"');
    expect(existsSync(join(clone, out, 'clients'))).toBe(true);
    expect(checked.stdout + checked.stderr).toMatch(/no breaking changes/);
  });

  it('svc-mesh dev serves examples/shop; svc-mesh invoke and svc-mesh traces work against it', {
    timeout: 180_000,
  }, async () => {
    // Prepare: the documented dev command, on a free port instead of 4710.
    const dev = find((a) => a[1] === 'svc-mesh' && a[2] === 'dev' && a[3] === 'examples/shop' && a.length === 4);
    const invoke = find((a) => a[1] === 'svc-mesh' && a[2] === 'invoke' && a.includes('--endpoint'));
    const traces = find((a) => a[1] === 'svc-mesh' && a[2] === 'traces' && a.includes('--last'));
    await using mesh = await startDevProcess('npx', ['--offline', ...dev.slice(1), '--port', '0', '--quiet'], clone);
    const withEndpoint = (a: string[]) => a.map((x) => x.replace('http://127.0.0.1:4710', mesh.endpoint));

    // Act
    const invoked = await run('npx', ['--offline', ...withEndpoint(invoke).slice(1)], {
      cwd: clone,
      timeout: 60_000,
    });
    const shown = await run('npx', ['--offline', ...withEndpoint(traces).slice(1)], { cwd: clone, timeout: 60_000 });

    // Assess
    expect(JSON.parse(invoked.stdout)).toMatchObject({ status: 'confirmed', servedBy: { orders: 'dev' } });
    expect(shown.stdout).toContain('orders:placeOrder');
    expect(shown.stdout).toContain('payments:charge');
  });
});
