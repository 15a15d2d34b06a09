/**
 * Resiliency benchmarks (issue 16), each next to its baseline in the same run:
 * - own CPU per call of a closed breaker + bulkhead + edge timeout, against the same sdk.invoke
 *   without a policy (in-process fake Lambda client, so HTTP and the AWS SDK are out of it);
 * - the answer of an open breaker (CircuitOpenError), with the requests it sent counted;
 * - what a call without any policy loads: no src/resilience module, no cockatiel (a fresh process
 *   with a module hook), against a call with a policy.
 * Counts are small by default; RESILIENCE_BENCH_N scales the batches (default 2,000 calls).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { InvokeCommand } from '@aws-sdk/client-lambda';
import { createSdk } from '../src/index.js';
import type { BenchRow } from './types.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const N = Number(process.env['RESILIENCE_BENCH_N'] ?? 2_000);
const ROUNDS = Number(process.env['RESILIENCE_BENCH_ROUNDS'] ?? 11);
const T = 'bench:echo';
const ARN = 'arn:aws:lambda:us-east-1:000000000000:function:bench-dev-echo';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

function fakeLambda() {
  const answer = new TextEncoder().encode('{"ok":true}');
  let sends = 0;
  let fail = false;
  return {
    client: {
      send: async (cmd: InvokeCommand) => {
        sends++;
        void cmd.input.Payload;
        if (fail)
          return {
            StatusCode: 200,
            FunctionError: 'Unhandled',
            Payload: new TextEncoder().encode('{"errorType":"Error","errorMessage":"down"}'),
            $metadata: { requestId: 'r' },
          };
        return { StatusCode: 200, Payload: answer, $metadata: { requestId: 'r' } };
      },
    },
    sends: () => sends,
    setFail: (f: boolean) => {
      fail = f;
    },
  };
}

const base = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'b', secretAccessKey: 'b' },
  env: {},
  routes: { [T]: ARN },
};
const POLICY = { timeoutMs: 2_000, retries: 0, breaker: { failures: 5, halfOpenMs: 30_000 }, maxConcurrent: 10 };

async function cpuPerCall(f: () => Promise<unknown>, n: number): Promise<number> {
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) await f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / n;
}

async function closedOverhead(): Promise<BenchRow[]> {
  const plainLambda = fakeLambda();
  const guardedLambda = fakeLambda();
  const plain = createSdk({ ...base, clients: { lambda: plainLambda.client } });
  const guarded = createSdk({ ...base, clients: { lambda: guardedLambda.client }, policies: { [T]: POLICY } });
  const input = { orderId: 'o-1', amountCents: 1200 };
  const variants = {
    plain: () => plain.invoke(T, input),
    // today's sdk.invoke with the same timeout given per call (the deadline then travels in ClientContext)
    plainTimeout: () => plain.invoke(T, input, { timeoutMs: POLICY.timeoutMs }),
    guarded: () => guarded.invoke(T, input),
  };
  const names = Object.keys(variants) as (keyof typeof variants)[];
  // JIT warm-up: the first few thousand calls of each are slower
  for (let i = 0; i < 3; i++) for (const k of names) await cpuPerCall(variants[k], Math.max(N, 2_000));
  const res = { plain: [] as number[], plainTimeout: [] as number[], guarded: [] as number[] };
  const added: number[] = [];
  const addedTimeout: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const r: Record<string, number> = {};
    for (const k of i % 2 === 0 ? names : [...names].reverse()) r[k] = await cpuPerCall(variants[k], N);
    for (const k of names) res[k].push(r[k]!);
    added.push(r['guarded']! - r['plain']!);
    addedTimeout.push(r['guarded']! - r['plainTimeout']!);
  }
  if (guarded.health().breakers[T]?.state !== 'closed') throw new Error('the breaker left the closed state');
  const round = (x: number) => Math.round(x * 100) / 100;
  const row = (baseline: string, b: number[], a: number[]): BenchRow => ({
    metric: 'own CPU per call: closed breaker + bulkhead + edge timeout (in-process fake Lambda)',
    baseline,
    baselineValue: round(median(b)),
    ours: round(median(res.guarded)),
    unit: 'µs/call',
    ratio: round(median(a)),
    goal: 'added ≤ 2 µs',
    met: median(a) <= 2,
    note: `ratio column = added µs/call (median of ${ROUNDS} interleaved rounds of ${N} calls)`,
  });
  return [
    row(`sdk.invoke with { timeoutMs: ${POLICY.timeoutMs} } per call, no policy`, res.plainTimeout, addedTimeout),
    row('sdk.invoke without timeout or policy', res.plain, added),
  ];
}

async function openAnswer(): Promise<BenchRow[]> {
  const lambda = fakeLambda();
  const sdk = createSdk({
    ...base,
    clients: { lambda: lambda.client },
    policies: { [T]: { retries: 0, breaker: { failures: 1, halfOpenMs: 3_600_000 } } },
    onResilienceEvent: () => {},
  });
  lambda.setFail(true);
  await sdk.invoke(T, {}).catch(() => undefined);
  if (sdk.health().breakers[T]?.state !== 'open') throw new Error('the breaker did not open');
  const before = lambda.sends();
  const fail = () => sdk.invoke(T, {}).catch((e: { code?: string }) => e.code);
  const plainLambda = fakeLambda();
  const plain = createSdk({ ...base, clients: { lambda: plainLambda.client } });
  const plainCall = () => plain.invoke(T, {});
  const wall = async (f: () => Promise<unknown>) => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) await f();
    return Number(process.hrtime.bigint() - t0) / 1000 / N;
  };
  for (let i = 0; i < 3; i++) {
    await wall(fail);
    await wall(plainCall);
  }
  const open: number[] = [];
  const ok: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    open.push(await wall(fail));
    ok.push(await wall(plainCall));
  }
  const sent = lambda.sends() - before;
  const o = median(open);
  return [
    {
      metric: 'open breaker: time to CircuitOpenError',
      baseline: 'a successful sdk.invoke against an in-process fake Lambda',
      baselineValue: Math.round(median(ok) * 100) / 100,
      ours: Math.round(o * 100) / 100,
      unit: 'µs/call',
      ratio: Math.round((o / median(ok)) * 100) / 100,
      goal: '≤ 50 µs',
      met: o <= 50,
    },
    {
      metric: 'open breaker: requests sent',
      baseline: `${(ROUNDS + 1) * N} calls while open`,
      baselineValue: (ROUNDS + 1) * N,
      ours: sent,
      unit: 'requests',
      ratio: null,
      goal: '= 0',
      met: sent === 0,
    },
  ];
}

/**
 * Warm p50 over loopback HTTP (a keep-alive Lambda endpoint in its own process): sdk.invoke with a
 * policy (breaker + bulkhead + timeout) against the raw LambdaClient.send(InvokeCommand).
 */
async function warmP50(): Promise<BenchRow[]> {
  const { spawn } = await import('node:child_process');
  const { InvokeCommand, LambdaClient } = await import('@aws-sdk/client-lambda');
  const code =
    "const http = require('node:http');" +
    'const s = http.createServer((req, res) => { req.resume(); req.on("end", () => {' +
    ' res.writeHead(200, { "content-type": "application/json", "x-amzn-requestid": "r", "x-amz-executed-version": "$LATEST" });' +
    ' res.end(\'{"ok":true}\'); }); });' +
    's.keepAliveTimeout = 60000; s.listen(0, "127.0.0.1", () => process.stdout.write(String(s.address().port) + "\\n"));';
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<string>((resolve, reject) => {
      child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()));
      child.once('error', reject);
    });
    const endpoint = `http://127.0.0.1:${port}`;
    const guarded = createSdk({ ...base, endpoint, policies: { [T]: POLICY } });
    const raw = new LambdaClient({ region: 'us-east-1', endpoint, credentials: base.credentials });
    const payload = { orderId: 'o-1', amountCents: 1200 };
    const variants = {
      guarded: () => guarded.invoke(T, payload),
      raw: async () => {
        const out = await raw.send(
          new InvokeCommand({ FunctionName: ARN, Payload: Buffer.from(JSON.stringify(payload)) }),
        );
        return JSON.parse(Buffer.from(out.Payload!).toString('utf8'));
      },
    };
    const n = Math.max(200, Math.floor(N / 4));
    const lat = { guarded: [] as number[], raw: [] as number[] };
    for (let i = 0; i < 200; i++) for (const f of Object.values(variants)) await f();
    for (let r = 0; r < ROUNDS; r++)
      for (const k of r % 2 === 0 ? (['guarded', 'raw'] as const) : (['raw', 'guarded'] as const))
        for (let i = 0; i < n; i++) {
          const t0 = process.hrtime.bigint();
          await variants[k]();
          lat[k].push(Number(process.hrtime.bigint() - t0) / 1e6);
        }
    const g = median(lat.guarded);
    const rw = median(lat.raw);
    const ratio = Math.round((g / rw) * 1000) / 1000;
    return [
      {
        metric: 'warm p50 over loopback HTTP, policy with closed breaker + bulkhead + timeout',
        baseline: 'raw LambdaClient.send(InvokeCommand)',
        baselineValue: Math.round(rw * 1000) / 1000,
        ours: Math.round(g * 1000) / 1000,
        unit: 'ms',
        ratio,
        goal: '≤ 1.03',
        met: ratio <= 1.03,
        note: `${ROUNDS} interleaved rounds of ${n} calls`,
      },
    ];
  } finally {
    child.kill();
  }
}

/** Modules loaded by one call in a fresh process, with and without a policy. */
function loadedModules(): BenchRow[] {
  const dir = mkdtempSync(join(tmpdir(), 'svc-mesh-resilience-bench-'));
  try {
    writeFileSync(
      join(dir, 'hooks.mjs'),
      'let port; export function initialize(d) { port = d.port; }\n' +
        'export async function resolve(s, c, next) { const r = await next(s, c); port.postMessage(r.url); return r; }\n',
    );
    writeFileSync(
      join(dir, 'main.mjs'),
      "import { register } from 'node:module';\n" +
        "import { MessageChannel } from 'node:worker_threads';\n" +
        'const seen = []; const { port1, port2 } = new MessageChannel();\n' +
        'port1.on("message", (u) => seen.push(u));\n' +
        "register('./hooks.mjs', import.meta.url, { data: { port: port2 }, transferList: [port2] });\n" +
        'const { createSdk } = await import(process.env.SVC_MESH_ENTRY);\n' +
        "const client = { send: async () => ({ StatusCode: 200, Payload: new TextEncoder().encode('1'), $metadata: {} }) };\n" +
        "const policies = process.env.WITH_POLICY ? { 'bench:echo': { breaker: { failures: 5, halfOpenMs: 1000 } } } : undefined;\n" +
        "const sdk = createSdk({ region: 'us-east-1', env: {}, routes: { 'bench:echo': 'bench-dev-echo' }, clients: { lambda: client }, ...(policies ? { policies } : {}) });\n" +
        "await sdk.invoke('bench:echo', {});\n" +
        'await new Promise((r) => setTimeout(r, 50)); port1.close();\n' +
        'const n = seen.filter((u) => /\\/src\\/resilience\\/|\\/cockatiel\\//.test(u)).length;\n' +
        'process.stdout.write(String(n));\n',
    );
    const run = (withPolicy: boolean) =>
      Number(
        execFileSync(process.execPath, ['--conditions=source', '--import', 'tsx', join(dir, 'main.mjs')], {
          cwd: root,
          env: {
            ...process.env,
            SVC_MESH_ENTRY: pathToFileURL(join(root, 'src/index.ts')).href,
            ...(withPolicy ? { WITH_POLICY: '1' } : {}),
          },
          encoding: 'utf8',
        }).trim(),
      );
    const without = run(false);
    const withPolicy = run(true);
    return [
      {
        metric: 'modules of src/resilience and cockatiel loaded by a call without any policy',
        baseline: 'the same call with a policy',
        baselineValue: withPolicy,
        ours: without,
        unit: 'modules',
        ratio: null,
        goal: '= 0 (cold import unchanged)',
        met: without === 0,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export default async function run(): Promise<BenchRow[]> {
  return [...(await closedOverhead()), ...(await warmP50()), ...(await openAnswer()), ...loadedModules()];
}

// Direct run (smoke): `RESILIENCE_BENCH_N=200 npx tsx --conditions=source bench/resilience.bench.ts`
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await run()) console.log(JSON.stringify(r));
}
