/**
 * `svc-mesh` CLI: the command table only. Each command lives in ./commands/<name>.ts and
 * is imported lazily, so `svc-mesh invoke` never loads the mesh or the viewer.
 */
import { cac } from 'cac';
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
  .option('--quiet', 'Do not print function output')
  .action(async (paths: string[], opts) => (await import('./commands/dev.js')).run(paths, opts));

cli
  .command('invoke <target>', 'Invoke service:function and print its JSON result')
  .option('--data <json>', 'Input as JSON', { default: 'null' })
  .option('--stage <stage>', 'Stage (default: SVC_MESH_STAGE or dev)')
  .option('--stage-fallback <stages>', 'Comma list of stages to fall back to (default: SVC_MESH_STAGE_FALLBACK)')
  .option('--endpoint <url>', 'Endpoint (default: AWS_ENDPOINT_URL, else AWS itself)')
  .option('--region <region>', 'Region (default: AWS_REGION, or us-east-1 with an endpoint)')
  .option('--async', 'Invoke asynchronously (Event)')
  .action(async (target: string, opts) => (await import('./commands/invoke.js')).run(target, opts));

cli
  .command('traces [traceId]', 'Show traces from the local mesh, or serve the standalone viewer')
  .option('--last', 'Print the most recent trace as a waterfall')
  .option('--endpoint <url>', 'Local mesh URL', { default: 'http://127.0.0.1:4710' })
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
  process.stderr.write(`svc-mesh: ${e.code ? `[${e.code}] ` : ''}${e.message}\n`);
  process.exitCode = 1;
}
