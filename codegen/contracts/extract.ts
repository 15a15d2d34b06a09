/** Contracts from handler types (implemented below the loader; see docs/codegen.md). */
import type { Diagnostic } from '../errors.js';
import type { Project, ServiceContract } from '../model.js';

export async function extractContracts(
  project: Project,
  onProgress?: (done: number, total: number, what: string) => void,
): Promise<{ contracts: Record<string, ServiceContract>; diagnostics: Diagnostic[] }> {
  void project;
  void onProgress;
  return { contracts: {}, diagnostics: [] };
}
