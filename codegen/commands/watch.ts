/**
 * `svc-codegen --watch`: generates once, then again whenever a serverless.yml or a handler file
 * under the paths changes (typed clients and contracts follow the handler types), until Ctrl-C.
 * A failing run prints its diagnostics and keeps watching.
 */
import { type FSWatcher, statSync, watch } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import type { CLIIO, ParsedCLI } from '../cli.js';

/** Editors write a file in several steps; one run per burst of changes. */
const SETTLE_MS = 150;
const SOURCE_RE = /(^|[\\/])serverless\.ya?ml$|\.(?:[cm]?ts|[cm]?js|json)$/;
const IGNORED = ['node_modules', '.svc-mesh', '.git', 'dist', '.serverless'];

export async function watchAndRegenerate(
  p: ParsedCLI,
  io: CLIIO,
  generateOnce: () => Promise<number>,
  signal?: AbortSignal,
): Promise<number> {
  const out = resolve(p.options.out);
  await generateOnce();
  const roots = (p.paths.length > 0 ? p.paths : ['.']).map((x) => {
    const abs = resolve(x);
    try {
      return statSync(abs).isDirectory() ? abs : dirname(abs);
    } catch {
      return abs;
    }
  });
  const relevant = (root: string, name: string) => {
    const file = resolve(root, name);
    if (file.startsWith(out + sep) || file === out) return false;
    // only the parts below the watched folder (which may itself sit under e.g. .svc-mesh/)
    return !name.split(/[\\/]/).some((part) => IGNORED.includes(part)) && SOURCE_RE.test(file);
  };
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      running = running.then(async () => {
        if (!p.options.quiet) io.stderr.write('svc-codegen: change seen; generating again\n');
        await generateOnce();
      });
    }, SETTLE_MS);
  };
  const watchers: FSWatcher[] = [];
  for (const root of new Set(roots)) {
    try {
      const w = watch(root, { recursive: true }, (_event, name) => {
        if (name !== null && relevant(root, String(name))) schedule();
      });
      w.on('error', (err) => io.stderr.write(`svc-codegen: watching ${root} failed: ${err.message}\n`));
      watchers.push(w);
    } catch (err) {
      io.stderr.write(`svc-codegen: cannot watch ${root}: ${(err as Error).message}\n`);
      return 1;
    }
  }
  if (!p.options.quiet) io.stderr.write(`svc-codegen: watching ${roots.join(', ')} (Ctrl-C stops)\n`);
  await new Promise<void>((done) => {
    const stop = () => done();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    signal?.addEventListener('abort', stop, { once: true });
  });
  clearTimeout(timer);
  for (const w of watchers) w.close();
  await running.catch(() => undefined);
  return 0;
}
