/**
 * `npm run demo:resilience`: a circuit breaker on the local mesh (examples/resilience).
 *
 *   1. the mesh starts with `--fault 'payments:charge=error:50%'`;
 *   2. checkout:pay is called until its breaker for payments:charge opens (2 failures in a row),
 *      then a few more times: the breaker answers at once and the fallback queues the charge as an
 *      Event invocation (which runs, since the fault hits sync calls);
 *   3. the fault is lifted; after `halfOpenAfter` one probe goes through and the breaker closes;
 *   4. the mesh's view of the edge (GET /_mesh/resilience) and the fault counts.
 *
 * Flags: `--serve` keeps the mesh running afterwards (Ctrl-C stops it); `--port <n>`.
 */
import { fileURLToPath } from 'node:url';
import pc from 'picocolors';
import { createSdk } from '../src/index.js';
import { startLocalMesh } from '../tools/local/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const serve = args.includes('--serve');
const portArg = args.indexOf('--port');
const port = portArg >= 0 ? Number(args[portArg + 1]) : serve ? 4710 : 0;
const say = (s = '') => process.stdout.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const watchdog = setTimeout(() => {
  process.stderr.write('demo:resilience: still running after 120 s; giving up\n');
  process.exit(1);
}, 120_000);
watchdog.unref();
process.removeAllListeners('warning');

say(pc.bold('svc-mesh resiliency demo: checkout:pay → payments:charge with a circuit breaker'));
say(
  pc.dim(
    'policy on the edge (examples/resilience/checkout/serverless.yml): timeout 3s · retries 0 · breaker 2/1s · fallback event',
  ),
);

const mesh = await startLocalMesh({
  paths: [`${root}examples/resilience`],
  port,
  maxWorkersPerFunction: 1, // one execution environment, so one breaker
  faults: ['payments:charge=error:50%'],
  // Function output is hidden; the breaker's own log lines are shown.
  log: (line) => {
    if (line.includes('circuit breaker')) {
      const m = /"message":"([^"]+)"/.exec(line);
      say(pc.yellow(`    ⚡ ${m?.[1] ?? line}`));
    } else if (line.startsWith('svc-mesh: injecting') || line.startsWith('svc-mesh: faults'))
      say(pc.magenta(`    ${line}`));
  },
});
const sdk = createSdk({
  stage: 'dev',
  region: mesh.region,
  endpoint: mesh.endpoint,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  env: {},
});
type Pay = { status: string; error?: string; breaker: string };
let n = 0;
const pay = async () => {
  n++;
  const r = (await sdk.invoke('checkout:pay', { orderId: `o${n}`, amountCents: 100 })) as Pay;
  const color = r.status === 'charged' ? pc.green : r.status === 'queued' ? pc.cyan : pc.red;
  say(
    `  order o${String(n).padEnd(3)} ${color(r.status.padEnd(8))} ${pc.dim(`${r.error ?? ''}`.padEnd(22))} breaker: ${r.breaker}`,
  );
  return r;
};

try {
  say(`\n${pc.bold('1.')} 50 % of payments:charge calls fail; calling until the breaker opens`);
  let r: Pay | undefined;
  for (let i = 0; i < 40 && r?.breaker !== 'open'; i++) r = await pay();
  if (r?.breaker !== 'open') throw new Error('the breaker did not open in 40 calls');

  say(`\n${pc.bold('2.')} while it is open: no request to payments; the fallback queues each charge (Event)`);
  for (let i = 0; i < 3; i++) await pay();
  await mesh.idle();

  say(`\n${pc.bold('3.')} lifting the fault; after halfOpenAfter (1 s) one probe goes through`);
  mesh.faults.set([]);
  await sleep(1_100);
  r = await pay();
  await pay();
  if (r.breaker !== 'closed') throw new Error(`expected the breaker to close, it is ${r.breaker}`);

  say(`\n${pc.bold('4.')} what the mesh saw`);
  const view = (await (await fetch(`${mesh.endpoint}/_mesh/resilience`)).json()) as {
    edges: { caller: string; target: string; policy: unknown; breaker: { state: string } | null }[];
  };
  for (const e of view.edges)
    say(
      `  ${e.caller} → ${e.target}: policy ${JSON.stringify(e.policy)}; breaker ${e.breaker?.state ?? 'not reported'}`,
    );
  say(`  trace viewer (injected faults, breaker events, map): ${mesh.endpoint}/`);
  if (serve) {
    say(
      pc.dim(
        `\nThe mesh keeps running on ${mesh.endpoint}; try: npx svc-mesh fault --endpoint ${mesh.endpoint} 'payments:charge=timeout'  (Ctrl-C stops)`,
      ),
    );
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  }
} finally {
  await mesh.stop();
}
