/** `svc-codegen check --against <dir>`: breaking contract changes, non-zero exit on any. */
import type { CLIIO, ParsedCLI } from '../cli.js';
import { breakingChanges } from '../contracts/check.js';
import { readContractsDir } from '../contracts/io.js';
import { CodegenError, ContractBreakingChangeError, type Diagnostic } from '../errors.js';
import { loadProject } from '../load/loadProject.js';
import type { ServiceContract } from '../model.js';
import { projectOptions } from './generate.js';
import { printDiagnostics, progress, reportError } from './report.js';

async function readDir(dir: string): Promise<Record<string, ServiceContract>> {
  const diags: Diagnostic[] = [];
  const list = await readContractsDir(dir, diags);
  if (diags.length > 0) throw new CodegenError(diags);
  return Object.fromEntries(list.map((x) => [x.contract.service, x.contract]));
}

export async function run(p: ParsedCLI, io: CLIIO): Promise<number> {
  const bar = progress(io, p.options.quiet);
  try {
    const before = await readDir(p.options.against!);
    let after: Record<string, ServiceContract>;
    if (p.options.current !== undefined) {
      after = await readDir(p.options.current);
    } else {
      const project = await loadProject(p.paths.length > 0 ? p.paths : ['.'], {
        ...projectOptions(p, bar.update),
        externalContracts: [],
        contracts: true,
      });
      bar.end();
      printDiagnostics(io, project.diagnostics, p.options.quiet);
      after = project.contracts;
    }
    const changes = breakingChanges(before, after);
    if (changes.length > 0) throw new ContractBreakingChangeError(changes);
    if (!p.options.quiet) {
      const n = Object.keys(before).length;
      io.stderr.write(`svc-codegen check: no breaking changes in ${n} contract${n === 1 ? '' : 's'}\n`);
    }
    return 0;
  } catch (err) {
    bar.end();
    return reportError(io, err);
  }
}
