/**
 * `svc-mesh.json`: the declarations of a CDK app, written by the SvcMesh construct into the cloud
 * assembly (`cdk.out/svc-mesh.json`) at synth time. `svc-codegen cdk.out` and `svc-mesh dev
 * cdk.out` read it (through loadProject) to get the same model the constructs used: typed
 * clients, contracts, `svc-codegen check` and the local mesh for a CDK app. Pure (no aws-cdk-lib).
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { Diagnostic } from '../errors.js';
import type { DiscoverySource, ServiceModel, SourceLoc } from '../model.js';
import { type DeclaredFunction, servicesFromDeclarations } from './declarations.js';

export const MANIFEST_FILE = 'svc-mesh.json';

/** One function as written into the manifest. Paths are relative to the manifest's directory. */
export interface ManifestFunction {
  /** Construct path. */
  path: string;
  /** Where it was declared (the `new SvcMeshFunction(…)` call; file relative to the manifest), when known. */
  source?: SourceLoc;
  /** The declaration as given to SvcMeshFunction (service, name, calling, subscribable, events, handler). */
  declaration: unknown;
  region?: string;
  runtime?: string;
  timeout?: number;
  memorySize?: number;
  /** The resolved handler source, when `handler` was given. */
  handlerFile?: string;
  handlerExport?: string;
  /** The function's own environment variables whose values are literal (tokens are left out). */
  environment?: Record<string, string>;
}

export interface SvcMeshManifest {
  svcMesh: 1;
  kind: 'cdk';
  /** The options the app was synthesized with (informative: codegen uses its own --stage). */
  synthesized: {
    stage: string;
    stageFallback: string[];
    discovery: DiscoverySource[];
    ssmPrefix: string;
    region: string;
  };
  /** serverless.yml service directories the app referenced (relative to the manifest). */
  references: string[];
  /** Contract directories of services in other repositories (relative to the manifest). */
  contracts?: string[];
  functions: ManifestFunction[];
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

export const isManifestPath = (file: string): boolean => basename(file) === MANIFEST_FILE;

const rel = (dir: string, p: string) => {
  const r = relative(dir, p);
  return r === '' ? '.' : r;
};

/** Builds the manifest; `outdir` is where it will be written (paths become relative to it). */
export function manifestFor(
  outdir: string,
  synthesized: SvcMeshManifest['synthesized'],
  references: readonly string[],
  functions: readonly DeclaredFunction[],
  contracts: readonly string[] = [],
): SvcMeshManifest {
  return {
    svcMesh: 1,
    kind: 'cdk',
    synthesized,
    references: references.map((r) => rel(outdir, resolve(r))),
    contracts: contracts.map((r) => rel(outdir, resolve(r))),
    functions: functions.map((f) => {
      const m: ManifestFunction = {
        path: f.path,
        declaration: f.declaration,
      };
      if (isAbsolute(f.loc.file)) m.source = { ...f.loc, file: rel(outdir, f.loc.file) };
      if (f.region !== undefined) m.region = f.region;
      if (f.runtime !== undefined) m.runtime = f.runtime;
      if (f.timeout !== undefined) m.timeout = f.timeout;
      if (f.memorySize !== undefined) m.memorySize = f.memorySize;
      if (f.handlerFile !== undefined) m.handlerFile = rel(outdir, f.handlerFile);
      if (f.handlerExport !== undefined) m.handlerExport = f.handlerExport;
      if (f.environment !== undefined && Object.keys(f.environment).length > 0) m.environment = f.environment;
      return m;
    }),
  };
}

/**
 * Reads a manifest into services (stage, fallback and region from the caller, like
 * serverless.yml) and the reference directories it names (absolute).
 */
export function readManifest(
  file: string,
  ctx: { stage: string; stages: string[]; region: string | undefined },
): { services: ServiceModel[]; references: string[]; contracts: string[]; diagnostics: Diagnostic[] } {
  const at = (message: string): Diagnostic => ({ file, line: 1, col: 1, severity: 'error', message });
  let m: SvcMeshManifest;
  try {
    m = JSON.parse(readFileSync(file, 'utf8')) as SvcMeshManifest;
  } catch (err) {
    return {
      services: [],
      references: [],
      contracts: [],
      diagnostics: [at(`cannot read the svc-mesh CDK manifest: ${(err as Error).message}`)],
    };
  }
  if (m === null || typeof m !== 'object' || m.svcMesh !== 1 || m.kind !== 'cdk' || !Array.isArray(m.functions)) {
    return {
      services: [],
      references: [],
      contracts: [],
      diagnostics: [
        at(
          `not an svc-mesh CDK manifest (expected {"svcMesh":1,"kind":"cdk","functions":[…]}); run 'npx cdk synth' to write it again`,
        ),
      ],
    };
  }
  const dir = dirname(file);
  const abs = (p: string) => (isAbsolute(p) ? p : join(dir, p));
  const bad = m.functions.findIndex((f) => f === null || typeof f !== 'object' || Array.isArray(f));
  if (bad >= 0) {
    return {
      services: [],
      references: [],
      contracts: [],
      diagnostics: [at(`functions[${bad}] is not an object; run 'npx cdk synth' to write the manifest again`)],
    };
  }
  const decls: DeclaredFunction[] = m.functions.map((f) => {
    const src = f.source;
    const loc =
      src !== null && typeof src === 'object' && typeof src.file === 'string'
        ? { file: abs(src.file), line: Number(src.line) || 1, col: Number(src.col) || 1 }
        : { file: String(f.path), line: 1, col: 1 };
    const d: {
      -readonly [K in keyof DeclaredFunction]: DeclaredFunction[K];
    } = {
      declaration: f.declaration,
      path: String(f.path),
      loc,
    };
    const region = ctx.region ?? (typeof f.region === 'string' ? f.region : undefined);
    if (region !== undefined) d.region = region;
    if (typeof f.runtime === 'string') d.runtime = f.runtime;
    if (typeof f.timeout === 'number') d.timeout = f.timeout;
    if (typeof f.memorySize === 'number') d.memorySize = f.memorySize;
    if (typeof f.handlerFile === 'string') d.handlerFile = abs(f.handlerFile);
    if (typeof f.handlerExport === 'string') d.handlerExport = f.handlerExport;
    if (f.environment !== null && typeof f.environment === 'object') {
      d.environment = Object.fromEntries(
        Object.entries(f.environment).filter((e): e is [string, string] => typeof e[1] === 'string'),
      );
    }
    // As serverless.yml writes it: relative to the service directory (the manifest's), `file.export`.
    if (d.handlerFile !== undefined && d.handlerExport !== undefined) {
      d.handlerRaw = `${relative(dir, d.handlerFile).replace(/\.[mc]?[jt]s$/, '')}.${d.handlerExport}`;
    }
    return d;
  });
  const r = servicesFromDeclarations(decls, {
    stage: ctx.stage,
    stages: ctx.stages,
    region: ctx.region ?? (typeof m.synthesized?.region === 'string' ? m.synthesized.region : 'us-east-1'),
    dir,
    file,
  });
  return {
    ...r,
    references: strings(m.references).map(abs),
    contracts: strings(m.contracts).map(abs),
  };
}
