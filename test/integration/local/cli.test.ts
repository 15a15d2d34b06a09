/** `svc-mesh dev` and `svc-mesh invoke` as a user runs them: real processes, real output. */
import { execFile, spawn } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalMesh, startLocalMesh } from '../../../tools/local/index.js';
import { FIXTURES, clients, decode, until } from './helpers.js';

const BIN = fileURLToPath(new URL('../../../tools/bin/svc-mesh.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });

let mesh: LocalMesh;
beforeAll(async () => {
  mesh = await startLocalMesh({ paths: [join(FIXTURES, 'graph')], quiet: true, tracing: false });
});
afterAll(async () => {
  await mesh?.stop();
});

describe('CLI: svc-mesh invoke', () => {
  it('resolves through discovery, invokes and prints the JSON result', async () => {
    const r = await cli(['invoke', 'gateway:checkout', '--endpoint', mesh.endpoint, '--data', '{"sku":"cli"}']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      hop: 'gateway',
      quote: { hop: 'pricing@dev', price: 42, reservation: { hop: 'stock', sku: 'cli', reserved: true } },
    });
  });

  it('prints the typed error and exits 1 on a function error (endpoint from AWS_ENDPOINT_URL)', async () => {
    const r = await cli(['invoke', 'stock:reserve', '--data', '{"sku":"none"}'], { AWS_ENDPOINT_URL: mesh.endpoint });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('RemoteFunctionError [REMOTE_FUNCTION_ERROR]');
    expect(r.stderr).toContain('errorType: OutOfStock');
  });

  it('invokes asynchronously with --async', async () => {
    const r = await cli(['invoke', 'stock:restock', '--async', '--endpoint', mesh.endpoint, '--data', '{"sku":"q"}']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toHaveProperty('requestId');
  });

  it('waits out its retries against an endpoint nobody listens on, then prints the typed error and exits 1', async () => {
    // Prepare: a port that was just free (connections to it are refused, a retryable failure).
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    await new Promise((r) => server.close(r));

    // Act
    const r = await cli(['invoke', 'stock:reserve', '--endpoint', `http://127.0.0.1:${port}`, '--data', '{}']);

    // Assess: not an exit in the middle of a retry's backoff (code 13, nothing printed).
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('[DISCOVERY_FAILED]');
    expect(r.stderr).toContain('ECONNREFUSED');
  });

  it('on a typo, names the closest functions the local mesh runs, with a command that works when pasted', async () => {
    const data = `{"sku":"it's"}`;
    const r = await cli(['invoke', 'stock:reserv', '--endpoint', mesh.endpoint, '--data', data]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[TARGET_NOT_FOUND]');
    expect(r.stderr).toContain(`the local mesh at ${mesh.endpoint} runs`);
    expect(r.stderr).toContain("did you mean 'stock:reserve'");
    const tryLine = /^ {2}try: (.*)$/m.exec(r.stderr)?.[1];
    expect(tryLine).toMatch(/^npx svc-mesh invoke stock:reserve --data .* --endpoint /);
    // pasted into a shell in the project (npx finds the workspace's svc-mesh)
    const pasted = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile('sh', ['-c', tryLine!], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      ),
    );
    expect(pasted.code, pasted.stderr).toBe(0);
    expect(JSON.parse(pasted.stdout)).toMatchObject({ sku: "it's" });

    // nothing close: the list of what runs; another stage: what to drop
    const far = await cli(['invoke', 'zzz:qqq', '--endpoint', mesh.endpoint, '--stage', 'prod']);
    expect(far.code).toBe(1);
    expect(far.stderr).toContain('you asked for stage prod: drop --stage');
    expect(far.stderr).toMatch(/its functions: .*stock:reserve/);
    expect(far.stderr).not.toContain('did you mean');
  });

  it('rejects bad input with a clear message', async () => {
    const bad = await cli(['invoke', 'stock:reserve', '--endpoint', mesh.endpoint, '--data', '{nope']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--data is not JSON');
    const target = await cli(['invoke', 'no-colon', '--endpoint', mesh.endpoint]);
    expect(target.code).toBe(1);
    expect(target.stderr).toContain('INVALID_TARGET');
  });
});

describe('CLI: svc-mesh dev', () => {
  it('prints the URL, the env and the functions, serves, and drains on SIGINT', async () => {
    const proc = spawn(
      process.execPath,
      [
        BIN,
        'dev',
        join(FIXTURES, 'graph'),
        '--port',
        '0',
        '--quiet',
        '--no-tracing',
        '--overlay',
        `alice:${join(FIXTURES, 'graph', 'pricing')}`,
      ],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
    try {
      await until(() => out.includes('Ctrl-C drains'), 60_000);
      const url = /local mesh on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      expect(url).toBeDefined();
      expect(out).toContain(`export AWS_ENDPOINT_URL=${url}`);
      expect(out).toContain('export AWS_REGION=us-east-1');
      expect(out).toContain('export AWS_ACCESS_KEY_ID=test');
      expect(out).toMatch(/pricing:quote@alice\s+pricing-alice-quote/);
      expect(out).toMatch(/gateway:checkout\s+gateway-dev-checkout/);
      const { lambda } = clients(url!);
      const res = await lambda.send(new InvokeCommand({ FunctionName: 'pricing-alice-quote', Payload: '{"sku":"d"}' }));
      expect((decode(res.Payload) as { hop: string }).hop).toBe('pricing@alice');
      proc.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(err).toContain('draining');
      expect(err).toContain('stopped');
    } finally {
      proc.kill('SIGKILL');
    }
  }, 90_000);

  it('exits 1 with file:line:col for a broken serverless.yml', async () => {
    const r = await cli(['dev', join(FIXTURES, 'bad-config'), '--port', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\[LOCAL_MESH_START_FAILED\]/);
    expect(r.stderr).toMatch(/broken\/serverless\.yml:\d+:\d+: error:/);
  });
});

describe('Local mesh: reload', () => {
  it('runs changed handler code on the next invocation', async () => {
    mkdirSync(join(ROOT, '.svc-mesh'), { recursive: true });
    const dir = mkdtempSync(join(ROOT, '.svc-mesh', 'reload-'));
    const file = join(dir, 'h.mjs');
    writeFileSync(file, 'export const handler = async () => "v1";\n');
    await using m = await startLocalMesh({
      quiet: true,
      tracing: false,
      functions: [{ service: 'r', key: 'h', file }],
    });
    const { lambda } = clients(m.endpoint);
    const call = async () => decode((await lambda.send(new InvokeCommand({ FunctionName: 'r-dev-h' }))).Payload);
    expect(await call()).toBe('v1');
    writeFileSync(file, 'export const handler = async () => "v2";\n');
    const later = new Date(Date.now() + 5000);
    utimesSync(file, later, later);
    try {
      await until(async () => (await call()) === 'v2', 20_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('Local mesh: bundle folder', () => {
  it("prunes a function's stale bundles, and builds again a bundle removed under it", async () => {
    // Prepare: a handler that can end its sandbox, and a build folder with leftovers.
    mkdirSync(join(ROOT, '.svc-mesh'), { recursive: true });
    const dir = mkdtempSync(join(ROOT, '.svc-mesh', 'prune-'));
    const build = join(dir, '.svc-mesh', 'build');
    mkdirSync(build, { recursive: true });
    const hourAgo = new Date(Date.now() - 3_600_000);
    const leftovers = {
      stale: 'p-dev-h-aaaaaaaaaaaa.mjs',
      staleTmp: 'p-dev-h-cccccccccccc.mjs.42.x1.tmp',
      recent: 'p-dev-h-bbbbbbbbbbbb.mjs',
      otherFunction: 'p-dev-h-x-dddddddddddd.mjs',
      unrelated: 'notes.txt',
    };
    for (const [k, f] of Object.entries(leftovers)) {
      writeFileSync(join(build, f), '// old\n');
      if (k !== 'recent') utimesSync(join(build, f), hourAgo, hourAgo);
    }
    const file = join(dir, 'h.mjs');
    writeFileSync(file, 'export const handler = async (e) => { if (e?.die) process.exit(3); return "up"; };\n');
    try {
      await using m = await startLocalMesh({
        quiet: true,
        tracing: false,
        functions: [{ service: 'p', key: 'h', file }],
      });
      const { lambda } = clients(m.endpoint);
      const call = async (e: unknown) =>
        lambda.send(new InvokeCommand({ FunctionName: 'p-dev-h', Payload: JSON.stringify(e) }));

      // Act 1: the first invocation builds the handler.
      expect(decode((await call({})).Payload)).toBe('up');
      const files = readdirSync(build);
      const bundle = files.find((f) => /^p-dev-h-[0-9a-f]{12}\.mjs$/.test(f) && !Object.values(leftovers).includes(f));

      // Assess 1
      expect(bundle).toBeDefined();
      expect(files).not.toContain(leftovers.stale);
      expect(files).not.toContain(leftovers.staleTmp);
      for (const kept of [leftovers.recent, leftovers.otherFunction, leftovers.unrelated])
        expect(files).toContain(kept);

      // Act 2: the sandbox ends, its bundle disappears (another mesh pruned it), a cold start follows.
      expect((await call({ die: true })).FunctionError).toBe('Unhandled');
      rmSync(join(build, bundle ?? ''));
      await new Promise((r) => setTimeout(r, 1_100));
      const cold = await call({});

      // Assess 2
      expect(cold.FunctionError, new TextDecoder().decode(cold.Payload)).toBeUndefined();
      expect(decode(cold.Payload)).toBe('up');
      expect(readdirSync(build)).toContain(bundle);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('Local mesh: bundling', () => {
  it('bundles a workspace package (a symlink to TypeScript source) and leaves installed packages to Node', async () => {
    mkdirSync(join(ROOT, '.svc-mesh'), { recursive: true });
    const dir = mkdtempSync(join(ROOT, '.svc-mesh', 'ws-'));
    try {
      mkdirSync(join(dir, 'libs', 'greet'), { recursive: true });
      writeFileSync(
        join(dir, 'libs', 'greet', 'package.json'),
        JSON.stringify({ name: '@ws/greet', main: 'index.ts' }),
      );
      writeFileSync(
        join(dir, 'libs', 'greet', 'index.ts'),
        'export const greet = (n: string): string => `hello ${n}`;\n',
      );
      mkdirSync(join(dir, 'node_modules', '@ws'), { recursive: true });
      symlinkSync(join(dir, 'libs', 'greet'), join(dir, 'node_modules', '@ws', 'greet'), 'dir');
      mkdirSync(join(dir, 'svc'));
      writeFileSync(
        join(dir, 'svc', 'h.ts'),
        "import { greet } from '@ws/greet';\nimport { LambdaClient } from '@aws-sdk/client-lambda';\n" +
          'export const handler = async () => ({ text: greet("ws"), sdk: typeof LambdaClient });\n',
      );
      await using m = await startLocalMesh({
        quiet: true,
        tracing: false,
        functions: [{ service: 'w', key: 'h', file: join(dir, 'svc', 'h.ts') }],
      });
      const { lambda } = clients(m.endpoint);
      const out = await lambda.send(new InvokeCommand({ FunctionName: 'w-dev-h' }));
      expect(out.FunctionError, new TextDecoder().decode(out.Payload)).toBeUndefined();
      expect(decode(out.Payload)).toEqual({ text: 'hello ws', sdk: 'function' });
      // The bundle holds the workspace package's code but only an import of the installed AWS SDK.
      const build = join(dir, 'svc', '.svc-mesh', 'build');
      const bundles = readdirSync(build).filter((f) => /^w-dev-h-[0-9a-f]{12}\.mjs$/.test(f));
      expect(bundles).toHaveLength(1);
      const code = readFileSync(join(build, bundles[0]!), 'utf8');
      expect(code).toContain('hello ${n}');
      expect(code).toMatch(/from ["']@aws-sdk\/client-lambda["']/);
      expect(code).not.toMatch(/class LambdaClient\b/);
      expect(code.length).toBeLessThan(20_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
