/**
 * `svc-mesh dev [paths…]`: runs every service under the paths on one local mesh, prints
 * the URL, the environment for the developer's own scripts and the loaded functions, and
 * drains in-flight invocations on Ctrl-C.
 */
import { join, relative } from 'node:path';
import { InvalidConfigError } from '../../errors/InvalidConfigError.js';
import { isValidStage } from '../../internal/names.js';

/** A signal repeated within this window is the same keypress forwarded twice (npx), not a second Ctrl-C. */
const REPEAT_WINDOW_MS = 300;

export interface DevOptions {
  stage?: string;
  stageFallback?: string;
  port?: number | string;
  iam?: boolean;
  tracing?: boolean;
  quiet?: boolean;
  /** `stage:path`, repeatable: host `path` a second time at `stage`, falling back to the main stage. */
  overlay?: string | string[];
}

function parseStages(flag: string, value: string | undefined): string[] {
  if (value === undefined || value === '') return [];
  const stages = String(value)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of stages) {
    if (!isValidStage(s))
      throw new InvalidConfigError(flag, `${flag}: '${s}' is not a valid stage (letters, digits and '-').`);
  }
  return stages;
}

export function parseOverlays(
  value: string | string[] | undefined,
  mainStage: string,
  mainFallback: string[],
): { stage: string; paths: string[]; stageFallback: string[] }[] {
  const list = value === undefined ? [] : Array.isArray(value) ? value : [value];
  const byStage = new Map<string, string[]>();
  for (const raw of list) {
    const i = String(raw).indexOf(':');
    const stage = i > 0 ? String(raw).slice(0, i) : '';
    const path = i > 0 ? String(raw).slice(i + 1) : '';
    if (!isValidStage(stage) || path === '') {
      throw new InvalidConfigError(
        '--overlay',
        `--overlay '${raw}': expected <stage>:<path>, e.g. --overlay alice:examples/shop/payments ` +
          `(runs that service again at stage alice, falling back to ${mainStage}).`,
      );
    }
    if (stage === mainStage) {
      throw new InvalidConfigError(
        '--overlay',
        `--overlay '${raw}': the overlay stage must differ from --stage ${mainStage}.`,
      );
    }
    byStage.set(stage, [...(byStage.get(stage) ?? []), path]);
  }
  return [...byStage].map(([stage, paths]) => ({ stage, paths, stageFallback: [mainStage, ...mainFallback] }));
}

export async function run(paths: string[], opts: DevOptions = {}): Promise<void> {
  const stage = opts.stage ?? 'dev';
  if (!isValidStage(stage))
    throw new InvalidConfigError('--stage', `--stage '${stage}' is not a valid stage (letters, digits and '-').`);
  const stageFallback = parseStages('--stage-fallback', opts.stageFallback);
  const port = Number(opts.port ?? 4710);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidConfigError(
      '--port',
      `--port '${String(opts.port)}' is not a port number (0–65535; 0 takes any free port).`,
    );
  }
  const roots = paths.length > 0 ? paths : ['.'];
  const overlays = parseOverlays(opts.overlay, stage, stageFallback);
  const deadLetterFile = join(process.cwd(), '.svc-mesh', 'dead-letters.jsonl');
  const { startLocalMesh } = await import('../../local/index.js');
  const mesh = await startLocalMesh({
    paths: roots,
    stage,
    stageFallback,
    deployments: overlays,
    port,
    iam: opts.iam !== false,
    tracing: opts.tracing !== false,
    quiet: opts.quiet === true,
    deadLetterFile: deadLetterFile,
  });

  const out = process.stdout;
  const cwd = process.cwd();
  out.write(
    `\nsvc-mesh dev: local mesh on ${mesh.endpoint}  (stage ${stage}${stageFallback.length ? ` → ${stageFallback.join(' → ')}` : ''}` +
      `${overlays.map((o) => `, overlay ${o.stage} → ${o.stageFallback.join(' → ')}`).join('')}; ` +
      `IAM ${opts.iam === false ? 'off' : 'enforced'}; tracing ${opts.tracing === false ? 'off' : 'on'})\n\n`,
  );
  out.write('For your own scripts and AWS SDK clients:\n');
  for (const [k, v] of Object.entries(mesh.env)) out.write(`  export ${k}=${v}\n`);
  const rows = mesh.functions.map((f) => [
    f.target + (f.stage === stage ? '' : `@${f.stage}`),
    f.name,
    `${relative(cwd, f.dir) || '.'}/${f.handler.raw}`,
  ]);
  const w0 = Math.max(8, ...rows.map((r) => r[0]!.length));
  const w1 = Math.max(8, ...rows.map((r) => r[1]!.length));
  out.write(`\nFunctions (${rows.length}):\n`);
  for (const [t, n, h] of rows) out.write(`  ${t!.padEnd(w0)}  ${n!.padEnd(w1)}  ${h}\n`);
  if (mesh.traces !== undefined) out.write(`\nTraces: ${mesh.endpoint}/  (OTLP: POST ${mesh.endpoint}/v1/traces)\n`);
  out.write(`Dead letters: ${mesh.endpoint}/_mesh/dead-letters (also appended to ${relative(cwd, deadLetterFile)})\n`);
  out.write("\nTry: svc-mesh invoke <service:function> --data '{…}'   ·   Ctrl-C drains and stops.\n\n");

  let stopping = false;
  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      // The same signal again at once is not a second Ctrl-C: `npx`/`npm exec` forward the signal
      // the terminal already sent to the whole group. And only Ctrl-C stops at once; a repeated
      // SIGTERM (a supervisor) keeps draining, announced once.
      if (signal !== 'SIGINT' || Date.now() - firstSignalAt < REPEAT_WINDOW_MS) return;
      process.stderr.write('svc-mesh dev: stopping now, without waiting.\n');
      process.exit(130);
    }
    stopping = true;
    firstSignalAt = Date.now();
    process.stderr.write(`\nsvc-mesh dev: ${signal}: draining in-flight invocations (Ctrl-C again to stop at once)…\n`);
    mesh.stop().then(
      () => {
        const dead = mesh.deadLetters().length;
        if (dead > 0) process.stderr.write(`svc-mesh dev: ${dead} dead letter(s) this session.\n`);
        process.stderr.write('svc-mesh dev: stopped.\n');
        process.exit(0);
      },
      (err: unknown) => {
        process.stderr.write(`svc-mesh dev: error while stopping: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
