/**
 * loadProject: find every serverless.yml under the given paths, read them with positions and
 * variables, validate across services, optionally derive contracts; all diagnostics at once.
 */
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { missingClientWarnings } from '../validate/clients.js';
import { DEFAULT_DISCOVERY, DEFAULT_SSM_PREFIX, isValidStage } from 'svc-mesh/internal';
import { isManifestPath, MANIFEST_FILE, readManifest } from '../cdk/manifest.js';
import { CodegenError, type Diagnostic } from '../errors.js';
import type { DiscoverySource, Project, ProjectOptions, ResolvedProjectOptions, ServiceModel } from '../model.js';
import { validateServices } from '../validate/validate.js';
import { SourceFile } from './source.js';
import { readService } from './service.js';

const SERVICE_FILES = ['serverless.yml', 'serverless.yaml'];
const SKIP_DIRS = new Set(['node_modules', '.git', '.serverless', '.svc-mesh', 'dist', 'generated', 'coverage']);

/** Every serverless.yml under `paths` (files are taken as given), sorted, without duplicates. */
export async function findServiceFiles(paths: readonly string[], diags: Diagnostic[]): Promise<string[]> {
  const found = new Set<string>();
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (depth > 12) return;
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name) && !e.name.startsWith('.')) await walk(join(dir, e.name), depth + 1);
      } else if (SERVICE_FILES.includes(e.name)) {
        found.add(join(dir, e.name));
      }
    }
  };
  for (const p of paths) {
    const abs = resolve(p);
    let st: import('node:fs').Stats;
    try {
      st = await stat(abs);
    } catch {
      diags.push({ file: abs, line: 1, col: 1, message: `path not found: ${p}`, severity: 'error' });
      continue;
    }
    if (st.isDirectory() && existsSync(join(abs, MANIFEST_FILE))) {
      // A CDK cloud assembly (cdk.out): the declarations the svc-mesh constructs wrote.
      found.add(join(abs, MANIFEST_FILE));
    } else if (st.isDirectory() && existsSync(join(abs, 'cdk.json'))) {
      // A CDK app: its default cloud assembly.
      const m = join(abs, 'cdk.out', MANIFEST_FILE);
      if (existsSync(m)) found.add(m);
      else {
        diags.push({
          file: join(abs, 'cdk.json'),
          line: 1,
          col: 1,
          message: `${p} is a CDK app without ${join(p, 'cdk.out', MANIFEST_FILE)}: run 'npx cdk synth' in it first (its SvcMesh construct writes the declarations there)`,
          severity: 'error',
        });
      }
    } else if (st.isDirectory()) {
      const before = found.size;
      await walk(abs, 0);
      if (found.size === before) {
        diags.push({
          file: abs,
          line: 1,
          col: 1,
          message: `no serverless.yml found under ${p}; pass the service directories (or their parent), or a CDK app's cdk.out (after 'npx cdk synth')`,
          severity: 'error',
        });
      }
    } else found.add(abs);
  }
  return [...found].sort();
}

const CLI = 'command line';
const opt = (message: string): Diagnostic => ({ file: CLI, line: 1, col: 1, message, severity: 'error' });

export function resolveOptions(o: ProjectOptions, diags: Diagnostic[]): ResolvedProjectOptions {
  if (!isValidStage(o.stage))
    diags.push(opt(`--stage ${JSON.stringify(o.stage)} is not a valid stage (letters, digits and '-')`));
  const fallback = o.stageFallback ?? [];
  for (const s of fallback) {
    if (!isValidStage(s))
      diags.push(opt(`fallback stage ${JSON.stringify(s)} is not a valid stage (letters, digits and '-')`));
  }
  if (o.account !== undefined && !/^\d{12}$/.test(o.account)) {
    diags.push(opt(`--account ${JSON.stringify(o.account)} must be a 12-digit AWS account id`));
  }
  if (o.partition !== undefined && !/^aws(-[a-z]+){0,3}$/.test(o.partition)) {
    diags.push(
      opt(`--partition ${JSON.stringify(o.partition)} is not an AWS partition like 'aws', 'aws-cn' or 'aws-us-gov'`),
    );
  }
  if (o.region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d$/.test(o.region)) {
    diags.push(opt(`--region ${JSON.stringify(o.region)} is not an AWS region like 'us-east-1'`));
  }
  const discovery: DiscoverySource[] = [];
  for (const d of o.discovery ?? DEFAULT_DISCOVERY) {
    if (d !== 'routes' && d !== 'ssm' && d !== 'exports') {
      diags.push(opt(`discovery source ${JSON.stringify(d)} is unknown; use routes, ssm or exports`));
    } else if (!discovery.includes(d)) discovery.push(d);
  }
  const ssmPrefix = o.ssmPrefix ?? DEFAULT_SSM_PREFIX;
  if (!/^\/[A-Za-z0-9_.\-/]*$/.test(ssmPrefix) || ssmPrefix.includes('//')) {
    diags.push(
      opt(`SSM prefix ${JSON.stringify(ssmPrefix)} must start with '/' and hold only letters, digits, '_.-/'`),
    );
  }
  const maxManaged = o.maxManagedPolicies ?? 10;
  if (!Number.isInteger(maxManaged) || maxManaged < 0 || maxManaged > 20) {
    diags.push(opt(`max managed policies must be an integer from 0 to 20 (IAM's highest quota), got ${maxManaged}`));
  }
  return {
    stage: o.stage,
    stageFallback: fallback.filter((s) => s !== o.stage).filter((s, i, a) => a.indexOf(s) === i),
    region: o.region ?? 'us-east-1',
    account: o.account,
    partition: o.partition ?? 'aws',
    discovery,
    ssmPrefix: ssmPrefix.endsWith('/') && ssmPrefix.length > 1 ? ssmPrefix.slice(0, -1) : ssmPrefix,
    maxManagedPolicies: maxManaged,
  };
}

/**
 * Reads the services under `paths` into a {@link Project}.
 *
 * @throws CodegenError with every diagnostic when any is an error; warnings are kept in
 * `project.diagnostics`.
 *
 * @example
 * ```ts
 * import { loadProject, generate } from 'svc-mesh-tools/codegen';
 * const project = await loadProject(['examples/shop'], { stage: 'dev' });
 * const { policies, env } = generate(project);
 * ```
 */
export async function loadProject(paths: readonly string[], options: ProjectOptions): Promise<Project> {
  const diags: Diagnostic[] = [];
  const resolved = resolveOptions(options, diags);
  if (diags.length > 0) throw new CodegenError(diags);
  const files = await findServiceFiles(paths, diags);
  const services: ServiceModel[] = [];
  const stages = [resolved.stage, ...resolved.stageFallback];
  const ctx = {
    stage: resolved.stage,
    region: options.region,
    env: options.env ?? process.env,
  };
  let done = 0;
  const manifestRefs: string[] = [];
  const manifestContracts: string[] = [];
  for (const file of files) {
    if (isManifestPath(file)) {
      // svc-mesh.json of a CDK app: the same declarations, as the constructs saw them (docs/cdk.md).
      const r = readManifest(file, { stage: resolved.stage, stages, region: options.region });
      diags.push(...r.diagnostics);
      services.push(...r.services);
      manifestRefs.push(...r.references);
      manifestContracts.push(...r.contracts);
      options.onProgress?.(++done, files.length, 'read');
      continue;
    }
    const src = await SourceFile.read(file, ctx);
    const r = readService(src, {
      stage: resolved.stage,
      stages,
      region: options.region,
      lenientEnvironment: options.lenientEnvironment === true,
    });
    diags.push(...r.diagnostics);
    if (r.service !== undefined) services.push(r.service);
    options.onProgress?.(++done, files.length, 'read');
  }
  // Reference services: read for their names, Lambda names and subscribable flags only (like
  // contracts); their own problems are theirs, so their diagnostics are dropped.
  const referencePaths = [...(options.referencePaths ?? []), ...manifestRefs];
  if (referencePaths.length > 0) {
    const own = new Set(files);
    const refDiags: Diagnostic[] = [];
    for (const file of await findServiceFiles(referencePaths, refDiags)) {
      if (own.has(file)) continue;
      const r = readService(await SourceFile.read(file, ctx), {
        stage: resolved.stage,
        stages,
        region: options.region,
        lenientEnvironment: true,
      });
      if (r.service !== undefined && !services.some((x) => x.name === r.service!.name)) {
        services.push({ ...r.service, external: true });
        // Except the Lambda names: a `name:` that cannot be read would leave only a guess (the
        // default name) for the ARN a caller is granted, so it is an error here too.
        for (const f of r.service.functions) {
          for (const d of f.nameErrors ?? []) {
            diags.push({
              ...d,
              severity: 'error',
              message: `reference service '${r.service.name}', functions.${f.key}.name: ${d.message} (its Lambda name must be known to grant callers its exact ARN)`,
            });
          }
        }
      }
    }
  }
  const project: Project = { options: resolved, services, diagnostics: [], contracts: {} };
  const externalContracts = [...(options.externalContracts ?? []), ...manifestContracts];
  if (externalContracts.length > 0) {
    const { loadExternalContracts } = await import('../contracts/io.js');
    const ext = await loadExternalContracts(externalContracts, resolved, diags);
    for (const [name, c] of Object.entries(ext.contracts)) project.contracts[name] = c;
    services.push(...ext.services);
  }
  services.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) || (a.file < b.file ? -1 : 1));
  diags.push(
    ...validateServices(services, {
      stage: resolved.stage,
      stages,
      unknownServices: options.unknownServices ?? 'error',
    }),
  );
  if (diags.some((d) => d.severity === 'error')) throw new CodegenError(diags);
  diags.push(...missingClientWarnings(services, resolved));
  if (options.contracts === true) {
    const { extractContracts } = await import('../contracts/extract.js');
    const res = await extractContracts(project, options.onProgress);
    diags.push(...res.diagnostics);
    for (const [name, c] of Object.entries(res.contracts)) project.contracts[name] = c;
    if (diags.some((d) => d.severity === 'error')) throw new CodegenError(diags);
  }
  project.diagnostics = diags;
  return project;
}
