import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('Lazy loading of svc-mesh', () => {
  it('statically imports only our runtime files, @opentelemetry/api and node builtins', async () => {
    // Prepare: bundle the entry with every package external, keeping the metafile.
    const result = await build({
      entryPoints: [join(root, 'src/index.ts')],
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      conditions: ['source'],
      packages: 'external',
      logLevel: 'silent',
    });
    // Assess
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((f) => f.startsWith('src/invoke/'))).toBe(true);
    expect(inputs.filter((f) => /^(tools\/|src\/tracing\/sdk|codegen)\//.test(f))).toEqual([]);
    const imports = Object.values(result.metafile.inputs).flatMap((i) => i.imports.filter((x) => x.external));
    const staticPkgs = new Set(imports.filter((x) => x.kind === 'import-statement').map((x) => x.path));
    expect([...staticPkgs].filter((p) => !p.startsWith('node:')).sort()).toEqual(['@opentelemetry/api']);
    const dynamic = new Set(imports.filter((x) => x.kind === 'dynamic-import').map((x) => x.path));
    for (const p of [
      '@aws-sdk/client-lambda',
      '@aws-sdk/client-sns',
      '@aws-sdk/client-ssm',
      '@aws-sdk/client-cloudformation',
    ])
      expect(dynamic.has(p)).toBe(true);
  });

  it('loads no AWS client, tooling (tools/, codegen/) or tracing SDK module when svc-mesh is imported (fresh process)', () => {
    // Prepare: a loader hook that reports every resolved module URL.
    const dir = mkdtempSync(join(tmpdir(), 'svc-mesh-lazy-'));
    writeFileSync(
      join(dir, 'hooks.mjs'),
      'let port; export function initialize(d) { port = d.port; }\n' +
        'export async function resolve(s, c, next) { const r = await next(s, c); port.postMessage(r.url); return r; }\n',
    );
    writeFileSync(join(dir, 'sentinel.mjs'), 'export {};\n');
    writeFileSync(
      join(dir, 'main.mjs'),
      "import { register, createRequire } from 'node:module';\n" +
        "import { MessageChannel } from 'node:worker_threads';\n" +
        'const seen = []; const { port1, port2 } = new MessageChannel();\n' +
        'port1.on("message", (u) => seen.push(u));\n' +
        "register('./hooks.mjs', import.meta.url, { data: { port: port2 }, transferList: [port2] });\n" +
        'const m = await import(process.env.SVC_MESH_ENTRY);\n' +
        'if (typeof m.defineFunction !== "function" || typeof m.sdk.invoke !== "function") throw new Error("exports missing");\n' +
        // No fixed wait: hook messages arrive in order, so once the sentinel's own resolution is
        // reported, every module resolved before it (all of svc-mesh's import graph) has been too.
        "const sentinel = new URL('./sentinel.mjs', import.meta.url).href; await import(sentinel);\n" +
        'while (!seen.includes(sentinel)) await new Promise((r) => setImmediate(r));\n' +
        'port1.close();\n' +
        'const cjs = Object.keys(createRequire(import.meta.url).cache);\n' +
        'process.stdout.write(JSON.stringify([...seen, ...cjs]));\n',
    );
    // Act
    const out = execFileSync(process.execPath, ['--conditions=source', '--import', 'tsx', join(dir, 'main.mjs')], {
      cwd: root,
      encoding: 'utf8',
      // The script lives outside the package, so it imports the `.` export's source file directly.
      env: { ...process.env, NODE_OPTIONS: '', SVC_MESH_ENTRY: pathToFileURL(join(root, 'src/index.ts')).href },
    });
    const loaded = (JSON.parse(out) as string[]).map((u) =>
      u.startsWith('file:') ? relative(root, fileURLToPath(u)) : u,
    );
    // Assess
    expect(loaded.some((f) => f === 'src/index.ts')).toBe(true);
    expect(loaded.some((f) => f.endsWith('sentinel.mjs'))).toBe(true);
    expect(loaded.filter((f) => /@aws-sdk\/|@smithy\//.test(f))).toEqual([]);
    expect(loaded.filter((f) => /^(tools\/|src\/tracing\/sdk|codegen)\//.test(f))).toEqual([]);
    expect(loaded.filter((f) => /p-retry/.test(f))).toEqual([]);
  });
});
