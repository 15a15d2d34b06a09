/**
 * Compiles handlers with esbuild, the way serverless-esbuild packages them for Lambda:
 * the handler and its relative imports (TypeScript or JavaScript) in one ESM file, with
 * `svc-mesh` resolved to this very copy of the package (its `source` condition when this
 * is a git checkout) and every other package left to Node's resolution. The output lands
 * in `<service>/.svc-mesh/build/`, so those packages resolve from the service's own
 * node_modules, as they would in the Lambda bundle. Each output is named by its content
 * hash and written with an atomic rename, so concurrent meshes never see half a file.
 * @internal
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildOptions, Plugin, PluginBuild } from 'esbuild';
import type { RuntimeErrorPayload } from './types.js';

const here = fileURLToPath(import.meta.url);
/** True when running from the TypeScript sources (a checkout), false from dist/. */
export const FROM_SOURCE = here.endsWith('.ts');

function findToolsRoot(): string {
  let dir = dirname(here);
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'svc-mesh-tools') return dir;
      } catch {
        // keep walking
      }
    }
    const up = dirname(dir);
    if (up === dir) return resolve(dirname(here), '../..');
    dir = up;
  }
}
/** The svc-mesh-tools package (tools/ in a checkout): its .svc-mesh/build holds the worker bootstraps. */
export const TOOLS_ROOT = findToolsRoot();

/**
 * The svc-mesh runtime package handlers import: the copy this tooling resolves (src/ in a checkout,
 * through the workspace link), so a handler and the mesh never run two versions of the runtime.
 */
function findRuntimeRoot(): string {
  try {
    return dirname(realpathSync(createRequire(here).resolve('svc-mesh/package.json')));
  } catch {
    throw new Error(
      'svc-mesh-tools cannot find the svc-mesh runtime package. Install both: npm install svc-mesh && npm install --save-dev svc-mesh-tools',
    );
  }
}
export const PACKAGE_ROOT = findRuntimeRoot();

/** What every esbuild run here shares: one in-memory ESM bundle for this Node, `svc-mesh` from src/ in a checkout. */
const NODE_ESM_BUNDLE = {
  bundle: true,
  write: false,
  platform: 'node',
  format: 'esm',
  target: `node${process.versions.node.split('.')[0]}`,
  conditions: (FROM_SOURCE ? ['source'] : []) as string[],
  logLevel: 'silent',
} as const satisfies BuildOptions;

type ExportEntry = { source?: string; default?: string } | string;
let exportsMap: Record<string, ExportEntry> | undefined;
function resolveSelf(sub: string): string | undefined {
  exportsMap ??= (
    JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { exports: Record<string, ExportEntry> }
  ).exports;
  const entry = exportsMap[`.${sub}`];
  if (entry === undefined) return undefined;
  if (typeof entry === 'string') return join(PACKAGE_ROOT, entry);
  const src = entry.source === undefined ? undefined : join(PACKAGE_ROOT, entry.source);
  if (FROM_SOURCE && src !== undefined && existsSync(src)) return src;
  const def = entry.default === undefined ? undefined : join(PACKAGE_ROOT, entry.default);
  if (def !== undefined && existsSync(def)) return def;
  return src !== undefined && existsSync(src) ? src : undefined;
}

/** `svc-mesh` and its subpaths resolve to this copy of the runtime (its sources in a checkout). */
function resolveSvcMesh(b: PluginBuild): void {
  b.onResolve({ filter: /^svc-mesh(\/.*)?$/ }, (args) => {
    const path = resolveSelf(args.path.slice('svc-mesh'.length));
    if (path === undefined) return { errors: [{ text: `svc-mesh has no export ${JSON.stringify(args.path)}` }] };
    return { path };
  });
}

const resolvePlugin: Plugin = {
  name: 'svc-mesh-resolve',
  setup(b) {
    resolveSvcMesh(b);
    // Installed packages stay external and resolve at run time from the output folder, as
    // from a Lambda bundle's node_modules. A workspace package (a symlink into the monorepo,
    // often TypeScript) is bundled instead, as serverless-esbuild would.
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if ((args.pluginData as { svcMeshInner?: boolean } | undefined)?.svcMeshInner) return undefined;
      if (args.path.startsWith('node:') || isBuiltin(args.path)) return { path: args.path, external: true };
      const r = await b.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        importer: args.importer,
        pluginData: { svcMeshInner: true },
      });
      if (r.errors.length > 0 || r.external || r.path.includes(`${sep}node_modules${sep}`)) {
        // Unresolvable here: Node reports it when the handler loads (Runtime.ImportModuleError), as Lambda does.
        return { path: args.path, external: true };
      }
      return { path: r.path };
    });
  },
};

const BANNER =
  "import { createRequire as __svcMeshCreateRequire } from 'node:module';\n" +
  'const require = __svcMeshCreateRequire(import.meta.url);\n';

export interface BuildOk {
  ok: true;
  file: string;
  /** Source files that went into the bundle, with their mtimes (for reloads). */
  inputs: Map<string, number>;
}
export interface BuildFailed {
  ok: false;
  error: RuntimeErrorPayload;
}

/** Older bundles of a function are removed once no build has produced them for this long. */
export const STALE_BUNDLE_MS = 10 * 60_000;
/** What follows `<function>-` in the name of a bundle or of its temporary file. */
const BUNDLE_SUFFIX = /^[0-9a-f]{12}\.mjs(?:\..*\.tmp)?$/;

function writeAtomic(dir: string, base: string, code: string): string {
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 12);
  const name = `${base}-${hash}.mjs`;
  const file = join(dir, name);
  let reused = false;
  try {
    // Built before: mark it fresh, so pruning by another mesh on this folder leaves it alone.
    const now = new Date();
    utimesSync(file, now, now);
    reused = true;
  } catch {
    // not there (yet, or pruned a moment ago): write it
  }
  if (!reused) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    writeFileSync(tmp, code);
    renameSync(tmp, file);
  }
  pruneStale(dir, base, name);
  return file;
}

/**
 * Removes this function's bundles from earlier edits (and temporaries of crashed writes) that no
 * build has produced for {@link STALE_BUNDLE_MS}, so hot reloads do not fill the folder. A mesh
 * that still points at a removed bundle builds it again before its next cold start.
 */
function pruneStale(dir: string, base: string, keep: string): void {
  const prefix = `${base}-`;
  const cutoff = Date.now() - STALE_BUNDLE_MS;
  for (const entry of readdirSync(dir)) {
    if (entry === keep || !entry.startsWith(prefix) || !BUNDLE_SUFFIX.test(entry.slice(prefix.length))) continue;
    try {
      if (statSync(join(dir, entry)).mtimeMs < cutoff) rmSync(join(dir, entry), { force: true });
    } catch {
      // gone already (another mesh pruned it)
    }
  }
}

function statInputs(paths: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const p of paths) {
    try {
      m.set(p, statSync(p).mtimeMs);
    } catch {
      m.set(p, -1);
    }
  }
  return m;
}

/** True when any input changed since it was built. */
export function inputsChanged(inputs: Map<string, number>): boolean {
  for (const [p, mtime] of inputs) {
    let now = -1;
    try {
      now = statSync(p).mtimeMs;
    } catch {
      now = -1;
    }
    if (now !== mtime) return true;
  }
  return false;
}

/** Bundles one handler file. Never throws: failures come back as the runtime error Lambda would report. */
export async function buildHandler(opts: {
  file: string | undefined;
  /** What serverless.yml says, for messages. */
  handlerRaw: string;
  outDir: string;
  name: string;
  /** Where the handler file was looked for (for the ImportModuleError message). */
  serviceDir: string;
}): Promise<BuildOk | BuildFailed> {
  const modulePath = opts.handlerRaw.slice(0, Math.max(0, opts.handlerRaw.lastIndexOf('.')));
  if (opts.file === undefined || !existsSync(opts.file)) {
    return {
      ok: false,
      error: {
        errorType: 'Runtime.ImportModuleError',
        errorMessage:
          `Error: Cannot find module '${modulePath}' (handler '${opts.handlerRaw}'; looked for ` +
          `${modulePath}.{ts,mts,js,mjs,cjs} in ${opts.serviceDir})`,
        trace: [],
      },
    };
  }
  const esbuild = await import('esbuild');
  try {
    const result = await esbuild.build({
      entryPoints: [opts.file],
      ...NODE_ESM_BUNDLE,
      sourcemap: 'inline',
      sourcesContent: false,
      metafile: true,
      banner: { js: BANNER },
      outfile: join(opts.outDir, `${opts.name}.mjs`),
      plugins: [resolvePlugin],
    });
    const out = result.outputFiles.find((f) => f.path.endsWith('.mjs')) ?? result.outputFiles[0];
    if (out === undefined) throw new Error('esbuild produced no output');
    const file = writeAtomic(opts.outDir, opts.name, out.text);
    const cwd = process.cwd();
    const inputs = Object.keys(result.metafile.inputs).map((p) => resolve(cwd, p));
    return { ok: true, file, inputs: statInputs(inputs) };
  } catch (err) {
    const errors = (err as { errors?: { text: string; location?: { file: string; line: number; column: number } }[] })
      .errors;
    const first = errors?.[0];
    const where = first?.location ? `${first.location.file}:${first.location.line}:${first.location.column + 1}` : '';
    const text = first?.text ?? (err as Error).message;
    if (/^Could not resolve/.test(text)) {
      return {
        ok: false,
        error: {
          errorType: 'Runtime.ImportModuleError',
          errorMessage: `Error: ${text}${where ? ` (${where})` : ''}`,
          trace: [],
        },
      };
    }
    return {
      ok: false,
      error: {
        errorType: 'Runtime.UserCodeSyntaxError',
        errorMessage: `SyntaxError: ${text}${where ? ` (${where})` : ''}`,
        trace: [],
      },
    };
  }
}

/**
 * A file built once per process and reused, unless it has gone since (pruned by another mesh
 * sharing the folder): then it is built again.
 */
function builtOnce<T extends string | undefined>(make: () => Promise<T>): () => Promise<T> {
  let file: Promise<T> | undefined;
  return () => {
    const current = file;
    file = current === undefined ? make() : current.then((f) => (f === undefined || existsSync(f) ? f : make()));
    return file;
  };
}

/** The worker's main module: dist's compiled file, or the TypeScript source bundled once. */
export const workerBootstrap: () => Promise<string> = builtOnce(async () => {
  const js = join(dirname(here), 'bootstrap.js');
  if (!FROM_SOURCE && existsSync(js)) return js;
  const esbuild = await import('esbuild');
  const r = await esbuild.build({
    entryPoints: [join(dirname(here), 'bootstrap.ts')],
    ...NODE_ESM_BUNDLE,
  });
  return writeAtomic(join(TOOLS_ROOT, '.svc-mesh', 'build'), 'worker-bootstrap', r.outputFiles[0]!.text);
});

/**
 * What the worker's tracing bootstrap runs: `startTracing()` with spans sent over the IPC channel
 * and the invocation span's ids taken from the mesh (see tracingIpc.ts).
 */
function tracingEntry(): string {
  const ipc = JSON.stringify(join(dirname(here), FROM_SOURCE ? 'tracingIpc.ts' : 'tracingIpc.js'));
  return (
    "import { startTracing as start } from 'svc-mesh/tracing';\n" +
    `import { IpcSpanExporter, IpcSpanProcessor, MeshIdGenerator, setInvocationIds } from ${ipc};\n` +
    'export { setInvocationIds };\n' +
    'export const startTracing = () =>\n' +
    '  start({ spanProcessor: new IpcSpanProcessor(new IpcSpanExporter()), idGenerator: new MeshIdGenerator() });\n'
  );
}

/**
 * The tracing bootstrap (`startTracing` from `svc-mesh/tracing`), bundled like a handler.
 * Undefined when that module is missing or does not export `startTracing`: workers then
 * run without tracing rather than not at all.
 */
export const tracingBootstrap: () => Promise<string | undefined> = builtOnce(async () => {
  const entry = resolveSelf('/tracing');
  if (entry === undefined) return undefined;
  const esbuild = await import('esbuild');
  const build = (plugin: Plugin, extra: BuildOptions = {}) =>
    esbuild.build({
      stdin: { contents: tracingEntry(), resolveDir: TOOLS_ROOT, loader: 'ts' },
      ...NODE_ESM_BUNDLE,
      banner: { js: BANNER },
      plugins: [plugin],
      ...extra,
    });
  try {
    // The OpenTelemetry SDK inlined: one file loads in about a quarter of the time Node takes to
    // resolve and load its ~200 CommonJS modules, and this load is on every cold start.
    const r = await build(tracingInlinePlugin, { mainFields: ['module', 'main'] }).catch(() => build(resolvePlugin));
    const text = r.outputFiles?.[0]?.text;
    return text === undefined ? undefined : writeAtomic(join(TOOLS_ROOT, '.svc-mesh', 'build'), 'worker-tracing', text);
  } catch {
    return undefined;
  }
});

/**
 * For the tracing bootstrap: `svc-mesh` resolves as for handlers, and every other package is
 * bundled except `@opentelemetry/api`, which must stay the single installed copy the handler's
 * svc-mesh registers with (the API keeps its global provider under a versioned key).
 */
const tracingInlinePlugin: Plugin = {
  name: 'svc-mesh-tracing-inline',
  setup(b) {
    resolveSvcMesh(b);
    b.onResolve({ filter: /^@opentelemetry\/api$/ }, (args) => ({ path: args.path, external: true }));
  },
};
