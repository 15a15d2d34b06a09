#!/usr/bin/env node
// Launcher: the compiled build when present (published package), else the TypeScript
// sources through tsx (a git checkout). Workers and handlers resolve 'svc-mesh' the same way.
import { existsSync } from 'node:fs';

const built = new URL('../dist/codegen/cli.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../codegen/cli.ts', import.meta.url).href);
}
