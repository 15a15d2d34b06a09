/**
 * The two published packages, installed as a stranger installs them: both are built and packed
 * from a copy of this working tree, then a real `npm install` (from the npm registry, nothing
 * linked into this checkout's node_modules) puts them into fresh projects:
 * - `prod/`: `npm install --omit=dev svc-mesh` alone, what an unbundled deploy zips into every
 *   Lambda: measured against the size goal, checked for tooling and for copyleft licences;
 * - `app/`: the README's install line (`npm install svc-mesh` + `npm install -D svc-mesh-tools`),
 *   then codegen, the Serverless plugin through the real `serverless package`, `svc-mesh dev`, the
 *   banner's hint pasted verbatim, `svc-mesh invoke`, a `createSdk` script with no AWS credentials,
 *   and every subpath export of both packages.
 */
import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevProcess } from '../helpers/dev-process.js';
import {
  buildAndPack,
  installed,
  installSize,
  npmInstall,
  type Packed,
  RUNTIME_INSTALL_GOAL_BYTES,
} from '../helpers/packages.js';
import { serverlessPackage } from '../helpers/serverless.js';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../..', import.meta.url));

/** Tooling that must never reach a Lambda through the runtime package. */
const TOOLING = ['typescript', 'esbuild', 'tsx', 'ts-json-schema-generator', 'protobufjs', 'yaml', 'cac'];
/**
 * svc-mesh-tools dependencies no tooling file imports itself: the mesh bundles svc-mesh/tracing for
 * its workers, and that bundle imports these (the runtime's optional peers) from the tooling's tree.
 */
const RUNTIME_ONLY_FOR_WORKERS = new Set([
  '@opentelemetry/core',
  '@opentelemetry/exporter-trace-otlp-http',
  '@opentelemetry/propagator-aws-xray',
  '@opentelemetry/resources',
  '@opentelemetry/sdk-trace-node',
]);
const PERMISSIVE = new Set(['MIT', 'Apache-2.0', 'ISC', 'BSD-2-Clause', 'BSD-3-Clause', '0BSD', 'BlueOak-1.0.0']);

let work = '';
let app = '';
let prod = '';
const packed: Record<'runtime' | 'tools', Packed> = {} as never;
/** An environment with no AWS credentials, region or endpoint, and a HOME without ~/.aws. */
let cleanEnv: NodeJS.ProcessEnv = {};

beforeAll(async () => {
  work = mkdtempSync(join(os.tmpdir(), 'svc-mesh-pack-'));
  const home = join(work, 'home');
  mkdirSync(home);
  cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
  // npm keeps using the machine's cache (so the registry is asked only for what is missing).
  cleanEnv['npm_config_cache'] = process.env['npm_config_cache'] ?? join(os.homedir(), '.npm');
  cleanEnv['HOME'] = home;
  cleanEnv['AWS_EC2_METADATA_DISABLED'] = 'true';

  // 1. Both packages, built and packed from a copy of this tree.
  Object.assign(packed, await buildAndPack(work));

  // 2. What a deploy ships: the runtime alone, production dependencies only.
  prod = join(work, 'prod');
  mkdirSync(prod);
  writeFileSync(join(prod, 'package.json'), JSON.stringify({ name: 'prod', private: true, type: 'module' }));
  await npmInstall(['--omit=dev', packed.runtime.tarball], prod, cleanEnv);

  // 3. A user's project, following the README: the install line, then the shop's services.
  app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  await npmInstall([packed.runtime.tarball], app, cleanEnv);
  await npmInstall(['--save-dev', packed.tools.tarball], app, cleanEnv);
  cpSync(join(repo, 'examples/shop'), join(app, 'shop'), {
    recursive: true,
    filter: (src) => !src.includes('.svc-mesh') && !src.includes('.serverless'),
  });
}, 900_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Bare package names the shipped JavaScript of a package imports. */
function importsOf(pkgDir: string, files: string[]): Map<string, string> {
  const builtins = new Set(builtinModules);
  const imported = new Map<string, string>();
  for (const f of files.filter((f) => /\.(c|m)?js$/.test(f))) {
    const text = readFileSync(join(pkgDir, f), 'utf8');
    const specifiers = text.matchAll(
      /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]((?:@[\w.-]+\/)?[\w][\w.-]*(?:\/[\w./-]*)?|node:[\w/]+)['"]/gm,
    );
    for (const m of specifiers) {
      const spec = m[1] ?? '';
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] ?? '');
      if (spec.startsWith('node:') || builtins.has(name)) continue;
      imported.set(name, f);
    }
  }
  return imported;
}

describe('the packed tarballs', () => {
  it('svc-mesh ships the compiled runtime and nothing of the tooling', () => {
    const { files } = packed.runtime;
    for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/tracing/sdk/index.js', 'LICENSE', 'package.json'])
      expect(files, f).toContain(f);
    for (const f of files) expect(f).not.toMatch(/codegen|(^|\/)local\/|(^|\/)cli\/|\.ts$(?<!\.d\.ts)|\.map$/);
  });

  it('svc-mesh-tools ships the compiled codegen, mesh, CLIs, both binaries and the plugin', () => {
    const { files } = packed.tools;
    for (const f of [
      'dist/codegen/cli.js',
      'dist/codegen/emit/serverless-schema.json',
      'dist/tools/cli/index.js',
      'dist/tools/local/index.js',
      'dist/tools/local/traces/viewer/index.html',
      'bin/svc-mesh.js',
      'bin/svc-codegen.js',
      'serverless.cjs',
      'LICENSE',
    ])
      expect(files, f).toContain(f);
    for (const f of files) expect(f, 'no tests, examples or sources').not.toMatch(/^(test|bench|examples|src)\//);
  });

  it('has a file behind every export and binary of both packages', () => {
    for (const { manifest, files } of Object.values(packed)) {
      const targets = [
        ...Object.values(manifest.exports).flatMap((e) =>
          typeof e === 'string' ? [e] : Object.entries(e).flatMap(([cond, t]) => (cond === 'source' ? [] : [t])),
        ),
        ...Object.values(manifest.bin ?? {}),
      ];
      expect(targets.length).toBeGreaterThan(5);
      for (const t of targets) expect(files, `${manifest.name}: ${t}`).toContain(t.replace(/^\.\//, ''));
    }
  });

  it('each package declares every package its shipped code imports, and no dependency it does not use', () => {
    for (const [key, { manifest, files }] of Object.entries(packed)) {
      const pkgDir = join(app, 'node_modules', manifest.name);
      const declared = new Set([
        ...Object.keys(manifest.dependencies ?? {}),
        ...Object.keys(manifest.peerDependencies ?? {}),
      ]);
      const imported = importsOf(pkgDir, files);
      imported.delete(manifest.name);
      expect(imported.size, key).toBeGreaterThan(1);
      for (const [name, where] of imported)
        expect(declared, `${manifest.name}: ${where} imports ${name}`).toContain(name);
      for (const name of Object.keys(manifest.dependencies ?? {}))
        if (!RUNTIME_ONLY_FOR_WORKERS.has(name))
          expect([...imported.keys()], `${manifest.name}: dependency ${name} is imported by no shipped file`).toContain(
            name,
          );
    }
  });
});

describe('npm install --omit=dev svc-mesh (what a Lambda ships)', () => {
  it(`is within ${RUNTIME_INSTALL_GOAL_BYTES / 1024 / 1024} MB without @aws-sdk/* and @smithy/*, and carries no tooling`, () => {
    const size = installSize(prod);
    expect(size.packages).toContain('svc-mesh');
    expect(size.packages, 'the Lambda client is installed by the one line').toContain('@aws-sdk/client-lambda');
    for (const t of TOOLING) expect(size.packages, t).not.toContain(t);
    expect(size.packages.some((p) => p.startsWith('@opentelemetry/sdk'))).toBe(false);
    expect(size.bytes).toBeLessThanOrEqual(RUNTIME_INSTALL_GOAL_BYTES);
  });

  it('is permissively licensed, every package of it (no copyleft ships)', () => {
    const all = installed(prod);
    expect(all.length).toBeGreaterThan(20);
    for (const p of all) {
      const { license } = JSON.parse(readFileSync(join(p.dir, 'package.json'), 'utf8')) as { license?: unknown };
      expect(PERMISSIVE, `${p.name}: ${JSON.stringify(license)}`).toContain(license);
    }
  });

  it('names the install command, without retrying, when an optional AWS client is missing', async () => {
    // exports discovery needs @aws-sdk/client-cloudformation, an optional peer the line does not install
    const script = `
      import { createSdk } from 'svc-mesh';
      const sdk = createSdk({ region: 'us-east-1', stage: 'dev', discovery: ['exports'], endpoint: 'http://127.0.0.1:9', maxRetries: 3 });
      try { await sdk.invoke('users:get', {}); } catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, retryable: e.retryable, message: e.message })); }`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: prod, env: cleanEnv });
    const out = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
    expect(out).toMatchObject({ name: 'MissingDependencyError', code: 'MISSING_DEPENDENCY', retryable: false });
    expect(out['message']).toContain('npm install @aws-sdk/client-cloudformation');
  });
});

describe('a project that followed the install line', () => {
  it('imports the runtime and every subpath of both packages from dist/', { timeout: 60_000 }, async () => {
    const subpaths = (p: Packed) =>
      Object.keys(p.manifest.exports)
        // ./cdk needs the optional peers aws-cdk-lib and constructs (a CDK app has them): test/cdk covers it
        .filter((k) => k !== './package.json' && k !== './serverless' && k !== './cdk')
        .map((k) => `${p.manifest.name}${k.slice(1)}`);
    const specs = [...subpaths(packed.runtime), ...subpaths(packed.tools)];
    const script = `
      const out = {};
      for (const s of ${JSON.stringify(specs)}) out[s] = { url: import.meta.resolve(s), exports: Object.keys(await import(s)).length };
      const { createRequire } = await import('node:module');
      out.plugin = typeof createRequire(import.meta.url)('svc-mesh-tools/serverless');
      console.log(JSON.stringify(out));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: app, env: cleanEnv });
    const out = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, { url: string; exports: number }>;
    expect(Object.keys(out)).toHaveLength(specs.length + 1);
    for (const s of specs) {
      expect(out[s]?.url, s).toMatch(/\/node_modules\/svc-mesh(-tools)?\/dist\//);
      // tracing/register only starts tracing, as a side effect of being imported
      if (!s.endsWith('/register')) expect(out[s]?.exports, s).toBeGreaterThan(0);
    }
    expect(out['plugin']).toBe('function');
  });

  it('packages a service with the real serverless v3 CLI through the installed plugin', {
    timeout: 180_000,
  }, async () => {
    // `plugins: [svc-mesh-tools/serverless]` in orders/serverless.yml resolves to the installed tarball.
    const p = await serverlessPackage(join(app, 'shop', 'orders'), join(work, 'sls-orders'));
    expect(p.output).toMatch(/Service packaged/);
    const role = p.template.Resources['PlaceOrderSvcMeshRole'];
    expect(role?.Type).toBe('AWS::IAM::Role');
    expect(JSON.stringify(role?.Properties)).toContain('payments-dev-charge');
    expect(Object.values(p.template.Resources).map((r) => r.Type)).toContain('AWS::SSM::Parameter');
  });

  it('runs codegen, dev, the banner hint verbatim, invoke, and a createSdk script with no AWS credentials', {
    timeout: 300_000,
  }, async () => {
    const shop = join(app, 'shop');
    const sh = (line: string) =>
      run('/bin/sh', ['-c', line], {
        cwd: shop,
        env: { ...cleanEnv, PATH: `${join(app, 'node_modules/.bin')}:${cleanEnv['PATH']}` },
        timeout: 120_000,
      }).then(
        (r) => ({ code: 0, ...r }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
      );

    // No mesh yet: invoke refuses instead of reaching AWS, and says how to start one.
    const refused = await sh("npx svc-mesh invoke orders:placeOrder --data '{}'");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('npx svc-mesh dev');
    expect(refused.stderr).toContain('--aws');

    const gen = await sh('npx svc-codegen');
    expect(gen.code, gen.stderr).toBe(0);
    expect(gen.stdout + gen.stderr).toMatch(/5 services, 7 functions/);
    expect(existsSync(join(shop, '.svc-mesh/codegen/clients/index.ts'))).toBe(true);

    await using dev = await startDevProcess(
      join(app, 'node_modules/.bin/svc-mesh'),
      ['dev', '.', '--port', '0', '--quiet'],
      shop,
      cleanEnv,
    );

    // The banner's hint, pasted as printed: it reaches the function (a result, or the function's own typed error).
    const hint = /Try: (npx svc-mesh invoke .+?)\s{3}/.exec(dev.output())?.[1];
    expect(hint, dev.output()).toBeDefined();
    const pasted = await sh(hint!);
    expect(pasted.stdout + pasted.stderr, 'the hint reached a function').toMatch(/^\{|RemoteFunctionError/m);
    expect(pasted.stderr).not.toMatch(/INVALID_CONFIG|DISCOVERY_FAILED|usage/i);

    // No flags: invoke finds the mesh started from this folder.
    const data = { customerId: 'pack', items: [{ sku: 'sticker', qty: 2 }], card: 'tok_visa' };
    const invoked = await sh(`npx svc-mesh invoke orders:placeOrder --data '${JSON.stringify(data)}'`);
    expect(invoked.code, invoked.stderr).toBe(0);
    expect(JSON.parse(invoked.stdout)).toMatchObject({ status: 'confirmed', totalCents: 600 });

    // A declined card: the typed error reaches the caller, the failed event reaches notifications,
    // and the whole request is one trace in the viewer's API.
    const declined = await sh(
      `npx svc-mesh invoke orders:placeOrder --data '${JSON.stringify({ ...data, card: 'tok_decline' })}'`,
    );
    expect(declined.code).toBe(1);
    expect(declined.stderr).toMatch(/CARD_DECLINED|ORDER_REJECTED|PAYMENT/);
    type Summary = { services: string[]; firstError: { service: string; message: string } | null };
    let declinedTrace: Summary | undefined;
    for (let i = 0; i < 100 && declinedTrace === undefined; i++) {
      await new Promise((r) => setTimeout(r, 200));
      const { traces } = (await (await fetch(`${dev.endpoint}/api/traces?service=notifications`)).json()) as {
        traces: Summary[];
      };
      declinedTrace = traces.find((t) => t.firstError?.service === 'payments');
    }
    expect(declinedTrace, 'the declined order is one trace, and its failed event reached notifications').toBeDefined();
    expect(declinedTrace?.services).toContain('notifications');
    expect(declinedTrace?.firstError?.message).toMatch(/card declined/);

    // The README's createSdk snippet, with no AWS credentials anywhere in the environment.
    writeFileSync(
      join(shop, 'script.mjs'),
      `import { createSdk } from 'svc-mesh';
       const sdk = createSdk({ endpoint: '${dev.endpoint}', region: 'us-east-1', stage: 'dev' });
       console.log(JSON.stringify(await sdk.invoke('orders:placeOrder', ${JSON.stringify(data)})));`,
    );
    const script = await sh('node script.mjs');
    expect(script.code, script.stderr).toBe(0);
    expect(JSON.parse(script.stdout.trim())).toMatchObject({ status: 'confirmed' });

    // A bad endpoint is a typed configuration error, not a retried discovery failure.
    writeFileSync(
      join(shop, 'bad.mjs'),
      `import { createSdk } from 'svc-mesh';
       try { createSdk({ endpoint: 'not a url', region: 'us-east-1', stage: 'dev' }); } catch (e) { console.log(e.code); }`,
    );
    expect((await sh('node bad.mjs')).stdout.trim()).toBe('INVALID_CONFIG');
  });
});
