/**
 * `svc-mesh-tools/codegen`: the programmatic codegen API. Dev-time only; never import it from a handler.
 *
 * @example
 * ```ts
 * import { generate, loadProject } from 'svc-mesh-tools/codegen';
 * const project = await loadProject(['services'], { stage: 'dev', account: '000000000000', region: 'us-east-1' });
 * const { policies, env, seed } = generate(project);
 * ```
 */
export { loadProject } from './load/loadProject.js';
export { generate } from './emit/generate.js';
export type { GenerateResult } from './emit/generate.js';
/** The output directory as `relative path → contents` (what the CLI writes). */
export { outputFiles } from './emit/files.js';
/** Atomic write of `outputFiles()` into a directory (temp dir + rename). */
export { writeOutput } from './emit/write.js';
/** Breaking changes between two sets of contracts (what `svc-codegen check` reports). */
export { breakingChanges } from './contracts/check.js';
export {
  CodegenError,
  CodegenOutputError,
  ContractBreakingChangeError,
  PolicyTooLargeError,
  formatDiagnostic,
  isCodegenError,
  isCodegenOutputError,
  isContractBreakingChangeError,
  isPolicyTooLargeError,
} from './errors.js';
export type { BreakingChange } from './errors.js';
export type * from './model.js';
