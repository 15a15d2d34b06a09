/**
 * The package boundary, read off the sources: the runtime (src/, package svc-mesh, shipped in every
 * Lambda) imports only its own files, Node's builtins and what src/package.json declares, so it
 * cannot reach tooling code (tools/, codegen/) or tooling dependencies; and the tooling reaches the
 * runtime only through the package (`svc-mesh`, `svc-mesh/internal`, ...), never by a relative path
 * into src/, which would ship a second copy of the runtime inside svc-mesh-tools.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist' || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFiles(p));
    else if (/\.(ts|js|mjs|cjs)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Every module specifier a file imports (static, dynamic, require, re-export), comments included. */
function specifiers(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm))
    out.push(m[1] ?? '');
  return out;
}

const packageName = (spec: string) =>
  spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;

describe('package boundary', () => {
  it('the runtime imports only src/ files, builtins and its declared dependencies', () => {
    const manifest = JSON.parse(readFileSync(join(repo, 'src/package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      peerDependencies: Record<string, string>;
    };
    const allowed = new Set([
      'svc-mesh',
      ...Object.keys(manifest.dependencies),
      ...Object.keys(manifest.peerDependencies),
    ]);
    const files = tsFiles(join(repo, 'src'));
    expect(files.length).toBeGreaterThan(40);
    const bad: string[] = [];
    for (const f of files) {
      for (const spec of specifiers(readFileSync(f, 'utf8'))) {
        if (spec.startsWith('.')) {
          const target = relative(join(repo, 'src'), resolve(dirname(f), spec));
          if (target.startsWith('..')) bad.push(`${relative(repo, f)} imports ${spec} (outside src/)`);
        } else if (!spec.startsWith('node:') && !builtinModules.includes(spec) && !allowed.has(packageName(spec)))
          bad.push(`${relative(repo, f)} imports ${spec} (not a dependency of svc-mesh)`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('tooling and codegen reach the runtime only through the svc-mesh package', () => {
    const bad: string[] = [];
    for (const f of [...tsFiles(join(repo, 'tools')), ...tsFiles(join(repo, 'codegen'))]) {
      for (const spec of specifiers(readFileSync(f, 'utf8')))
        if (spec.startsWith('.') && relative(join(repo, 'src'), resolve(dirname(f), spec)).split(/[\\/]/)[0] !== '..')
          bad.push(`${relative(repo, f)} imports ${spec}`);
    }
    expect(bad).toEqual([]);
  });
});
