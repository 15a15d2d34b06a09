// Which code a launcher runs: the compiled build in the published svc-mesh-tools package, the
// TypeScript sources through tsx in a checkout of the repository. The published package ships no
// sources, and a checkout never runs its dist/, so a build left by `npm run build` cannot run stale
// code. Workers and handlers resolve 'svc-mesh' the same way (tools/local/workers/build.ts).
import { existsSync } from 'node:fs';

/** The tooling package's root (tools/ in a checkout, node_modules/svc-mesh-tools when installed). */
const root = new URL('../', import.meta.url);
/** True in a checkout: the sources are there (tools/local, and codegen/ beside tools/). */
export const FROM_SOURCE =
  existsSync(new URL('local/index.ts', root)) && existsSync(new URL('../codegen/cli.ts', root));

/**
 * Imports `built` (relative to the package root) or, in a checkout, `source` (relative to the
 * repository root) through tsx.
 */
export async function importEntry(built, source) {
  if (!FROM_SOURCE) return import(new URL(built, root).href);
  const { register } = await import('tsx/esm/api');
  register();
  // Registered after tsx, so it runs first and hands tsx the `source` condition.
  (await import('node:module')).register('./source-condition.mjs', import.meta.url);
  return import(new URL(`../${source}`, root).href);
}
