/**
 * The runtime as users run it in benchmarks: src/index.ts bundled by esbuild (packages external),
 * not run through tsx, whose transform adds a `__name` helper call to every function created per call.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Plugin, build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
/** Where bench bundles go (ignored by git with node_modules). */
export const benchCacheDir = join(root, 'node_modules', '.cache', 'svc-mesh-bench');

/** Bundles the runtime to `benchCacheDir/<name>.mjs` and returns its path. */
export async function bundleRuntime(name: string, plugins: Plugin[] = []): Promise<string> {
  mkdirSync(benchCacheDir, { recursive: true });
  const outfile = join(benchCacheDir, `${name}.mjs`);
  await build({
    entryPoints: [join(root, 'src/index.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    conditions: ['source'],
    packages: 'external',
    plugins,
    logLevel: 'error',
  });
  return outfile;
}
