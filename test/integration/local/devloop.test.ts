/**
 * The dev loop: edits and installs take effect on the next call, Ctrl-C drains, and
 * `svc-mesh invoke` starts its own trace and prints what the callee attached to its error.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import { startLocalMesh } from '../../../tools/local/index.js';
import type { TraceDetail } from '../../../tools/local/traces/index.js';
import { startWireServer } from '../../helpers/wire-server.js';
import { FIXTURES, clients, decode, until } from './helpers.js';

const BIN = fileURLToPath(new URL('../../../tools/bin/svc-mesh.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DEVLOOP = join(FIXTURES, 'devloop');

const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });

function scratch(): string {
  mkdirSync(join(ROOT, '.svc-mesh'), { recursive: true });
  return mkdtempSync(join(ROOT, '.svc-mesh', 'devloop-'));
}

describe('Local mesh: edits take effect', () => {
  it('runs the new code on the very next call after a save, every time', async () => {
    const dir = scratch();
    const file = join(dir, 'h.mjs');
    writeFileSync(file, 'export const handler = async () => "v0";\n');
    try {
      await using m = await startLocalMesh({
        quiet: true,
        tracing: false,
        functions: [{ service: 'r', key: 'h', file }],
      });
      const { lambda } = clients(m.endpoint);
      const call = async () => decode((await lambda.send(new InvokeCommand({ FunctionName: 'r-dev-h' }))).Payload);
      expect(await call()).toBe('v0');
      for (let v = 1; v <= 5; v++) {
        writeFileSync(file, `export const handler = async () => "v${v}";\n`);
        expect(await call()).toBe(`v${v}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('picks up a package installed (or upgraded) while the mesh runs', async () => {
    const dir = scratch();
    const pkg = (v: string) => {
      const tmp = join(dir, 'node_modules', `.tmp-${v}`);
      mkdirSync(tmp, { recursive: true });
      writeFileSync(join(tmp, 'package.json'), JSON.stringify({ name: 'late-dep', version: v, main: 'index.js' }));
      writeFileSync(join(tmp, 'index.js'), `module.exports = { version: ${JSON.stringify(v)} };\n`);
      rmSync(join(dir, 'node_modules', 'late-dep'), { recursive: true, force: true });
      renameSync(tmp, join(dir, 'node_modules', 'late-dep'));
      writeFileSync(join(dir, 'node_modules', '.package-lock.json'), JSON.stringify({ v }));
    };
    pkg('1.0.0');
    const file = join(dir, 'h.mjs');
    writeFileSync(file, 'import dep from "late-dep";\nexport const handler = async () => dep.version;\n');
    try {
      await using m = await startLocalMesh({
        quiet: true,
        tracing: false,
        functions: [{ service: 'p', key: 'h', file }],
      });
      const { lambda } = clients(m.endpoint);
      const call = async () => decode((await lambda.send(new InvokeCommand({ FunctionName: 'p-dev-h' }))).Payload);
      expect(await call()).toBe('1.0.0');
      expect(await call()).toBe('1.0.0'); // warm
      pkg('2.0.0');
      await until(async () => (await call()) === '2.0.0');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('Local mesh: the first call', () => {
  it('does not pay for bundling: handlers are built in the background at start', async () => {
    const dir = scratch();
    const file = join(dir, 'h.mjs');
    writeFileSync(file, 'export const handler = async () => "built";\n');
    try {
      await using m = await startLocalMesh({
        quiet: true,
        tracing: false,
        functions: [{ service: 'b', key: 'h', file }],
      });
      // no invocation yet: the bundle appears anyway
      await until(() => {
        try {
          return readdirSync(join(dir, '.svc-mesh', 'build')).some((f) => /^b-dev-h-[0-9a-f]{12}\.mjs$/.test(f));
        } catch {
          return false;
        }
      });
      expect(
        decode((await clients(m.endpoint).lambda.send(new InvokeCommand({ FunctionName: 'b-dev-h' }))).Payload),
      ).toBe('built');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('svc-mesh dev: Ctrl-C', () => {
  it('drains an in-flight call when the terminal sends SIGINT to the whole process group', async () => {
    // detached: the dev process leads its own group, as a shell job does; the group gets the SIGINT
    const proc: ChildProcess = spawn(
      process.execPath,
      [BIN, 'dev', DEVLOOP, '--port', '0', '--no-tracing', '--quiet'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    let out = '';
    let err = '';
    proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
    try {
      await until(() => out.includes('Ctrl-C drains'), 60_000);
      const url = /local mesh on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;
      const { lambda } = clients(url);
      // warm the sandbox, so the next call is surely running when the signal comes
      await lambda.send(new InvokeCommand({ FunctionName: 'devloop-dev-slow', Payload: '{"ms":1}' }));
      const inflight = lambda.send(new InvokeCommand({ FunctionName: 'devloop-dev-slow', Payload: '{"ms":1500}' }));
      await new Promise((r) => setTimeout(r, 300));
      process.kill(-proc.pid!, 'SIGINT');
      const res = await inflight;
      expect(res.FunctionError, new TextDecoder().decode(res.Payload)).toBeUndefined();
      expect(decode(res.Payload)).toEqual({ slept: 1500 });
      expect(await exited).toBe(0);
      expect(err.match(/draining/g)).toHaveLength(1);
    } finally {
      if (proc.exitCode === null) process.kill(-proc.pid!, 'SIGKILL');
    }
  }, 90_000);
});

describe('svc-mesh dev: SIGTERM', () => {
  it('announces a repeated SIGTERM once and drains, instead of stopping at once', async () => {
    const proc: ChildProcess = spawn(
      process.execPath,
      [BIN, 'dev', DEVLOOP, '--port', '0', '--no-tracing', '--quiet'],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      },
    );
    let out = '';
    let err = '';
    proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
    try {
      await until(() => out.includes('Ctrl-C drains'), 60_000);
      const url = /local mesh on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;
      const { lambda } = clients(url);
      await lambda.send(new InvokeCommand({ FunctionName: 'devloop-dev-slow', Payload: '{"ms":1}' }));
      const inflight = lambda.send(new InvokeCommand({ FunctionName: 'devloop-dev-slow', Payload: '{"ms":2000}' }));
      await new Promise((r) => setTimeout(r, 300));
      // a supervisor (or npx forwarding) sends it twice, the second while draining
      proc.kill('SIGTERM');
      await until(() => err.includes('draining'));
      proc.kill('SIGTERM');
      expect(decode((await inflight).Payload)).toEqual({ slept: 2000 });
      expect(await exited).toBe(0);
      expect(err.match(/SIGTERM: draining/g)).toHaveLength(1);
      expect(err).not.toContain('stopping now');
    } finally {
      if (proc.exitCode === null) process.kill(-proc.pid!, 'SIGKILL');
    }
  }, 90_000);
});

describe('svc-mesh invoke against the local mesh', () => {
  it('records its own root span (no phantom parent) and prints the remote code and data', async () => {
    await using m = await startLocalMesh({ paths: [DEVLOOP], quiet: true });
    const r = await cli(['invoke', 'devloop:refuses', '--endpoint', m.endpoint, '--data', '{}']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('errorType: LimitExceeded (code LIMIT_EXCEEDED)');
    expect(r.stderr).toContain('remoteData: {"limit":100,"asked":250}');
    const traceId = /trace ([0-9a-f]{32})/.exec(r.stderr)?.[1];
    expect(traceId, r.stderr).toBeDefined();
    let d: TraceDetail | undefined;
    await until(async () => {
      const res = await fetch(`${m.endpoint}/api/traces/${traceId}`);
      d = res.status === 200 ? ((await res.json()) as TraceDetail) : undefined;
      return d?.spans.some((s) => s.service === 'devloop') === true;
    });
    expect(d!.summary.rootName).toBe('svc-mesh invoke devloop:refuses');
    expect(d!.summary.orphanCount).toBe(0);
    expect(d!.summary.errorCount).toBe(1);
    expect(d!.summary.firstError).toMatchObject({ service: 'devloop', code: 'LIMIT_EXCEEDED' });
  }, 60_000);

  it('against another AWS-compatible server on this machine (moto, LocalStack): no trace and no mesh hints', async () => {
    // The wire server answers SSM and Lambda like AWS, and nothing else (no /_mesh/*, no /v1/traces).
    await using ws = await startWireServer({});
    const r = await cli(['invoke', 'devloop:refuse', '--endpoint', ws.endpoint, '--data', '{}']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[TARGET_NOT_FOUND]');
    // every command it prints must work when pasted: there is no trace there to show
    expect(r.stderr).not.toMatch(/^trace [0-9a-f]{32}/m);
    expect(r.stderr).not.toContain('npx svc-mesh');
    expect(r.stderr).not.toContain('the local mesh at');
  }, 60_000);
});

describe('Lifecycle events tell the truth', () => {
  it('follows a provisional timeout `failed` with the real `success`, and tags each attempt of a retried Event', async () => {
    const dir = scratch();
    const record = join(dir, 'events.jsonl');
    writeFileSync(record, '');
    const prev = process.env['SVC_MESH_TEST_RECORD'];
    process.env['SVC_MESH_TEST_RECORD'] = record;
    try {
      await using m = await startLocalMesh({
        paths: [DEVLOOP],
        quiet: true,
        tracing: false,
        asyncRetryDelaysMs: [0, 0],
      });
      const { lambda } = clients(m.endpoint);
      const read = () =>
        readFileSync(record, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map(
            (l) =>
              JSON.parse(l) as {
                type: string;
                requestId: string;
                provisional?: boolean;
                attempt?: number;
                source: string;
              },
          );
      // a 700 ms success with timeout 1 s: inside the 500 ms margin
      const out = await lambda.send(new InvokeCommand({ FunctionName: 'devloop-dev-nearDeadline', Payload: '{}' }));
      expect(decode(out.Payload)).toEqual({ done: true });
      await m.idle();
      await until(() => read().some((e) => e.type === 'success'));
      const near = read().filter((e) => e.source === 'devloop:nearDeadline');
      const requestId = out.$metadata.requestId;
      expect(near.map((e) => [e.type, e.provisional ?? false, e.requestId])).toEqual([
        ['failed', true, requestId],
        ['success', false, requestId],
      ]);
      // an Event that fails every attempt: one `failed` per attempt, one request id, attempts 1..3
      const ev = await lambda.send(
        new InvokeCommand({ FunctionName: 'devloop-dev-flaky', InvocationType: 'Event', Payload: '{}' }),
      );
      await m.idle();
      await until(() => read().filter((e) => e.source === 'devloop:flaky').length === 3);
      const flaky = read().filter((e) => e.source === 'devloop:flaky');
      expect(new Set(flaky.map((e) => e.requestId))).toEqual(new Set([ev.$metadata.requestId]));
      expect(flaky.map((e) => e.attempt).sort()).toEqual([1, 2, 3]);
    } finally {
      if (prev === undefined) delete process.env['SVC_MESH_TEST_RECORD'];
      else process.env['SVC_MESH_TEST_RECORD'] = prev;
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
