/**
 * The two publishable packages as a user gets them, shared by test/package and bench/package:
 * built and packed from a copy of this working tree (the checkout's own dist/ folders never
 * change), and the size of what a real `npm install` puts on disk.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../..', import.meta.url));

/** The goal of issue 11: the runtime's production install, without the AWS SDK the Lambda runtime ships. */
export const RUNTIME_INSTALL_GOAL_BYTES = 5 * 1024 * 1024;

export interface PackageJson {
  name: string;
  version: string;
  license?: unknown;
  exports: Record<string, string | Record<string, string>>;
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}
export interface Packed {
  tarball: string;
  files: string[];
  manifest: PackageJson;
}

/** `npm run build`, then `npm pack` of src/ (svc-mesh) and tools/ (svc-mesh-tools), into `work`. */
export async function buildAndPack(work: string): Promise<Record<'runtime' | 'tools', Packed>> {
  const stage = join(work, 'stage');
  for (const f of ['src', 'tools', 'codegen', 'package.json', 'tsconfig.json', 'LICENSE', 'README.md'])
    cpSync(join(repo, f), join(stage, f), {
      recursive: true,
      filter: (p) => !/[/\\](dist|node_modules|\.svc-mesh)([/\\]|$)/.test(p.slice(repo.length)),
    });
  mkdirSync(join(stage, 'node_modules'));
  for (const name of readdirSync(join(repo, 'node_modules'))) {
    if (name === 'svc-mesh' || name === 'svc-mesh-tools' || name === '.bin') continue;
    symlinkSync(join(repo, 'node_modules', name), join(stage, 'node_modules', name), 'dir');
  }
  symlinkSync(join(stage, 'src'), join(stage, 'node_modules', 'svc-mesh'), 'dir');
  symlinkSync(join(stage, 'tools'), join(stage, 'node_modules', 'svc-mesh-tools'), 'dir');
  await run('npm', ['run', 'build'], { cwd: stage, timeout: 300_000 });
  const out = {} as Record<'runtime' | 'tools', Packed>;
  for (const [key, dir] of [
    ['runtime', 'src'],
    ['tools', 'tools'],
  ] as const) {
    const r = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: join(stage, dir) });
    const info = JSON.parse(r.stdout) as { filename: string; files: { path: string }[] }[];
    out[key] = {
      tarball: join(work, info[0]!.filename),
      files: info[0]!.files.map((f) => f.path),
      manifest: JSON.parse(readFileSync(join(stage, dir, 'package.json'), 'utf8')) as PackageJson,
    };
  }
  return out;
}

/** Every package installed under `root`'s node_modules (scoped and nested ones included), with its folder. */
export function installed(root: string): { name: string; dir: string }[] {
  const out: { name: string; dir: string }[] = [];
  const walk = (nm: string) => {
    let entries: string[];
    try {
      entries = readdirSync(nm);
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.startsWith('.')) continue;
      const names = e.startsWith('@') ? readdirSync(join(nm, e)).map((s) => `${e}/${s}`) : [e];
      for (const name of names) {
        out.push({ name, dir: join(nm, name) });
        walk(join(nm, name, 'node_modules'));
      }
    }
  };
  walk(join(root, 'node_modules'));
  return out;
}

function duBytes(path: string): number {
  const st = statSync(path, { throwIfNoEntry: false });
  if (st === undefined) return 0;
  if (!st.isDirectory()) return st.size;
  let sum = 0;
  for (const e of readdirSync(path)) sum += duBytes(join(path, e));
  return sum;
}

/** An install's size on disk: bytes without @aws-sdk/* and @smithy/*, those apart, and its packages. */
export function installSize(root: string): { bytes: number; awsBytes: number; packages: string[] } {
  let bytes = 0;
  let awsBytes = 0;
  for (const e of readdirSync(join(root, 'node_modules'))) {
    if (e.startsWith('.')) continue;
    const b = duBytes(join(root, 'node_modules', e));
    if (e === '@aws-sdk' || e === '@smithy') awsBytes += b;
    else bytes += b;
  }
  return { bytes, awsBytes, packages: installed(root).map((p) => p.name) };
}

/** `npm install` in `cwd` with the given environment (the registry, through the machine's npm cache). */
export function npmInstall(args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  return run('npm', ['install', ...args, '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd,
    timeout: 300_000,
    env,
  });
}
