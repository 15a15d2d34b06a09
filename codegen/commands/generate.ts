/** `svc-codegen [paths…]`: load, validate, derive contracts, generate, write atomically. */
import { relative, resolve } from 'node:path';
import type { CLIIO, ParsedCLI } from '../cli.js';
import { generate } from '../emit/generate.js';
import { outputFiles } from '../emit/files.js';
import { writeOutput } from '../emit/write.js';
import { loadProject } from '../load/loadProject.js';
import type { ProjectOptions } from '../model.js';
import { printDiagnostics, progress, reportError } from './report.js';

export function projectOptions(p: ParsedCLI, onProgress?: ProjectOptions['onProgress']): ProjectOptions {
  const o = p.options;
  const po: ProjectOptions = { stage: o.stage, stageFallback: o.stageFallback, externalContracts: o.contracts };
  if (o.account !== undefined) po.account = o.account;
  if (o.region !== undefined) po.region = o.region;
  if (o.partition !== undefined) po.partition = o.partition;
  if (o.discovery !== undefined) po.discovery = o.discovery;
  if (o.ssmPrefix !== undefined) po.ssmPrefix = o.ssmPrefix;
  if (o.maxManagedPolicies !== undefined) po.maxManagedPolicies = o.maxManagedPolicies;
  if (onProgress !== undefined) po.onProgress = onProgress;
  return po;
}

export async function run(p: ParsedCLI, io: CLIIO): Promise<number> {
  if (p.options.watch !== true) return once(p, io);
  const { watchAndRegenerate } = await import('./watch.js');
  return watchAndRegenerate(p, io, () => once(p, io));
}

async function once(p: ParsedCLI, io: CLIIO): Promise<number> {
  const bar = progress(io, p.options.quiet);
  try {
    const paths = p.paths.length > 0 ? p.paths : ['.'];
    const project = await loadProject(paths, { ...projectOptions(p, bar.update), contracts: p.options.types });
    bar.end();
    const g = generate(project);
    const files = outputFiles(project, g);
    const out = resolve(p.options.out);
    // The output must not be one of the inputs (it would be scanned next time and replaced now).
    for (const s of project.services) {
      if (!s.external && (s.dir === out || s.dir.startsWith(out + '/'))) {
        io.stderr.write(
          `svc-codegen: --out ${p.options.out} contains the service ${s.name}; choose another directory\n`,
        );
        return 1;
      }
    }
    await writeOutput(out, files);
    printDiagnostics(io, project.diagnostics, p.options.quiet);
    if (!p.options.quiet) {
      const local = project.services.filter((s) => !s.external);
      const fns = local.reduce((n, s) => n + s.functions.length, 0);
      const warnings = project.diagnostics.filter((d) => d.severity === 'warning').length;
      io.stderr.write(
        `svc-codegen: ${local.length} service${local.length === 1 ? '' : 's'}, ${fns} function${fns === 1 ? '' : 's'} → ` +
          `${relative(process.cwd(), out) || '.'} (${Object.keys(files).length} files)` +
          (warnings > 0 ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : '') +
          '\n',
      );
    }
    return 0;
  } catch (err) {
    bar.end();
    return reportError(io, err);
  }
}
