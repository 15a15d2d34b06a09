/**
 * Local mesh against serverless-offline 14 (the current release, under osls: it needs Serverless 4)
 * and 13 (under Serverless 3), their Lambda endpoints, and against a raw
 * keep-alive node:http echo, side by side in one run: the same AWS SDK LambdaClient, each
 * server in its own process. First the default mode users run (`svc-mesh dev`: IAM on, tracing
 * on, a `defineFunction` handler), then the same handler with `--no-tracing` (what tracing
 * costs), then a plain handler (`async (event) => event`) with tracing off.
 * Also the resident memory of a warm worker.
 *
 * BENCH_LOCAL_MESH_SMOKE=1: one short round (a smoke test of the bench itself, not a measurement).
 * BENCH_LOCAL_MESH_ROUNDS / _SEQ / _CONC_N / _WARM: other counts (a small side-by-side run).
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchRow } from './types.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Rounds of interleaved measurement: each target gets a slice per round, so load drift hits all alike. */
const SMOKE = process.env['BENCH_LOCAL_MESH_SMOKE'] === '1';
const count = (name: string, dflt: number): number => {
  const v = Number(process.env[`BENCH_LOCAL_MESH_${name}`]);
  return Number.isInteger(v) && v > 0 ? v : dflt;
};
const ROUNDS = count('ROUNDS', SMOKE ? 1 : 7);
const SEQ = count('SEQ', SMOKE ? 30 : 300); // per round
const CONC = 32;
const CONC_N = count('CONC_N', SMOKE ? 128 : 1200); // per round
const WARM = count('WARM', SMOKE ? 20 : 200);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts a process and resolves with the first stdout match of `ready` (or rejects on exit/timeout). */
function startProcess(
  cmd: string,
  args: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; ready: RegExp; timeoutMs: number },
) {
  const t0 = performance.now();
  return new Promise<{ proc: ChildProcess; match: RegExpMatchArray; readyMs: number }>((resolve, reject) => {
    const proc = spawn(cmd, args, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    const timer = setTimeout(() => {
      kill(proc);
      reject(new Error(`${cmd} ${args.join(' ')} not ready after ${opts.timeoutMs} ms:\n${out.slice(-2000)}`));
    }, opts.timeoutMs);
    let done = false;
    const onData = (c: Buffer) => {
      if (done) return;
      out += c.toString();
      const m = out.match(opts.ready);
      if (m) {
        done = true;
        clearTimeout(timer);
        resolve({ proc, match: m, readyMs: performance.now() - t0 });
      }
    };
    // Both streams: serverless-offline announces itself on stderr.
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      if (!done) reject(new Error(`${cmd} exited with ${code}:\n${out.slice(-2000)}`));
    });
  });
}

function kill(proc: ChildProcess): void {
  try {
    if (proc.pid !== undefined) process.kill(-proc.pid, 'SIGKILL');
  } catch {
    proc.kill('SIGKILL');
  }
}

function client(endpoint: string, agent: Agent): LambdaClient {
  return new LambdaClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ httpAgent: agent }),
  });
}

interface Target {
  name: string;
  client: LambdaClient;
  agent: Agent;
  fn: string;
  /** Time of each round's sequential slice, ms. */
  seqMs: number[];
  /** Time of each round's concurrent slice, ms. */
  concMs: number[];
  bad: number;
  /** Calls go out as plain node:http requests instead of through the AWS SDK (see rawInvoke). */
  raw?: URL;
}

function target(name: string, endpoint: string, fn: string, raw = false): Target {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  return {
    name,
    client: client(endpoint, agent),
    agent,
    fn,
    seqMs: [],
    concMs: [],
    bad: 0,
    ...(raw ? { raw: new URL(endpoint) } : {}),
  };
}

/**
 * The Authorization header of a call signed with the developer key. The mesh reads the SigV4
 * credential scope (who signed) and does not verify the signature (docs/security.md), so a
 * dummy signature is what any signed call looks like to it.
 */
const RAW_AUTHORIZATION = `AWS4-HMAC-SHA256 Credential=test/${new Date().toISOString().slice(0, 10).replaceAll('-', '')}/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=${'0'.repeat(64)}`;

/**
 * The same Invoke as the SDK's, sent with a keep-alive node:http client: what the mesh costs
 * without the client's own ~0.5 ms of SDK work per call.
 */
function rawInvoke(t: Target, body: string): Promise<{ status: number; functionError: boolean; payload: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: t.raw!.hostname,
        port: t.raw!.port,
        method: 'POST',
        path: `/2015-03-31/functions/${encodeURIComponent(t.fn)}/invocations`,
        agent: t.agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: RAW_AUTHORIZATION,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            functionError: res.headers['x-amz-function-error'] !== undefined,
            payload: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Closes a target's idle keep-alive connections before its slice: while the other targets run,
 * a server may close them (serverless-offline's does after 5 s idle), and a request sent on a
 * socket closing under it fails with "socket hang up". Every target starts its slice alike.
 */
function dropIdle(t: Target): void {
  for (const sockets of Object.values(t.agent.freeSockets)) for (const s of sockets ?? []) s.destroy();
}

async function once(t: Target, i: number): Promise<void> {
  if (t.raw !== undefined) {
    const out = await rawInvoke(t, JSON.stringify({ i }));
    let body: { i?: number } = {};
    try {
      body = JSON.parse(out.payload) as { i?: number };
    } catch {
      // counted below: not the echo
    }
    if (out.status !== 200 || out.functionError || body.i !== i) t.bad++;
    return;
  }
  const out = await t.client.send(new InvokeCommand({ FunctionName: t.fn, Payload: JSON.stringify({ i }) }));
  const body = JSON.parse(new TextDecoder().decode(out.Payload)) as { i?: number };
  if (out.FunctionError !== undefined || body.i !== i) t.bad++;
}

async function concurrent(t: Target, n: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONC }, async () => {
      for (let i = next++; i < n; i = next++) await once(t, i);
    }),
  );
}

async function warm(t: Target): Promise<void> {
  dropIdle(t);
  for (let i = 0; i < WARM; i++) await once(t, i);
  await concurrent(t, WARM * 2);
}

/** Idle time before each slice: what the previous slice left running (GC, a server's background work) ends first. */
const SETTLE_MS = SMOKE ? 0 : 150;
const settle = () => new Promise((r) => setTimeout(r, SETTLE_MS));

/**
 * One round: a sequential slice of each target, then a concurrent slice of each, order rotated
 * per round. Slices of one kind follow each other, after an idle pause: a sequential slice never
 * starts while the previous target is still busy with its concurrent burst (which slowed whichever
 * target came next in the list).
 */
async function round(targets: Target[], r: number): Promise<void> {
  const order = targets.map((_, k) => targets[(k + r) % targets.length]!);
  for (const t of order) {
    dropIdle(t);
    await settle();
    const t0 = performance.now();
    for (let i = 0; i < SEQ; i++) await once(t, i);
    t.seqMs.push(performance.now() - t0);
  }
  for (const t of order) {
    dropIdle(t);
    await settle();
    const t0 = performance.now();
    await concurrent(t, CONC_N);
    t.concMs.push(performance.now() - t0);
  }
}

/** The median of the rounds' slice times (one slow slice, a GC storm or a neighbour's burst, does not move it). */
const median = (ms: number[]) => [...ms].sort((a, b) => a - b)[ms.length >> 1]!;
/** Invokes per second of a target's median round. */
const rate = (t: Target) => ({ seq: SEQ / (median(t.seqMs) / 1000), conc: CONC_N / (median(t.concMs) / 1000) });

/** RSS and USS (private resident memory: what one more worker adds; RSS also counts the shared Node binary). */
function memMb(pid: number): { rss: number; uss: number } {
  const s = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? Number.NaN);
  return { rss: kb('Rss') / 1024, uss: (kb('Private_Clean') + kb('Private_Dirty')) / 1024 };
}

/** serverless-offline 14 needs Serverless 4; the workspace has v3, so it lives in its own folder. */
const OFFLINE14 = join(ROOT, 'bench/baselines/serverless-offline-14');

/** Installs the serverless-offline 14 baseline (npm ci, from its lockfile) unless it is there. */
function ensureOffline14(): void {
  if (existsSync(join(OFFLINE14, 'node_modules/serverless-offline/package.json'))) return;
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: OFFLINE14,
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 300_000,
  });
}

const SLS_ENV = {
  SLS_TELEMETRY_DISABLED: '1',
  SLS_NOTIFICATIONS_MODE: 'off',
  SLS_DEPRECATION_DISABLE: '*',
  SLS_INTERACTIVE_SETUP_DISABLE: '1',
};

function offlineYml(frameworkVersion: string, ports: number[]): string {
  return [
    'service: bench',
    `frameworkVersion: '${frameworkVersion}'`,
    'provider:',
    '  name: aws',
    '  runtime: nodejs20.x',
    'functions:',
    '  hello:',
    '    handler: handler.hello',
    '  defined:',
    '    handler: defined.echo',
    'plugins:',
    '  - serverless-offline',
    'custom:',
    '  serverless-offline:',
    `    lambdaPort: ${ports[0]}`,
    `    httpPort: ${ports[1]}`,
    `    websocketPort: ${ports[2]}`,
    '',
  ].join('\n');
}

const ECHO_SERVER = `
import { createServer } from 'node:http';
const s = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length, 'X-Amz-Executed-Version': '$LATEST' });
    res.end(body);
  });
});
s.keepAliveTimeout = 60000;
s.listen(0, '127.0.0.1', () => console.log('ECHO ' + s.address().port));
`;

/**
 * The floor of a design whose sandboxes are processes: the echo, but each body goes to a child
 * process over the same kind of IPC channel as the mesh's (fork, JSON) and comes back from it
 * before the answer. No routing, IAM, tracing or Lambda semantics: only the hop.
 */
const ECHO_HOP_SERVER = `
import { createServer } from 'node:http';
import { fork } from 'node:child_process';
if (process.argv[2] === 'child') {
  process.on('message', (m) => process.send(m));
} else {
  const child = fork(new URL(import.meta.url).pathname, ['child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
  const waiting = new Map();
  let next = 0;
  child.on('message', (m) => { const w = waiting.get(m.id); waiting.delete(m.id); w(m.body); });
  const s = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const id = next++;
      waiting.set(id, (text) => {
        const body = Buffer.from(text);
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length, 'X-Amz-Executed-Version': '$LATEST' });
        res.end(body);
      });
      child.send({ id, body: Buffer.concat(chunks).toString('utf8') });
    });
  });
  s.keepAliveTimeout = 60000;
  s.listen(0, '127.0.0.1', () => console.log('ECHO ' + s.address().port));
}
`;

/** Starts `serverless offline start` in `cwd` with the given CLI; a failure is a note, not a crash. */
async function startOffline(
  label: string,
  cwd: string,
  cli: string,
  ports: number[],
  procs: ChildProcess[],
): Promise<{ target?: Target; readyMs?: number; note: string }> {
  try {
    const sls = await startProcess(process.execPath, [cli, 'offline', 'start'], {
      cwd,
      env: SLS_ENV,
      ready: /listening on http:\/\/localhost:\d+/,
      timeoutMs: 90_000,
    });
    procs.push(sls.proc);
    return {
      target: target(label, `http://127.0.0.1:${ports[0]}`, 'bench-dev-hello'),
      readyMs: sls.readyMs,
      note: '',
    };
  } catch (err) {
    return { note: `${label} did not run: ${(err as Error).message.split('\n')[0]}` };
  }
}

export default async function run(): Promise<BenchRow[]> {
  const dir = join(ROOT, '.svc-mesh', `bench-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const procs: ChildProcess[] = [];
  try {
    writeFileSync(join(dir, 'handler.js'), 'export const hello = async (event) => event;\n');
    // The default mode's handler: svc-mesh's own wrapper (span, deadline scope, error marker).
    writeFileSync(
      join(dir, 'defined.ts'),
      "import { defineFunction } from 'svc-mesh';\nexport const echo = defineFunction(async (input: unknown) => input);\n",
    );
    const ports13 = [await freePort(), await freePort(), await freePort()];
    writeFileSync(join(dir, 'serverless.yml'), offlineYml('3', ports13));
    writeFileSync(join(dir, 'echo.mjs'), ECHO_SERVER);
    writeFileSync(join(dir, 'echo-hop.mjs'), ECHO_HOP_SERVER);

    // Ours: `svc-mesh dev` as its own process, IAM on, tracing off (serverless-offline has none).
    const mesh = await startProcess(
      process.execPath,
      [join(ROOT, 'tools/bin/svc-mesh.js'), 'dev', dir, '--port', '0', '--quiet', '--no-tracing'],
      {
        cwd: ROOT,
        ready: /local mesh on (http:\/\/127\.0\.0\.1:\d+)/,
        timeoutMs: 60_000,
      },
    );
    procs.push(mesh.proc);
    const meshUrl = mesh.match[1]!;
    const ourT = target('svc-mesh', meshUrl, 'bench-dev-hello');
    const untracedT = target('svc-mesh --no-tracing, defineFunction', meshUrl, 'bench-dev-defined');

    // The default mode: `svc-mesh dev` as users run it (IAM on, tracing on), a defineFunction handler.
    const dflt = await startProcess(
      process.execPath,
      [join(ROOT, 'tools/bin/svc-mesh.js'), 'dev', dir, '--port', '0', '--quiet'],
      {
        cwd: ROOT,
        ready: /local mesh on (http:\/\/127\.0\.0\.1:\d+)/,
        timeoutMs: 60_000,
      },
    );
    procs.push(dflt.proc);
    const defaultT = target('svc-mesh default (IAM, tracing, defineFunction)', dflt.match[1]!, 'bench-dev-defined');

    // Baselines: serverless-offline 13 (Serverless 3) and 14 (osls 4), their Lambda endpoints.
    const offline13 = await startOffline(
      'serverless-offline 13',
      dir,
      join(ROOT, 'node_modules/serverless/bin/serverless.js'),
      ports13,
      procs,
    );
    let offline14: Awaited<ReturnType<typeof startOffline>> = { note: '' };
    try {
      ensureOffline14();
      const dir14 = join(dir, 'offline14');
      mkdirSync(dir14);
      writeFileSync(join(dir14, 'handler.js'), 'export const hello = async (event) => event;\n');
      writeFileSync(join(dir14, 'package.json'), '{"type":"module"}\n');
      symlinkSync(join(OFFLINE14, 'node_modules'), join(dir14, 'node_modules'), 'dir');
      const ports14 = [await freePort(), await freePort(), await freePort()];
      writeFileSync(join(dir14, 'serverless.yml'), offlineYml('4', ports14));
      offline14 = await startOffline(
        'serverless-offline 14',
        dir14,
        join(OFFLINE14, 'node_modules/serverless/bin/serverless.js'),
        ports14,
        procs,
      );
    } catch (err) {
      offline14 = { note: `serverless-offline 14 did not install: ${(err as Error).message.split('\n')[0]}` };
    }
    const offT = offline13.target;
    const offT14 = offline14.target;
    const offlineReadyMs = offline13.readyMs ?? null;
    const offlineNote = [offline13.note, offline14.note].filter(Boolean).join('; ');

    const startEcho = async (file: string, name: string): Promise<Target> => {
      const p = await startProcess(process.execPath, [join(dir, file)], {
        cwd: dir,
        ready: /ECHO (\d+)/,
        timeoutMs: 20_000,
      });
      procs.push(p.proc);
      return target(name, `http://127.0.0.1:${p.match[1]}`, 'echo');
    };
    // The physical floor: a raw keep-alive node:http echo on loopback; and the same through a child process.
    const echoT = await startEcho('echo.mjs', 'echo');
    const hopT = await startEcho('echo-hop.mjs', 'echo through a child process');

    // The default and untraced meshes again, called with plain node:http requests: tracing's cost
    // without the SDK client's CPU beside it on the same 2 cores.
    const rawDefaultT = target('svc-mesh default, node:http client', dflt.match[1]!, 'bench-dev-defined', true);
    const rawUntracedT = target('svc-mesh --no-tracing, node:http client', meshUrl, 'bench-dev-defined', true);
    const targets = [
      defaultT,
      untracedT,
      ourT,
      ...(offT ? [offT] : []),
      ...(offT14 ? [offT14] : []),
      echoT,
      hopT,
      rawDefaultT,
      rawUntracedT,
    ];
    // The first call of each (a cold start: the mesh bundles and forks, serverless-offline loads the handler).
    const firstCall = async (t: Target) => {
      const t1 = performance.now();
      await once(t, 0);
      return performance.now() - t1;
    };
    const coldDefault = await firstCall(defaultT);
    // The plain handler's first call on the same (default-mode) mesh, once its spare is back.
    const spareUp = async () => {
      for (let i = 0; i < 100; i++) {
        const h = (await (await fetch(`${dflt.match[1]}/_mesh/health`)).json()) as { spareSandbox?: { pid: unknown } };
        if (typeof h.spareSandbox?.pid === 'number') return;
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await spareUp();
    const coldPlain = await firstCall(target('svc-mesh default, plain handler', dflt.match[1]!, 'bench-dev-hello'));
    const coldOffline = offT ? await firstCall(offT) : null;
    const coldOffline14 = offT14 ? await firstCall(offT14) : null;
    for (const t of targets) await warm(t);
    for (let r = 0; r < ROUNDS; r++) await round(targets, r);
    for (const t of targets) {
      if (t.bad > 0) throw new Error(`${t.bad} invocations against ${t.name} returned a wrong or failed result`);
    }
    const ours = rate(ourT);
    const offline = offT ? rate(offT) : null;
    const offline14Rate = offT14 ? rate(offT14) : null;
    const floor = rate(echoT);
    const hopFloor = rate(hopT);
    const dfl = rate(defaultT);
    const untraced = rate(untracedT);
    const rawDfl = rate(rawDefaultT);
    const rawUntraced = rate(rawUntracedT);
    // Spans all arrived: the default mesh stored one trace per invocation it ran (up to its cap).
    const stored = ((await (await fetch(`${dflt.match[1]}/api/traces?limit=1`)).json()) as { total: number }).total;

    const fns = (await (await fetch(`${meshUrl}/_mesh/functions`)).json()) as { pids: number[] }[];
    const pids = fns.flatMap((f) => f.pids);
    // No PID listed means nothing was measured: the memory rows must not pass on Math.max() = -Infinity.
    if (pids.length === 0)
      throw new Error('the mesh listed no worker PIDs (/_mesh/functions), so no memory was measured');
    const mem = pids.map(memMb);
    const ussPerWorker = Math.max(...mem.map((m) => m.uss));
    const rssPerWorker = Math.max(...mem.map((m) => m.rss));
    for (const p of procs) kill(p);

    // Start to ready for examples/shop (5 services) with the default mode.
    let shopReadyMs: number | null = null;
    try {
      const shop = await startProcess(
        process.execPath,
        [join(ROOT, 'tools/bin/svc-mesh.js'), 'dev', join(ROOT, 'examples/shop'), '--port', '0', '--quiet'],
        { cwd: ROOT, ready: /local mesh on (http:\/\/127\.0\.0\.1:\d+)/, timeoutMs: 60_000 },
      );
      shopReadyMs = shop.readyMs;
      kill(shop.proc);
    } catch {
      shopReadyMs = null;
    }

    // The same with tracing on: what a worker costs with the OpenTelemetry SDK loaded.
    let traced: { rss: number; uss: number } | null = null;
    try {
      const tracedMesh = await startProcess(
        process.execPath,
        [join(ROOT, 'tools/bin/svc-mesh.js'), 'dev', dir, '--port', '0', '--quiet'],
        {
          cwd: ROOT,
          ready: /local mesh on (http:\/\/127\.0\.0\.1:\d+)/,
          timeoutMs: 60_000,
        },
      );
      procs.push(tracedMesh.proc);
      const c = client(tracedMesh.match[1]!, new Agent({ keepAlive: true }));
      for (let i = 0; i < 50; i++) await c.send(new InvokeCommand({ FunctionName: 'bench-dev-hello', Payload: '{}' }));
      const f2 = (await (await fetch(`${tracedMesh.match[1]}/_mesh/functions`)).json()) as { pids: number[] }[];
      const m2 = f2.flatMap((f) => f.pids).map(memMb);
      if (m2.length === 0) throw new Error('no worker PIDs with tracing on');
      traced = { rss: Math.max(...m2.map((m) => m.rss)), uss: Math.max(...m2.map((m) => m.uss)) };
      kill(tracedMesh.proc);
    } catch {
      traced = null;
    }

    const r = (a: number, b: number | null) => (b === null ? null : a / b);
    // warm-up (WARM sequential + 2 × WARM concurrent), the rounds, and the first (cold) call
    const invocations = WARM * 3 + (SEQ + CONC_N) * ROUNDS + 1;
    const rows: BenchRow[] = [
      {
        metric: 'default mode (IAM on, tracing on, defineFunction): sequential invokes/s',
        baseline: 'serverless-offline 14 Lambda endpoint (plain handler, no tracing)',
        baselineValue: offline14Rate?.seq ?? null,
        ours: dfl.seq,
        unit: 'invokes/s',
        ratio: r(dfl.seq, offline14Rate?.seq ?? null),
        goal: 'headline',
        met: null,
        note: `what \`svc-mesh dev\` users run; the median of ${ROUNDS} interleaved rounds of ${SEQ} sequential invokes per target${SMOKE ? ' (SMOKE: not a measurement)' : ''}${offline14.note ? `; ${offline14.note}` : ''}`,
      },
      {
        metric: `default mode (IAM on, tracing on, defineFunction): throughput at concurrency ${CONC}`,
        baseline: 'serverless-offline 14 Lambda endpoint (plain handler, no tracing)',
        baselineValue: offline14Rate?.conc ?? null,
        ours: dfl.conc,
        unit: 'invokes/s',
        ratio: r(dfl.conc, offline14Rate?.conc ?? null),
        goal: 'headline',
        met: null,
      },
      {
        metric: 'default mode: sequential invokes/s',
        baseline: 'serverless-offline 13 Lambda endpoint (plain handler, no tracing)',
        baselineValue: offline?.seq ?? null,
        ours: dfl.seq,
        unit: 'invokes/s',
        ratio: r(dfl.seq, offline?.seq ?? null),
        goal: 'report',
        met: null,
      },
      {
        metric: `default mode: throughput at concurrency ${CONC}`,
        baseline: 'serverless-offline 13 Lambda endpoint (plain handler, no tracing)',
        baselineValue: offline?.conc ?? null,
        ours: dfl.conc,
        unit: 'invokes/s',
        ratio: r(dfl.conc, offline?.conc ?? null),
        goal: 'report',
        met: null,
      },
      {
        metric: 'default mode vs the physical floor, sequential',
        baseline: 'raw keep-alive node:http echo (loopback)',
        baselineValue: floor.seq,
        ours: dfl.seq,
        unit: 'invokes/s',
        ratio: dfl.seq / floor.seq,
        goal: '≥ 0.7×',
        met: dfl.seq / floor.seq >= 0.7,
      },
      {
        metric: `default mode vs the physical floor, concurrency ${CONC}`,
        baseline: 'raw keep-alive node:http echo (loopback)',
        baselineValue: floor.conc,
        ours: dfl.conc,
        unit: 'invokes/s',
        ratio: dfl.conc / floor.conc,
        goal: '≥ 0.7×',
        met: dfl.conc / floor.conc >= 0.7,
      },
      {
        metric: 'the hop alone (echo through a child process over fork IPC) vs the physical floor, sequential',
        baseline: 'raw keep-alive node:http echo (loopback)',
        baselineValue: floor.seq,
        ours: hopFloor.seq,
        unit: 'invokes/s',
        ratio: hopFloor.seq / floor.seq,
        goal: 'report',
        met: null,
        note: 'what any design pays whose sandboxes are processes (a timeout can kill one): no mesh logic at all, only the IPC round trip',
      },
      {
        metric: `the hop alone vs the physical floor, concurrency ${CONC}`,
        baseline: 'raw keep-alive node:http echo (loopback)',
        baselineValue: floor.conc,
        ours: hopFloor.conc,
        unit: 'invokes/s',
        ratio: hopFloor.conc / floor.conc,
        goal: 'report',
        met: null,
      },
      {
        metric: 'default mode vs the hop alone, sequential',
        baseline: 'echo through a child process over fork IPC',
        baselineValue: hopFloor.seq,
        ours: dfl.seq,
        unit: 'invokes/s',
        ratio: dfl.seq / hopFloor.seq,
        goal: 'report',
        met: null,
        note: 'what the mesh itself costs (routing, IAM, Lambda semantics, tracing) on top of the process hop',
      },
      {
        metric: `default mode vs the hop alone, concurrency ${CONC}`,
        baseline: 'echo through a child process over fork IPC',
        baselineValue: hopFloor.conc,
        ours: dfl.conc,
        unit: 'invokes/s',
        ratio: dfl.conc / hopFloor.conc,
        goal: 'report',
        met: null,
      },
      {
        metric: 'tracing on vs --no-tracing (defineFunction handler), sequential',
        baseline: 'the same mesh and handler with --no-tracing',
        baselineValue: untraced.seq,
        ours: dfl.seq,
        unit: 'invokes/s',
        ratio: dfl.seq / untraced.seq,
        goal: '≥ 0.85× (tracing costs ≤ 15 %)',
        met: dfl.seq / untraced.seq >= 0.85,
        note: 'worker spans travel over the IPC channel; the mesh records one span per invocation',
      },
      {
        metric: `tracing on vs --no-tracing (defineFunction handler), concurrency ${CONC}`,
        baseline: 'the same mesh and handler with --no-tracing',
        baselineValue: untraced.conc,
        ours: dfl.conc,
        unit: 'invokes/s',
        ratio: dfl.conc / untraced.conc,
        goal: '≥ 0.85× (tracing costs ≤ 15 %)',
        met: dfl.conc / untraced.conc >= 0.85,
      },
      {
        metric:
          'tracing on vs --no-tracing (defineFunction handler), sequential, node:http client instead of the AWS SDK',
        baseline: 'the same mesh and handler with --no-tracing, same client',
        baselineValue: rawUntraced.seq,
        ours: rawDfl.seq,
        unit: 'invokes/s',
        ratio: rawDfl.seq / rawUntraced.seq,
        goal: 'report',
        met: null,
        note: "the same Invoke as plain keep-alive HTTP requests (SigV4 scope, dummy signature): tracing's own cost, without the SDK client's CPU competing for the 2 cores",
      },
      {
        metric: `tracing on vs --no-tracing (defineFunction handler), concurrency ${CONC}, node:http client instead of the AWS SDK`,
        baseline: 'the same mesh and handler with --no-tracing, same client',
        baselineValue: rawUntraced.conc,
        ours: rawDfl.conc,
        unit: 'invokes/s',
        ratio: rawDfl.conc / rawUntraced.conc,
        goal: 'report',
        met: null,
      },
      ...(
        [
          ['14', offline14.readyMs ?? null, coldOffline14],
          ['13', offlineReadyMs, coldOffline],
        ] as const
      ).flatMap(([v, readyMs, cold]): BenchRow[] => [
        {
          metric: 'start to ready, one service (the bench service)',
          baseline: `serverless-offline ${v} (\`serverless offline start\`, same service)`,
          baselineValue: readyMs,
          ours: dflt.readyMs,
          unit: 'ms',
          ratio: readyMs ? dflt.readyMs / readyMs : null,
          goal: 'not slower (≤ 1×)',
          met: readyMs ? dflt.readyMs <= readyMs : null,
          note: 'from spawning the command to its "listening" line; the mesh loads and validates serverless.yml with codegen first',
        },
        {
          metric: 'first call (cold start) of a defineFunction handler, default mode',
          baseline: `serverless-offline ${v}, same service, its first call (plain handler)`,
          baselineValue: cold,
          ours: coldDefault,
          unit: 'ms',
          ratio: cold ? coldDefault / cold : null,
          goal: 'not slower (≤ 1×)',
          met: cold ? coldDefault <= cold : null,
          note: 'adopts the spare sandbox (Node and the tracing SDK already loaded), starts tracing, loads the handler and svc-mesh (the checkout bundles svc-mesh from its sources, with inline source maps)',
        },
        {
          metric: 'first call (cold start) of a plain handler, default mode',
          baseline: `serverless-offline ${v}, same service, its first call (plain handler)`,
          baselineValue: cold,
          ours: coldPlain,
          unit: 'ms',
          ratio: cold ? coldPlain / cold : null,
          goal: 'not slower (≤ 1×)',
          met: cold ? coldPlain <= cold : null,
          note: 'the same handler as the baseline, on the default-mode mesh once its spare sandbox is back',
        },
      ]),
      ...(shopReadyMs === null
        ? []
        : [
            {
              metric: 'start to ready, examples/shop (5 services)',
              baseline: 'none',
              baselineValue: null,
              ours: shopReadyMs,
              unit: 'ms',
              ratio: null,
              goal: 'report',
              met: null,
            },
          ]),
      {
        metric: 'traces stored by the default mesh (one per invocation, none lost)',
        baseline: 'invocations made (capped at the store’s 5,000 traces)',
        baselineValue: Math.min(invocations, 5000),
        ours: stored,
        unit: 'traces',
        ratio: stored / Math.min(invocations, 5000),
        goal: '= 1',
        met: stored === Math.min(invocations, 5000),
      },
      {
        metric: 'sequential invokes/s (SDK InvokeCommand, trivial handler, --no-tracing)',
        baseline: 'serverless-offline 13 Lambda endpoint',
        baselineValue: offline?.seq ?? null,
        ours: ours.seq,
        unit: 'invokes/s',
        ratio: r(ours.seq, offline?.seq ?? null),
        goal: '≥ 3×',
        met: offline === null ? null : ours.seq / offline.seq >= 3,
        note: `the median of ${ROUNDS} interleaved rounds of ${SEQ} sequential invokes per target (after ${WARM} warm-up), one keep-alive LambdaClient per target; each server in its own process${offlineNote ? `; ${offlineNote}` : ''}`,
      },
      {
        metric: `throughput at concurrency ${CONC}`,
        baseline: 'serverless-offline 13 Lambda endpoint',
        baselineValue: offline?.conc ?? null,
        ours: ours.conc,
        unit: 'invokes/s',
        ratio: r(ours.conc, offline?.conc ?? null),
        goal: '≥ 3×',
        met: offline === null ? null : ours.conc / offline.conc >= 3,
        note: `the median of ${ROUNDS} interleaved rounds of ${CONC_N} invokes, ${CONC} in flight`,
      },
      {
        metric: 'sequential invokes/s vs the physical floor',
        baseline: 'raw keep-alive node:http echo (loopback)',
        baselineValue: floor.seq,
        ours: ours.seq,
        unit: 'invokes/s',
        ratio: ours.seq / floor.seq,
        goal: 'report',
        met: null,
        note: 'the same SDK client against an echo server: what HTTP + SigV4 + the SDK cost alone',
      },
      {
        metric: `throughput at concurrency ${CONC} vs the physical floor`,
        baseline: 'raw keep-alive node:http echo (loopback)',
        baselineValue: floor.conc,
        ours: ours.conc,
        unit: 'invokes/s',
        ratio: ours.conc / floor.conc,
        goal: 'report',
        met: null,
      },
      {
        // 1/rate is the mean time per sequential invoke; the difference is what the mesh adds per call.
        metric:
          "mesh's added latency per sequential invoke over the physical floor (baseline: the echo's whole per-invoke time)",
        baseline: 'raw keep-alive node:http echo (loopback)',
        baselineValue: 1000 / floor.seq,
        ours: (1e6 / ours.seq - 1e6 / floor.seq) / 1000,
        unit: 'ms',
        ratio: null,
        goal: 'report',
        met: null,
        note:
          `mean time per sequential invoke, mesh minus echo (${(1e6 / ours.seq).toFixed(0)} µs vs ${(1e6 / floor.seq).toFixed(0)} µs, same client and rounds): ` +
          'request routing, IAM and validation in the mesh plus the IPC round trip to the worker process that runs the handler (a Lambda sandbox: its own process, so a timeout can kill it)',
      },
      {
        metric: 'resident memory per warm worker (private: what one more worker adds)',
        baseline: 'none',
        baselineValue: null,
        ours: ussPerWorker,
        unit: 'MB',
        ratio: null,
        goal: '≤ 40 MB',
        met: pids.length > 0 && Number.isFinite(ussPerWorker) && ussPerWorker <= 40,
        note:
          `max USS (Private_Clean + Private_Dirty from /proc/<pid>/smaps_rollup) of ${pids.length} warm worker process(es), tracing off. ` +
          `Their VmRSS is ${rssPerWorker.toFixed(1)} MB, of which the rest is the Node binary's pages shared by every worker`,
      },
      {
        metric: 'resident set (VmRSS) per warm worker, incl. shared Node binary pages',
        baseline: 'none',
        baselineValue: null,
        ours: rssPerWorker,
        unit: 'MB',
        ratio: null,
        goal: 'report',
        met: null,
        note: 'a bare forked Node 20 process with an IPC channel is already about 50 MB VmRSS on this machine',
      },
    ];
    if (traced !== null) {
      rows.push({
        metric: 'resident memory per warm worker, tracing on (private)',
        baseline: 'none',
        baselineValue: null,
        ours: traced.uss,
        unit: 'MB',
        ratio: null,
        goal: 'report',
        met: null,
        note: `the OpenTelemetry Node SDK and OTLP exporter loaded in the worker (the default of \`svc-mesh dev\`); VmRSS ${traced.rss.toFixed(1)} MB`,
      });
    }
    return rows;
  } finally {
    for (const p of procs) kill(p);
    rmSync(dir, { recursive: true, force: true });
  }
}
