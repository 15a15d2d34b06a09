// Which code a launcher runs: the compiled build in a published package, the TypeScript sources
// through tsx in a git checkout (or when there is no build). A checkout never runs its dist/, so a
// build left by `npm run build` cannot run stale code. Workers and handlers resolve 'svc-mesh' the
// same way (src/local/workers/build.ts).
import { existsSync } from 'node:fs';

const root = new URL('../', import.meta.url);

/** Imports `built` (relative to the package root) or, in a checkout, `source` through tsx. */
export async function importEntry(built, source) {
  const checkout = existsSync(new URL('.git', root));
  const builtUrl = new URL(built, root);
  if (!checkout && existsSync(builtUrl)) return import(builtUrl.href);
  const { register } = await import('tsx/esm/api');
  register();
  return import(new URL(source, root).href);
}
