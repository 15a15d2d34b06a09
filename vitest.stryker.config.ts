/**
 * Vitest configuration for mutation testing (stryker.config.mjs), the project's own plus one thing:
 * `svc-mesh` and `svc-mesh-tools` (and their subpaths) resolve to the sources next to this file.
 *
 * Stryker runs the tests in a copy of the project (a sandbox) whose `node_modules` is a symlink to
 * the real one, and `node_modules/svc-mesh` links to the real, unmutated `src/`. Without these
 * aliases every test that imports `svc-mesh` (most integration tests) runs the original code and
 * can never kill a mutant.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

function aliases(pkg: string, dir: string): { find: RegExp; replacement: string }[] {
  const root = fileURLToPath(new URL(`./${dir}/`, import.meta.url));
  const exports = JSON.parse(readFileSync(`${root}package.json`, 'utf8')).exports as Record<string, unknown>;
  const out: { find: RegExp; replacement: string }[] = [];
  for (const [sub, target] of Object.entries(exports)) {
    const source = (target as { source?: unknown }).source;
    if (typeof source !== 'string') continue;
    const spec = `${pkg}${sub.slice(1)}`.replace(/[/.-]/g, '\\$&');
    out.push({ find: new RegExp(`^${spec}$`), replacement: `${root}${source.slice(2)}` });
  }
  return out;
}

export default mergeConfig(
  base,
  defineConfig({ resolve: { alias: [...aliases('svc-mesh', 'src'), ...aliases('svc-mesh-tools', 'tools')] } }),
);
