#!/usr/bin/env node
// Launcher: the compiled build in a published package, the TypeScript sources through tsx in a
// git checkout (or when there is no build). Workers and handlers resolve 'svc-mesh' the same way.
import { existsSync } from 'node:fs';

const built = new URL('../dist/src/cli/index.js', import.meta.url);
// A git checkout always runs its sources, so a dist/ left by `npm run build` can never run stale code.
const checkout = existsSync(new URL('../.git', import.meta.url));
if (!checkout && existsSync(built)) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cli/index.ts', import.meta.url).href);
}
