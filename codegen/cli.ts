/**
 * `svc-codegen` CLI: the command table only. Each command lives in ./commands/<name>.ts and is
 * imported when it runs. `parseCLI(argv)` is exported for tests; the process exits through
 * `process.exitCode`, never `process.exit()`, so output is flushed.
 */
import { cac } from 'cac';
import { installHelpFix } from '../tools/cli/help.js';
import { nodeVersionNotice } from '../tools/cli/nodeNotice.js';

export interface CodegenCLIOptions {
  stage: string;
  stageFallback: string[];
  out: string;
  account?: string;
  region?: string;
  partition?: string;
  discovery?: ('routes' | 'ssm' | 'exports')[];
  ssmPrefix?: string;
  /** Contract directories of services in other repositories. */
  contracts: string[];
  /** Derive contracts and clients from handler types (`--no-types` skips it). */
  types: boolean;
  maxManagedPolicies?: number;
  /** check: the previous contracts directory. */
  against?: string;
  /** check: compare this contracts directory instead of deriving contracts from sources. */
  current?: string;
  /** doctor: the AWS endpoint (moto, the local mesh); default the SDK's (AWS_ENDPOINT_URL or AWS). */
  endpoint?: string;
  /** doctor: re-create missing subscriptions and reset drifted filter policies. */
  repair?: true;
  /** doctor: print the findings as JSON. */
  json?: true;
  quiet: boolean;
  /** Generate again whenever a serverless.yml or a handler file changes, until Ctrl-C. */
  watch?: boolean;
}

export type CommandName = 'generate' | 'check' | 'doctor';

export interface ParsedCLI {
  command: CommandName | 'help' | 'version';
  paths: string[];
  options: CodegenCLIOptions;
}

export interface CLIIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

const VERSION = '0.1.0';

/** Thrown for bad command-line usage (exit code 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const COMMANDS: Record<CommandName, () => Promise<{ run(p: ParsedCLI, io: CLIIO): Promise<number> }>> = {
  generate: () => import('./commands/generate.js'),
  check: () => import('./commands/check.js'),
  doctor: () => import('./commands/doctor.js'),
};

function build() {
  const cli = cac('svc-codegen');
  const shared = (c: ReturnType<typeof cli.command>) =>
    c
      .option('--stage <stage>', 'Stage to generate for', { default: 'dev' })
      .option('--stage-fallback <stages>', 'Stages discovery falls back to, comma-separated (e.g. dev)')
      .option('--account <id>', 'AWS account id: also write concrete ARNs (iam/concrete/)')
      .option('--region <region>', 'AWS region (overrides provider.region)')
      .option('--partition <partition>', 'AWS partition for concrete ARNs (default aws)')
      .option('--discovery <sources>', 'Discovery sources, comma-separated: routes,ssm,exports (default routes,ssm)')
      .option('--ssm-prefix <prefix>', 'SSM discovery record prefix (default /svc-mesh)')
      .option('--contracts <dir>', 'Contracts of services in other repositories (repeatable)')
      .option('--quiet', 'Print only errors');
  shared(cli.command('[...paths]', 'Generate iam/, cloudformation/, env/, contracts/, clients/ and graph.mmd'))
    .option('--out <dir>', 'Output directory (replaced atomically)', { default: '.svc-mesh/codegen' })
    .option('--no-types', 'Skip contracts and clients (no TypeScript type check)')
    .option('--max-managed-policies <n>', 'Managed policies a role may have (IAM quota: 10, 20 on request)')
    .option('--watch', 'Generate again whenever a serverless.yml or a handler file changes (Ctrl-C stops)')
    .example('svc-codegen services --stage dev --out .svc-mesh/codegen')
    .example('svc-codegen . --stage prod --account 123456789012 --region eu-west-1');
  shared(cli.command('check [...paths]', 'Fail on breaking contract changes against a previous contracts/ directory'))
    .option('--against <dir>', 'The previous contracts directory (e.g. from the main branch)')
    .option('--current <dir>', 'Compare this contracts directory instead of deriving contracts from the sources')
    .example('svc-codegen check services --against main-contracts/');
  shared(cli.command('doctor [...paths]', 'Check a deployed stage: records, topics, subscriptions, contract hashes'))
    .option('--endpoint <url>', 'AWS endpoint (moto, svc-mesh dev); default AWS_ENDPOINT_URL or AWS')
    .option('--repair', 'Re-create missing subscriptions and reset drifted filter policies (SNS API)')
    .option('--json', 'Print the findings as JSON')
    .option('--no-types', 'Skip the contract hashes (no TypeScript type check)')
    .example('svc-codegen doctor services --stage dev')
    .example('svc-codegen doctor services --stage dev --repair');
  // Declared as plain options (not cac's help()/version()), so parsing never prints as a side effect.
  cli.option('-h, --help', 'Display this message');
  cli.option('-v, --version', 'Display the version number');
  installHelpFix(cli, 'svc-codegen');
  return cli;
}

const list = (v: unknown): string[] =>
  (Array.isArray(v) ? v : v === undefined || v === true || v === false ? [] : [v])
    .flatMap((x) => String(x).split(','))
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

/** Parses argv (without `node` and the script). Throws {@link UsageError}. */
export function parseCLI(argv: readonly string[]): ParsedCLI {
  const cli = build();
  let parsed: ReturnType<typeof cli.parse>;
  try {
    parsed = cli.parse(['node', 'svc-codegen', ...argv], { run: false });
    cli.matchedCommand?.checkUnknownOptions();
    cli.matchedCommand?.checkOptionValue();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const o = parsed.options as Record<string, unknown>;
  const name: CommandName =
    cli.matchedCommandName === 'check' ? 'check' : cli.matchedCommandName === 'doctor' ? 'doctor' : 'generate';
  const str = (k: string): string | undefined => {
    const v = o[k];
    if (v === undefined) return undefined;
    if (typeof v === 'boolean' || Array.isArray(v)) throw new UsageError(`--${kebab(k)} needs one value`);
    return String(v);
  };
  const options: CodegenCLIOptions = {
    stage: str('stage') ?? 'dev',
    stageFallback: list(o['stageFallback']),
    out: str('out') ?? '.svc-mesh/codegen',
    contracts: list(o['contracts']),
    types: o['types'] !== false,
    quiet: o['quiet'] === true,
  };
  if (o['watch'] === true) options.watch = true;
  const set = <K extends keyof CodegenCLIOptions>(k: K, v: CodegenCLIOptions[K] | undefined) => {
    if (v !== undefined) options[k] = v;
  };
  set('account', str('account'));
  set('region', str('region'));
  set('partition', str('partition'));
  set('ssmPrefix', str('ssmPrefix'));
  set('against', str('against'));
  set('current', str('current'));
  set('endpoint', str('endpoint'));
  if (o['repair'] === true) options.repair = true;
  if (o['json'] === true) options.json = true;
  if (options.endpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(options.endpoint)) {
    throw new UsageError(`--endpoint must be an http(s) URL, got '${options.endpoint}'`);
  }
  if (o['discovery'] !== undefined) {
    const d = list(o['discovery']);
    for (const x of d) {
      if (x !== 'routes' && x !== 'ssm' && x !== 'exports') {
        throw new UsageError(`--discovery: unknown source '${x}'; use routes, ssm and/or exports`);
      }
    }
    options.discovery = d as CodegenCLIOptions['discovery'] & string[];
  }
  if (o['maxManagedPolicies'] !== undefined) {
    const n = Number(o['maxManagedPolicies']);
    if (!Number.isInteger(n) || n < 0 || n > 20)
      throw new UsageError('--max-managed-policies must be an integer from 0 to 20');
    options.maxManagedPolicies = n;
  }
  if (name === 'check' && options.against === undefined && o['help'] !== true) {
    throw new UsageError('check needs --against <previous contracts dir>');
  }
  const command = o['help'] === true ? 'help' : o['version'] === true ? 'version' : name;
  return { command, paths: [...parsed.args].map(String), options };
}

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Runs the CLI; resolves to the exit code. */
export async function runCLI(argv: readonly string[], io: CLIIO = process): Promise<number> {
  let p: ParsedCLI;
  try {
    p = parseCLI(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`svc-codegen: ${err.message}\nRun 'svc-codegen --help' for usage.\n`);
    return 2;
  }
  if (p.command === 'help') {
    const cli = build();
    cli.parse(['node', 'svc-codegen', ...argv], { run: false });
    cli.outputHelp();
    return 0;
  }
  if (p.command === 'version') {
    io.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const mod = await COMMANDS[p.command]();
  return mod.run(p, io);
}

const entry = process.argv[1] ?? '';
if (/svc-codegen(\.[cm]?js)?$|codegen[\\/]cli\.[jt]s$/.test(entry)) {
  // `svc-codegen --help | head` closes the pipe early: that is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
  nodeVersionNotice();
  process.exitCode = await runCLI(process.argv.slice(2));
}
