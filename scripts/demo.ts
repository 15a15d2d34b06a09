/**
 * `npm run demo`: the whole idea on one machine, in under a minute.
 *
 *   1. svc-codegen reads examples/shop/*\/serverless.yml and writes IAM, CloudFormation, env,
 *      contracts, typed clients and the service graph to examples/shop/.svc-mesh/codegen/;
 *   2. the local mesh runs every shop service at stage `dev`, plus developer alice's copy of
 *      `orders` at stage `alice` (falling back to `dev` for everything she has not deployed);
 *   3. a short scenario: an order that succeeds, one whose card is declined (the typed error
 *      travels back, and the `failed` lifecycle event reaches notifications over SNS), an
 *      out-of-stock order, alice's order, and an undeclared call that IAM denies;
 *   4. the traces of those calls as terminal waterfalls, and the viewer's URL.
 *
 * Flags: `--serve` keeps the mesh running afterwards (Ctrl-C stops it); `--port <n>`.
 * Needs nothing outside the repository: no AWS account, no Docker, no internet.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import pc from 'picocolors';

const root = fileURLToPath(new URL('..', import.meta.url));
const shop = join(root, 'examples/shop');
const outDir = join(shop, '.svc-mesh/codegen');
const args = process.argv.slice(2);
const serve = args.includes('--serve');
const portArg = args.indexOf('--port');
const port = portArg >= 0 ? Number(args[portArg + 1]) : serve ? 4710 : 0;
const verbose = args.includes('--verbose');

const t0 = performance.now();
const secs = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
const say = (s = '') => process.stdout.write(`${s}\n`);
const step = (n: number, title: string) =>
  say(`\n${pc.bold(pc.cyan(`${n}/4`))} ${pc.bold(title)} ${pc.dim(`(at ${secs()})`)}`);
const json = (v: unknown) => JSON.stringify(v);
const rel = (p: string) => relative(process.cwd(), p) || '.';

// A stuck demo must not hang CI: fail loudly instead.
const watchdog = setTimeout(
  () => {
    process.stderr.write(`demo: still running after ${secs()}; giving up\n`);
    process.exit(1);
  },
  serve ? 2 ** 31 - 1 : 180_000,
);
watchdog.unref();

// The AWS SDK warns about Node 20's end of support on every process; that is noise here.
const warn = process.listeners('warning');
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w.name !== 'NodeVersionSupportWarning' && !w.message.startsWith('NodeVersionSupportWarning'))
    for (const l of warn) l(w);
});

say(pc.bold('svc-mesh demo: the examples/shop services on the local mesh'));
say(pc.dim('No AWS account, Docker or network needed: every AWS API below is the local mesh on 127.0.0.1.'));

// ── 1. codegen ────────────────────────────────────────────────────────────────────────────
step(1, 'codegen');
const codegenArgs = [rel(shop), '--stage', 'dev', '--out', rel(outDir), '--quiet'];
say(`  ${pc.dim('$')} svc-codegen ${codegenArgs.join(' ')}`);
const { runCLI } = await import('../codegen/cli.js');
const code = await runCLI(codegenArgs);
if (code !== 0) {
  process.stderr.write(`demo: svc-codegen exited with ${code}\n`);
  process.exit(1);
}
const count = (sub: string) => {
  try {
    return readdirSync(join(outDir, sub)).length;
  } catch {
    return 0;
  }
};
say(
  `  wrote ${rel(outDir)}/: ${count('iam')} least-privilege IAM policies (iam/), ${count('cloudformation')} CloudFormation ` +
    `fragments, ${count('contracts')} contracts, typed clients (clients/), env/ and graph.mmd`,
);
try {
  const graph = readFileSync(join(outDir, 'graph.mmd'), 'utf8');
  const edges = graph.split('\n').filter((l) => l.includes('-->') || l.includes('.->'));
  say(`  service graph: ${edges.length} edges`);
  for (const e of edges) say(pc.dim(`    ${e.trim().replace(/__/g, ':')}`));
} catch {
  say(pc.dim('  (graph.mmd not written by this codegen build)'));
}

// ── 2. the local mesh ─────────────────────────────────────────────────────────────────────
step(2, 'local mesh');
// notifications appends what it sends here (SHOP_OUTBOX in its serverless.yml), so we can show it.
const tmp = mkdtempSync(join(os.tmpdir(), 'svc-mesh-demo-'));
const outbox = join(tmp, 'outbox.jsonl');
writeFileSync(outbox, '');
process.env['SHOP_OUTBOX'] = outbox;

const { startLocalMesh, isPortInUseError } = await import('../tools/local/index.js');
const functionLogs: string[] = [];
const meshOptions = {
  paths: [shop],
  stage: 'dev',
  // Developer alice runs her own copy of `orders`; everything else comes from the shared `dev`.
  deployments: [{ paths: [join(shop, 'orders')], stage: 'alice', stageFallback: ['dev'] }],
  maxWorkersPerFunction: 1,
  log: (line: string) => {
    functionLogs.push(line);
    if (verbose || serve) say(pc.dim(`    ${line}`));
  },
};
let mesh: Awaited<ReturnType<typeof startLocalMesh>>;
try {
  mesh = await startLocalMesh({ ...meshOptions, port });
} catch (err) {
  if (!isPortInUseError(err) || port === 0) throw err;
  say(pc.yellow(`  port ${port} is taken; using a free one`));
  mesh = await startLocalMesh({ ...meshOptions, port: 0 });
}
const byStage = new Map<string, string[]>();
for (const f of mesh.functions) byStage.set(f.stage, [...(byStage.get(f.stage) ?? []), f.target]);
say(`  listening on ${pc.bold(mesh.endpoint)}  (Lambda, SNS, SSM, CloudFormation, OTLP and the trace viewer)`);
for (const [stage, targets] of byStage) say(`  stage ${pc.bold(stage)}: ${targets.join(', ')}`);
say(pc.dim('  IAM from `calling:` is enforced: each function signs with its own key and gets only its own policy.'));

let failed = false;
try {
  // ── 3. the scenario ─────────────────────────────────────────────────────────────────────
  step(3, 'scenario');
  const { createSdk, isSvcMeshError, isRemoteFunctionError } = await import('../src/index.js');
  // This script is a traced client too: each call below becomes the root of one trace.
  const { startTracing } = await import('../src/tracing/sdk/index.js');
  const tracing = mesh.traces ? startTracing({ serviceName: 'shop-demo', endpoint: mesh.endpoint }) : undefined;
  const common = {
    endpoint: mesh.endpoint,
    region: mesh.region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    calling: null,
    env: {},
  };
  const dev = createSdk({ ...common, stage: 'dev' });
  const alice = createSdk({ ...common, stage: 'alice', stageFallback: ['dev'] });

  const call = async (
    who: string,
    sdk: typeof dev,
    target: string,
    input: unknown,
    expect: 'ok' | 'error',
  ): Promise<unknown> => {
    say(`\n  ${pc.dim(who)} ${pc.bold(`sdk.invoke('${target}')`)} ${pc.dim(json(input))}`);
    const t = performance.now();
    try {
      const out = await sdk.invoke(target, input, { timeoutMs: 30_000 });
      const ms = (performance.now() - t).toFixed(0);
      say(`    ${pc.green('✓')} ${json(out)} ${pc.dim(`${ms} ms`)}`);
      if (expect !== 'ok') throw new Error(`expected ${target} to fail, it returned ${json(out)}`);
      return out;
    } catch (err) {
      if (!isSvcMeshError(err)) throw err;
      const ms = (performance.now() - t).toFixed(0);
      say(`    ${pc.red('✗')} ${err.name} ${pc.dim(`code=${err.code}`)} ${pc.dim(`${ms} ms`)}`);
      if (isRemoteFunctionError(err)) {
        say(
          `      remote ${pc.bold(err.errorType)} ${pc.yellow(`remoteCode=${err.remoteCode ?? '—'}`)}: ${err.errorMessage}`,
        );
        if (err.remoteData !== undefined) say(pc.dim(`      remoteData=${json(err.remoteData)}`));
      } else say(`      ${err.message}`);
      if (expect !== 'error') throw err;
      return err;
    }
  };

  const order = (card: string, items = [{ sku: 'mug-blue', qty: 2 }]) => ({ customerId: 'cust-42', items, card });
  const ok = (await call('a customer:', dev, 'orders:placeOrder', order('tok_visa'), 'ok')) as {
    servedBy?: unknown;
  };
  say(pc.dim('    orders → inventory:reserve (sync) → payments:charge (sync) → ledger:record (async, Event)'));

  await call('a customer whose card is declined:', dev, 'orders:placeOrder', order('tok_decline'), 'error');
  say(pc.dim('    payments threw CardDeclinedError [CARD_DECLINED]; orders released the stock and rejected the order'));

  await call(
    'an out-of-stock order:',
    dev,
    'orders:placeOrder',
    order('tok_visa', [{ sku: 'poster-xl', qty: 1 }]),
    'error',
  );

  const a = (await call(
    'developer alice (stage alice → dev):',
    alice,
    'orders:placeOrder',
    order('tok_visa', [{ sku: 'tee-m', qty: 1 }]),
    'ok',
  )) as { servedBy?: { orders?: string; payments?: string } };
  say(
    pc.dim(
      `    served by orders@${a.servedBy?.orders ?? '?'} (alice's copy) and payments@${a.servedBy?.payments ?? '?'} (dev: alice has none)`,
    ),
  );
  if (a.servedBy?.orders !== 'alice' || a.servedBy?.payments !== 'dev' || json(ok.servedBy) === json(a.servedBy))
    throw new Error(`stage fallback did not happen as expected: ${json(a.servedBy)}`);

  // Least privilege, enforced locally: sign as orders:placeOrder's role (its own dummy key, as its
  // worker does) and call something it never declared under `calling:`.
  const ordersFn = mesh.fn('orders:placeOrder');
  if (ordersFn) {
    const asOrders = createSdk({
      ...common,
      stage: 'dev',
      service: 'orders',
      function: 'placeOrder',
      credentials: { accessKeyId: ordersFn.accessKeyId, secretAccessKey: 'local' },
      // A route skips discovery, so the call reaches lambda:InvokeFunction itself.
      routes: { 'ledger:record': 'ledger-dev-record' },
    });
    say(
      `\n  ${pc.dim("orders' own role, calling a function it did not declare:")} ${pc.bold("sdk.invoke('ledger:record')")}`,
    );
    try {
      await asOrders.invoke('ledger:record', { orderId: 'o', chargeId: 'c', amountCents: 1 });
      throw new Error('the local mesh let orders:placeOrder invoke ledger:record without a grant');
    } catch (err) {
      if (!isSvcMeshError(err) || err.code !== 'ACCESS_DENIED') throw err;
      say(`    ${pc.red('✗')} ${err.name} ${pc.dim(`code=${err.code}`)}`);
      say(`      ${err.message}`);
    }
  }

  // Async invokes and SNS deliveries finish in the background: wait until the mesh is idle.
  await mesh.idle();
  await tracing?.forceFlush();
  say(`\n  ${pc.bold('lifecycle events delivered')} ${pc.dim('(SNS → subscribers, from notifications’ outbox)')}`);
  const sent = readFileSync(outbox, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { source: string; type: string; subject: string; to: string; eventId: string });
  for (const n of sent)
    say(
      `    ${pc.magenta(`${n.source} ${n.type}`)} → ${n.to}: ${n.subject} ${pc.dim(`(event ${n.eventId.slice(0, 8)}…)`)}`,
    );
  if (!sent.some((n) => n.type === 'failed' && n.source === 'payments:charge'))
    throw new Error('the payments:charge failed event was not delivered to notifications:onPaymentFailed');
  if (!sent.some((n) => n.type === 'success' && n.source === 'orders:placeOrder'))
    throw new Error('no orders:placeOrder success event was delivered to notifications:onOrderPlaced');
  const ledgerLines = functionLogs.filter((l) => l.includes('ledger: le_'));
  if (ledgerLines.length > 0) {
    say(`\n  ${pc.bold('async calls that ran in the background')}`);
    for (const l of ledgerLines) say(pc.dim(`    ${l}`));
  }
  const dead = mesh.deadLetters();
  if (dead.length > 0) say(pc.yellow(`  ${dead.length} dead letter(s): ${json(dead.map((d) => d.error))}`));

  // ── 4. traces ────────────────────────────────────────────────────────────────────────────
  step(4, 'traces');
  if (mesh.traces === undefined) {
    say(pc.yellow('  tracing is not available in this build; skipping the waterfall'));
  } else {
    const res = await fetch(`${mesh.endpoint}/api/traces?limit=20`);
    const list = (await res.json()) as { traces: { traceId: string; rootName: string; startMs: number }[] };
    const traces = [...list.traces].sort((x, y) => x.startMs - y.startMs);
    say(`  ${traces.length} traces stored; each call above is one trace across every hop, sync, async and SNS:\n`);
    const { run: showTrace } = await import('../tools/cli/commands/traces.js');
    for (const t of traces.filter((x) => x.rootName.includes('orders:placeOrder')).slice(0, 4)) {
      await showTrace(t.traceId, { endpoint: mesh.endpoint, out: (text) => process.stdout.write(indent(text)) });
      say();
    }
    // Without --serve the mesh stops when the demo ends: the viewer URL would not answer.
    say(
      serve
        ? `  ${pc.bold('trace viewer')}: ${mesh.endpoint}/   ${pc.dim('(JSON API: /api/traces, /api/traces/<traceId>)')}`
        : `  ${pc.bold('trace viewer')}: the mesh stops with the demo; run ${pc.bold('npm run demo -- --serve')} to keep it running and open its viewer (http://127.0.0.1:4710/).`,
    );
  }
} catch (err) {
  failed = true;
  process.stderr.write(`\n${pc.red('demo failed:')} ${(err as Error).stack ?? String(err)}\n`);
  if (functionLogs.length > 0) process.stderr.write(`\nfunction output:\n${functionLogs.slice(-40).join('\n')}\n`);
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => (l ? `  ${l}` : l))
    .join('\n');
}

if (serve && !failed) {
  say(`\n${pc.bold('The mesh keeps running')} (Ctrl-C stops it). In another terminal:`);
  say(
    `  ${Object.entries(mesh.env)
      .map(([k, v]) => `export ${k}=${v}`)
      .join('\n  ')}`,
  );
  say(
    `  npx svc-mesh invoke orders:placeOrder --endpoint ${mesh.endpoint} --data '${json({ customerId: 'me', items: [{ sku: 'sticker', qty: 3 }], card: 'tok_visa' })}'`,
  );
  say(`  npx svc-mesh traces --last --endpoint ${mesh.endpoint}`);
  say(`  open ${mesh.endpoint}/`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

await (await import('../src/tracing/sdk/index.js'))
  .getTracing()
  ?.shutdown()
  .catch(() => {});
await mesh.stop();
rmSync(tmp, { recursive: true, force: true });
say(failed ? pc.red(`\ndemo failed after ${secs()}`) : pc.green(`\ndemo finished in ${secs()}`));
process.exitCode = failed ? 1 : 0;
// Anything a handler or client left open must not keep the demo alive.
setTimeout(() => process.exit(), 1_000).unref();
