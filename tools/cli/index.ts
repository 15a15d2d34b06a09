/**
 * `svc-mesh` CLI: the command table only. Each command lives in ./commands/<name>.ts and
 * is imported lazily, so `svc-mesh invoke` never loads the mesh or the viewer.
 */
import { cac } from 'cac';
import { terminalSafe } from '../local/terminal.js';
import { fixHelpSections } from './help.js';
import { nodeVersionNotice } from './nodeNotice.js';

nodeVersionNotice();

const cli = cac('svc-mesh');

cli
  .command('dev [...paths]', 'Run every service under the paths on one local mesh')
  .option('--stage <stage>', 'Stage to run', { default: 'dev' })
  .option('--stage-fallback <stages>', 'Comma list of stages to fall back to')
  .option('--port <port>', 'Port on 127.0.0.1 (0 = any free port)', { default: 4710 })
  .option(
    '--overlay <stage:path>',
    'Also run the services under path at another stage (repeatable), e.g. alice:examples/shop/payments',
  )
  .option('--no-iam', 'Do not enforce the generated IAM policies')
  .option('--no-tracing', 'Do not start tracing in workers nor serve the trace viewer')
  .option('--no-spare', 'Do not keep a spare sandbox started for the next cold start (saves one idle process)')
  .option('--quiet', 'Do not print function output')
  .option(
    '--fault <spec>',
    "Inject a fault (repeatable), e.g. 'payments:charge=error:30%', 'orders:placeOrder->payments:charge=latency:2s', timeout, throttle, crash",
  )
  .option('--remote', 'Hybrid: run only these services; call every other target in the deployed stage chain')
  .option('--remote-endpoint <url>', 'With --remote: one endpoint for AWS (moto, LocalStack, another svc-mesh dev)')
  .option('--bridge-endpoint <url>', 'With --remote: SNS/SQS endpoint of the event bridge when it differs (e.g. moto)')
  .option('--profile <profile>', 'With --remote: AWS profile of your credentials (default: AWS_PROFILE)')
  .option('--region <region>', 'With --remote: region of the deployed stage (default: AWS_REGION or us-east-1)')
  .option(
    '--context <paths>',
    'With --remote: comma list of folders whose services are known but not run (default: parent folders)',
  )
  .option(
    '--protected-stages <stages>',
    'With --remote: stages never touched without --force (default: SVC_MESH_PROTECTED_STAGES or prod)',
  )
  .option('--force', 'With --remote: allow a protected stage')
  .option('--trace-link <url>', "With --remote: your trace backend's URL for a trace, with {traceId}")
  .option('--no-bridge', 'With --remote: no event bridge from the deployed lifecycle topics to local subscribers')
  .option('--bridge-poll <ms>', 'With --remote: event bridge poll interval', { default: 1000 })
  .action(async (paths: string[], opts) => (await import('./commands/dev.js')).run(paths, opts));

cli
  .command('fault [...specs]', 'Show or change the faults a running local mesh injects')
  .option('--add', 'Add the specs to the current ones (default: replace them)')
  .option('--clear', 'Remove every fault')
  .option(
    '--endpoint <url>',
    'Local mesh URL (default: the svc-mesh dev running from this folder or a parent, else http://127.0.0.1:4710)',
  )
  .example("svc-mesh fault 'payments:charge=error:50%'")
  .example('svc-mesh fault --clear')
  .action(async (specs: string[], opts) => (await import('./commands/fault.js')).run(specs, opts));

cli
  .command('invoke <target>', 'Invoke service:function and print its JSON result')
  .option('--data <json>', 'Input as JSON (default {}: what Lambda hands a handler for an empty payload)', {
    default: '{}',
  })
  .option('--stage <stage>', 'Stage (default: SVC_MESH_STAGE or dev)')
  .option('--stage-fallback <stages>', 'Comma list of stages to fall back to (default: SVC_MESH_STAGE_FALLBACK)')
  .option(
    '--endpoint <url>',
    'Endpoint (default: AWS_ENDPOINT_URL, else the svc-mesh dev running from this folder or a parent)',
  )
  .option('--aws', 'Call the functions deployed in AWS (your credentials and region); never the default')
  .option('--region <region>', 'Region (default: AWS_REGION, or us-east-1 with an endpoint)')
  .option('--async', 'Invoke asynchronously (Event)')
  .action(async (target: string, opts) => (await import('./commands/invoke.js')).run(target, opts));

cli
  .command('traces [traceId]', 'Show traces from the local mesh, or serve the standalone viewer')
  .option('--last', 'Print the most recent trace as a waterfall')
  .option(
    '--endpoint <url>',
    'Local mesh URL (default: the svc-mesh dev running from this folder or a parent, else http://127.0.0.1:4710)',
  )
  .option('--serve', 'Run the standalone collector and viewer')
  .option('--port <port>', 'Port for --serve', { default: 4318 })
  .option('--persist <file>', 'With --serve: append traces to this file as OTLP JSON lines (and load it at start)')
  .option('--max-traces <n>', 'With --serve: traces kept in memory', { default: 5000 })
  .option('--service <name>', 'List only traces that involve this service')
  .option('--errors', 'List only traces with an error')
  .option('--limit <n>', 'How many traces to list', { default: 20 })
  .option('--follow', 'Print each new trace as a waterfall as it completes (Ctrl-C to stop)')
  .option('--json', 'Print the JSON API response instead of a table or waterfall')
  .action(async (traceId: string | undefined, opts) => (await import('./commands/traces.js')).run(traceId, opts));

cli.help((sections) => fixHelpSections('svc-mesh', sections));
cli.version('0.1.0');

try {
  cli.parse(process.argv, { run: false });
  await cli.runMatchedCommand();
  if (
    !cli.matchedCommand &&
    !process.argv.slice(2).some((a) => a === '--help' || a === '-h' || a === '--version' || a === '-v')
  ) {
    cli.outputHelp();
    process.exitCode = process.argv.length > 2 ? 1 : 0;
  }
} catch (err) {
  const e = err as Error & { code?: string };
  // messages may carry a remote function's error text: no control characters reach the terminal
  process.stderr.write(`svc-mesh: ${e.code ? `[${e.code}] ` : ''}${terminalSafe(e.message, { keepNewlines: true })}\n`);
  process.exitCode = 1;
}
