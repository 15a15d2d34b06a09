/**
 * The published package, as a user gets it: `npm run build` and `npm pack` on a copy of this
 * working tree, the tarball unpacked into a fresh project's node_modules, then the runtime, the
 * subpath exports, both binaries and the Serverless plugin used from there (from dist/, not from
 * the TypeScript sources). Also checks that every dependency is declared, used and permissively
 * licensed.
 */
import { execFile } from 'node:child_process';
import { builtinModules } from 'node:module';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevProcess } from '../helpers/dev-process.js';
import { serverlessPackage } from '../helpers/serverless.js';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../..', import.meta.url));

interface PackageJson {
  name: string;
  license: string;
  exports: Record<string, string | Record<string, string>>;
  bin: Record<string, string>;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
}

let work = '';
let pkgDir = '';
let app = '';
let files: string[] = [];
let manifest: PackageJson;

beforeAll(async () => {
  work = mkdtempSync(join(os.tmpdir(), 'svc-mesh-pack-'));
  // 1. Build and pack a copy, so the checkout's own dist/ never changes under other tests.
  const stage = join(work, 'stage');
  // What package.json's `files` lists (dist/ is built below), the licence npm adds by itself, and
  // what `npm run build` reads.
  const { files: listed } = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { files: string[] };
  for (const f of [...listed, 'LICENSE', 'package.json', 'tsconfig.json', 'tsconfig.build.json'])
    if (f !== 'dist') cpSync(join(repo, f), join(stage, f), { recursive: true });
  symlinkSync(join(repo, 'node_modules'), join(stage, 'node_modules'), 'dir');
  await run('npm', ['run', 'build'], { cwd: stage, timeout: 180_000 });
  const packed = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: stage, timeout: 60_000 });
  const info = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  files = (info[0]?.files ?? []).map((f) => f.path);

  // 2. A user's project: the tarball unpacked as node_modules/svc-mesh; every other package is
  // this checkout's (linked one by one, so 'svc-mesh' itself resolves only to the tarball).
  app = join(work, 'app');
  pkgDir = join(app, 'node_modules', 'svc-mesh');
  mkdirSync(pkgDir, { recursive: true });
  await run('tar', ['xzf', join(work, info[0]?.filename ?? ''), '-C', pkgDir, '--strip-components=1']);
  for (const name of readdirSync(join(repo, 'node_modules'))) {
    if (name.startsWith('.') || name === 'svc-mesh') continue;
    symlinkSync(join(repo, 'node_modules', name), join(app, 'node_modules', name), 'dir');
  }
  manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as PackageJson;
  cpSync(join(repo, 'examples/shop'), join(app, 'shop'), {
    recursive: true,
    filter: (src) => !src.includes('.svc-mesh') && !src.includes('.serverless'),
  });
  // The project's own package.json: ESM, like a user's handlers.
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The packed files under `prefix` whose name ends with one of `exts`. */
function packedFiles(prefix: string, exts: string[]): string[] {
  return files.filter((f) => f.startsWith(prefix) && exts.some((e) => f.endsWith(e)));
}

describe('the packed tarball', () => {
  it('ships the compiled code, its types, both binaries, the plugin and the licence, and no tests or examples', () => {
    // Assess
    for (const f of [
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/codegen/cli.js',
      'dist/src/cli/index.js',
      'bin/svc-mesh.js',
      'bin/svc-codegen.js',
      'serverless.cjs',
      'LICENSE',
      'README.md',
    ])
      expect(files, f).toContain(f);
    for (const f of files)
      expect(f, 'nothing from test/, bench/, examples/ or node_modules/').not.toMatch(
        /^(test|bench|examples|node_modules|scripts)\//,
      );
  });

  it('has a file behind every export and binary', () => {
    // Prepare
    const targets = [
      ...Object.values(manifest.exports).flatMap((e) => (typeof e === 'string' ? [e] : Object.values(e))),
      ...Object.values(manifest.bin),
    ];

    // Assess
    expect(targets.length).toBeGreaterThan(20);
    for (const t of targets) expect(files, t).toContain(t.replace(/^\.\//, ''));
  });

  it('declares every package its shipped code imports, and no dependency it does not', () => {
    // Prepare
    const declared = new Set([...Object.keys(manifest.dependencies), ...Object.keys(manifest.peerDependencies)]);
    const builtins = new Set(builtinModules);
    const imported = new Map<string, string>();
    for (const f of [...packedFiles('dist/', ['.js']), ...packedFiles('bin/', ['.js']), 'serverless.cjs']) {
      const text = readFileSync(join(pkgDir, f), 'utf8');
      const specifiers = text.matchAll(
        /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]((?:@[\w.-]+\/)?[\w][\w.-]*(?:\/[\w./-]*)?|node:[\w/]+)['"]/gm,
      );
      for (const m of specifiers) {
        const spec = m[1] ?? '';
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] ?? '');
        if (spec.startsWith('node:') || builtins.has(name) || name === manifest.name) continue;
        imported.set(name, f);
      }
    }

    // Assess
    expect(imported.size).toBeGreaterThan(5);
    for (const [name, where] of imported) expect(declared, `${where} imports ${name}`).toContain(name);
    // And the other way: a dependency nothing ships imports is only install weight for users
    // (what tests and benches need belongs in devDependencies).
    for (const name of Object.keys(manifest.dependencies))
      expect([...imported.keys()], `dependency ${name} is imported by no shipped file`).toContain(name);
  });
});

describe('what installing svc-mesh brings along', () => {
  it('is permissively licensed, every package of it (no copyleft ships)', () => {
    // Prepare: the production tree of the lockfile (dev-only packages, such as the AGPL IAM
    // oracle the tests use, never reach users).
    const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean; devOptional?: boolean; license?: unknown }>;
    };
    const PERMISSIVE = new Set(['MIT', 'Apache-2.0', 'ISC', 'BSD-2-Clause', 'BSD-3-Clause', '0BSD', 'BlueOak-1.0.0']);
    const shipped = Object.entries(lock.packages).filter(([path, p]) => path !== '' && !p.dev && !p.devOptional);

    // Assess
    expect(shipped.length).toBeGreaterThan(20);
    for (const [path, p] of shipped) {
      const license =
        p.license ??
        (JSON.parse(readFileSync(join(repo, path, 'package.json'), 'utf8')) as { license?: unknown }).license;
      expect(PERMISSIVE, `${path}: ${JSON.stringify(license)}`).toContain(license);
    }
    expect(manifest.license).toBe('MIT');
  });
});

describe('a project that installed the tarball', () => {
  it('imports the runtime and every subpath from dist/, with typed errors', { timeout: 60_000 }, async () => {
    // Prepare
    const script = `
      import { createSdk, isInvalidTargetError } from 'svc-mesh';
      const out = { resolved: import.meta.resolve('svc-mesh') };
      try { await createSdk({ region: 'us-east-1', stage: 'dev', env: {} }).invoke('users', {}); }
      catch (e) { out.code = e.code; out.typed = isInvalidTargetError(e); }
      out.tracing = typeof (await import('svc-mesh/tracing')).startTracing;
      out.local = typeof (await import('svc-mesh/local')).startLocalMesh;
      out.codegen = Object.keys(await import('svc-mesh/codegen')).length;
      out.events = typeof (await import('svc-mesh/events')).defineSubscriber;
      const { createRequire } = await import('node:module');
      out.plugin = typeof createRequire(import.meta.url)('svc-mesh-tools/serverless');
      console.log(JSON.stringify(out));`;

    // Act
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: app });

    // Assess
    const out = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
    expect(out).toMatchObject({
      resolved: expect.stringContaining('/node_modules/svc-mesh/dist/src/index.js'),
      code: 'INVALID_TARGET',
      typed: true,
      tracing: 'function',
      local: 'function',
      events: 'function',
      plugin: 'function',
    });
    expect(out['codegen']).toBeGreaterThan(0);
  });

  it('packages a service with the real serverless v3 CLI through the installed plugin', {
    timeout: 120_000,
  }, async () => {
    // Act: `plugins: [svc-mesh-tools/serverless]` in orders/serverless.yml resolves to the tarball.
    const p = await serverlessPackage(join(app, 'shop', 'orders'), join(work, 'sls-orders'));

    // Assess: the plugin ran (per-function role, the calls it declares, its discovery record).
    expect(p.output).toMatch(/Service packaged/);
    const role = p.template.Resources['PlaceOrderSvcMeshRole'];
    expect(role?.Type).toBe('AWS::IAM::Role');
    expect(JSON.stringify(role?.Properties)).toContain('payments-dev-charge');
    expect(Object.values(p.template.Resources).map((r) => r.Type)).toContain('AWS::SSM::Parameter');
  });

  it('runs svc-codegen, then svc-mesh dev and svc-mesh invoke on the shop', { timeout: 180_000 }, async () => {
    // Prepare
    const bin = (name: string) => join(pkgDir, 'bin', `${name}.js`);
    const shop = join(app, 'shop');

    // Act: codegen
    const gen = await run(process.execPath, [bin('svc-codegen')], { cwd: shop, timeout: 120_000 });

    // Assess
    expect(gen.stdout + gen.stderr).toMatch(/5 services, 7 functions/);
    for (const f of ['iam/orders-placeOrder.json', 'cloudformation/payments.json', 'clients/index.ts'])
      expect(existsSync(join(shop, '.svc-mesh/codegen', f)), f).toBe(true);

    // Act: the local mesh from the package's own binary
    await using dev = await startDevProcess(
      process.execPath,
      [bin('svc-mesh'), 'dev', '.', '--port', '0', '--quiet'],
      shop,
    );
    const data = { customerId: 'pack', items: [{ sku: 'sticker', qty: 2 }], card: 'tok_visa' };
    const invoked = await run(
      process.execPath,
      [bin('svc-mesh'), 'invoke', 'orders:placeOrder', '--endpoint', dev.endpoint, '--data', JSON.stringify(data)],
      { cwd: shop, timeout: 60_000 },
    );

    // Assess: three functions ran in the mesh's workers, loading 'svc-mesh' from the tarball.
    expect(JSON.parse(invoked.stdout)).toMatchObject({ status: 'confirmed', totalCents: 600 });
  });
});
