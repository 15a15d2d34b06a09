/**
 * `svc-codegen doctor [paths…] --stage dev [--endpoint URL] [--repair]`: reads the stage's discovery
 * records, topics and subscriptions through the AWS APIs and reports what is missing or drifted
 * against the service files; `--repair` re-creates missing subscriptions and resets drifted filter
 * policies through the SNS API (docs/deploy.md). Exit 0 when healthy (after repair), 1 otherwise.
 */
import { relative } from 'node:path';
import type { CLIIO, ParsedCLI } from '../cli.js';
import { awsStageApi } from '../deploy/aws.js';
import { type Finding, inspectStage, repairStage } from '../deploy/stage.js';
import { discoveryRecordName } from 'svc-mesh/internal';
import { loadProject } from '../load/loadProject.js';
import { projectOptions } from './generate.js';
import { printDiagnostics, progress, reportError } from './report.js';

/** The doctor command line for these options, with --repair (printed in fixes). */
function repairCommand(p: ParsedCLI): string {
  const o = p.options;
  const args = ['svc-codegen', 'doctor', ...p.paths.map((x) => relative(process.cwd(), x) || '.'), '--stage', o.stage];
  if (o.stageFallback.length > 0) args.push('--stage-fallback', o.stageFallback.join(','));
  if (o.region !== undefined) args.push('--region', o.region);
  if (o.endpoint !== undefined) args.push('--endpoint', o.endpoint);
  if (o.ssmPrefix !== undefined) args.push('--ssm-prefix', o.ssmPrefix);
  args.push('--repair');
  return args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export async function run(p: ParsedCLI, io: CLIIO): Promise<number> {
  const bar = progress(io, p.options.quiet);
  let api: Awaited<ReturnType<typeof awsStageApi>> | undefined;
  try {
    const paths = p.paths.length > 0 ? p.paths : ['.'];
    const project = await loadProject(paths, { ...projectOptions(p, bar.update), contracts: p.options.types });
    bar.end();
    printDiagnostics(io, project.diagnostics, true);
    const local = project.services.filter((s) => !s.external);
    const region = p.options.region ?? local[0]?.region ?? project.options.region;
    const cfg: { region: string; endpoint?: string } = { region };
    if (p.options.endpoint !== undefined) cfg.endpoint = p.options.endpoint;
    api = await awsStageApi(cfg);
    // The account and partition: --account, else from a deployed record of this stage.
    if (p.options.account === undefined) {
      const { ssmPrefix, stage } = project.options;
      const own = local.flatMap((s) => s.functions.map((f) => discoveryRecordName(ssmPrefix, stage, s.name, f.key)));
      for (const v of (await api.getParameters(own)).values()) {
        const m = /"functionArn":"arn:([^:]+):lambda:[^:]+:(\d{12}):/.exec(v);
        if (m) {
          project.options.partition = m[1]!;
          project.options.account = m[2]!;
          break;
        }
      }
    }
    project.options.account ??= '000000000000';
    project.options.region = region;
    const cmd = repairCommand(p);
    let findings = await inspectStage(project, api, { repairCommand: cmd });
    if (p.options.repair && findings.some((f) => f.repairable)) {
      const r = await repairStage(findings, api);
      for (const f of r.repaired) io.stdout.write(`repaired ${f.code} ${f.subject}: ${f.subscription?.topicArn}\n`);
      for (const x of r.failed)
        io.stderr.write(`could not repair ${x.finding.code} ${x.finding.subject}: ${x.error}\n`);
      findings = await inspectStage(project, api, { repairCommand: cmd });
    }
    if (p.options.json) io.stdout.write(`${JSON.stringify({ stage: project.options.stage, findings }, null, 2)}\n`);
    else print(io, findings);
    const fns = local.reduce((n, s) => n + s.functions.length, 0);
    if (!p.options.quiet) {
      io.stderr.write(
        `svc-codegen doctor: stage ${project.options.stage}, ${local.length} service${local.length === 1 ? '' : 's'}, ${fns} function${fns === 1 ? '' : 's'}: ` +
          (findings.length === 0 ? 'healthy\n' : `${findings.length} problem${findings.length === 1 ? '' : 's'}\n`),
      );
    }
    return findings.length === 0 ? 0 : 1;
  } catch (err) {
    bar.end();
    const e = err as { name?: string; message?: string; code?: string; $metadata?: unknown };
    const where = p.options.endpoint ?? process.env['AWS_ENDPOINT_URL'] ?? 'AWS';
    if (
      typeof e?.code === 'string' &&
      /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH)$/.test(e.code)
    ) {
      io.stderr.write(
        `svc-codegen doctor: could not reach ${where} (${e.code}). Is the endpoint running (svc-mesh dev, moto), or drop --endpoint for AWS?\n`,
      );
      return 1;
    }
    if (e?.$metadata !== undefined || e?.name === 'CredentialsProviderError') {
      io.stderr.write(
        `svc-codegen doctor: ${where} answered ${e.name}: ${e.message}\n` +
          'Check the credentials, --region and --endpoint (an endpoint for moto or `svc-mesh dev`, none for AWS).\n',
      );
      return 1;
    }
    return reportError(io, err);
  } finally {
    api?.destroy();
  }
}

function print(io: CLIIO, findings: readonly Finding[]): void {
  for (const f of findings) {
    io.stdout.write(`${f.code} ${f.subject}: ${f.message}\n  fix: ${f.fix}\n`);
  }
}
