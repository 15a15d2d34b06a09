/**
 * `svc-mesh dev [paths…]`: runs every service under the paths on one local mesh, prints
 * the URL, the environment for the developer's own scripts and the loaded functions, and
 * drains in-flight invocations on Ctrl-C.
 */
import { dirname, join, relative, resolve } from 'node:path';
import { InvalidConfigError } from 'svc-mesh/errors';
import { isValidStage } from 'svc-mesh/internal';
import { writeMeshState } from '../lib/meshState.js';

/** A signal repeated within this window is the same keypress forwarded twice (npx), not a second Ctrl-C. */
const REPEAT_WINDOW_MS = 300;

export interface DevOptions {
  stage?: string;
  stageFallback?: string;
  port?: number | string;
  iam?: boolean;
  tracing?: boolean;
  spare?: boolean;
  quiet?: boolean;
  /** `stage:path`, repeatable: host `path` a second time at `stage`, falling back to the main stage. */
  overlay?: string | string[];
  /** Fault specs, repeatable (src/local/faults.ts). */
  fault?: string | string[];
  /** Hybrid mode (docs/hybrid.md). */
  remote?: boolean;
  remoteEndpoint?: string;
  profile?: string;
  region?: string;
  context?: string;
  protectedStages?: string;
  force?: boolean;
  bridge?: boolean;
  bridgeEndpoint?: string;
  traceLink?: string;
  bridgePoll?: number | string;
}

/** The `remote` option of startLocalMesh from the CLI flags (validated; no network). */
export function hybridOptions(opts: DevOptions, roots: string[]) {
  const hybridFlags = [
    'remoteEndpoint',
    'bridgeEndpoint',
    'profile',
    'context',
    'protectedStages',
    'force',
    'traceLink',
  ] as const;
  if (opts.remote !== true) {
    const stray = hybridFlags.find((k) => opts[k] !== undefined);
    if (stray !== undefined) {
      const flag = `--${stray.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      throw new InvalidConfigError(flag, `${flag} only applies with --remote (the hybrid mode, docs/hybrid.md).`);
    }
    return undefined;
  }
  for (const [flag, value] of [
    ['--remote-endpoint', opts.remoteEndpoint],
    ['--bridge-endpoint', opts.bridgeEndpoint],
  ] as const) {
    if (value === undefined) continue;
    let u: URL | undefined;
    try {
      u = new URL(String(value));
    } catch {
      u = undefined;
    }
    if (u === undefined || (u.protocol !== 'http:' && u.protocol !== 'https:'))
      throw new InvalidConfigError(
        flag,
        `${flag} '${String(value)}' is not an http(s) URL, e.g. ${flag} http://127.0.0.1:5000`,
      );
  }
  const poll = Number(opts.bridgePoll ?? 1000);
  if (!Number.isInteger(poll) || poll < 50 || poll > 20_000)
    throw new InvalidConfigError('--bridge-poll', `--bridge-poll '${String(opts.bridgePoll)}' must be 50–20000 ms.`);
  const env = process.env['SVC_MESH_PROTECTED_STAGES'];
  const protectedStages =
    opts.protectedStages !== undefined
      ? parseStages('--protected-stages', String(opts.protectedStages))
      : env !== undefined
        ? parseStages('SVC_MESH_PROTECTED_STAGES', env)
        : ['prod'];
  const context =
    opts.context !== undefined
      ? String(opts.context)
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : [...new Set(roots.map((r) => dirname(resolve(r))))];
  return {
    remote: {
      ...(opts.remoteEndpoint === undefined ? {} : { endpoint: String(opts.remoteEndpoint) }),
      ...(opts.profile === undefined ? {} : { profile: String(opts.profile) }),
      protectedStages,
      force: opts.force === true,
      bridge: opts.bridge !== false,
      ...(opts.traceLink === undefined ? {} : { traceLink: String(opts.traceLink) }),
      ...(opts.bridgeEndpoint === undefined ? {} : { bridgeEndpoint: String(opts.bridgeEndpoint) }),
      bridgePollMs: poll,
    },
    context,
    region: opts.region ?? process.env['AWS_REGION'] ?? 'us-east-1',
  };
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
  const hybrid = hybridOptions(opts, roots);
  if (hybrid !== undefined && overlays.length > 0)
    throw new InvalidConfigError(
      '--overlay',
      '--overlay and --remote do not combine: with --remote, --stage is your overlay.',
    );
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
    spare: opts.spare !== false,
    quiet: opts.quiet === true,
    deadLetterFile: deadLetterFile,
    faults: opts.fault === undefined ? [] : ([] as string[]).concat(opts.fault).map(String),
    ...(hybrid ?? {}),
  });

  const out = process.stdout;
  const cwd = process.cwd();
  out.write(
    `\nsvc-mesh dev: local mesh on ${mesh.endpoint}  (stage ${stage}${stageFallback.length ? ` → ${stageFallback.join(' → ')}` : ''}` +
      `${overlays.map((o) => `, overlay ${o.stage} → ${o.stageFallback.join(' → ')}`).join('')}` +
      `${mesh.remote ? `; every other target: deployed ${mesh.remote.stages.join(' → ')} at ${mesh.remote.where}` : ''}` +
      `; IAM ${opts.iam === false ? 'off' : 'enforced'}; tracing ${opts.tracing === false ? 'off' : 'on'})\n\n`,
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
  const injected = mesh.faults.view().rules;
  out.write(
    `Faults: ${injected.length > 0 ? injected.join(', ') : 'none'}  (change them: npx svc-mesh fault --endpoint ${mesh.endpoint} '${mesh.functions[0]?.target ?? 'service:function'}=error:30%')\n`,
  );
  const state = writeMeshState(cwd, mesh.endpoint, stage);
  process.once('exit', state.remove);
  if (state.other !== undefined)
    out.write(
      `\nNote: another svc-mesh dev from this folder runs at ${state.other.endpoint} (pid ${state.other.pid}); ` +
        `svc-mesh invoke here keeps going there. To reach this one, pass --endpoint ${mesh.endpoint}.\n`,
    );
  const example = mesh.functions.find((f) => f.stage === stage) ?? mesh.functions[0];
  out.write(
    `\nTry: npx svc-mesh invoke ${example?.target ?? '<service:function>'} --endpoint ${mesh.endpoint} --data '{}'` +
      '   ·   Ctrl-C drains and stops.\n\n',
  );

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
