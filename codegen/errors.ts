/**
 * Errors thrown by codegen. Each carries a stable `code` from src/errors/codes.ts and a message
 * that says what is wrong, where (`file:line:col`), and how to fix it.
 */
import { SvcMeshError } from 'svc-mesh/errors';

/** One finding about the input, located in a source file (1-based line and column). */
export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  message: string;
  severity: 'error' | 'warning';
}

/** `file:line:col: severity: message`, the format editors and CI annotate. */
export function formatDiagnostic(d: Diagnostic, cwd?: string): string {
  let file = d.file;
  if (cwd !== undefined && file.startsWith(cwd + '/')) file = file.slice(cwd.length + 1);
  return `${file}:${d.line}:${d.col}: ${d.severity}: ${d.message}`;
}

/** Stable order: file, line, column, then message (so output diffs cleanly). */
export function sortDiagnostics(ds: readonly Diagnostic[]): Diagnostic[] {
  return [...ds].sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      a.line - b.line ||
      a.col - b.col ||
      (a.message < b.message ? -1 : a.message > b.message ? 1 : 0),
  );
}

/**
 * Thrown by `loadProject` (and the CLI) when the input has at least one error. Every
 * diagnostic found is attached, errors and warnings, not just the first.
 *
 * @example
 * ```ts
 * import { loadProject, isCodegenError } from 'svc-mesh-tools/codegen';
 * try { await loadProject(['.'], { stage: 'dev' }); }
 * catch (err) { if (isCodegenError(err)) for (const d of err.diagnostics) console.error(d.message); }
 * ```
 */
export class CodegenError extends SvcMeshError {
  override readonly name = 'CodegenError' as const;
  readonly diagnostics: Diagnostic[];
  constructor(diagnostics: readonly Diagnostic[]) {
    const sorted = sortDiagnostics(diagnostics);
    const errors = sorted.filter((d) => d.severity === 'error');
    super(
      'CODEGEN_INVALID_INPUT',
      `svc-codegen found ${errors.length} error${errors.length === 1 ? '' : 's'}:\n` +
        sorted.map((d) => `  ${formatDiagnostic(d)}`).join('\n'),
    );
    this.diagnostics = sorted;
  }
}

export function isCodegenError(err: unknown): err is CodegenError {
  return err instanceof Error && err.name === 'CodegenError';
}

/** Thrown when the output directory cannot be written. Nothing is left half-written. */
export class CodegenOutputError extends SvcMeshError {
  override readonly name = 'CodegenOutputError' as const;
  readonly path: string;
  constructor(path: string, reason: string, cause?: unknown) {
    super('CODEGEN_OUTPUT_FAILED', `Cannot write the output to ${path}: ${reason}`, { cause });
    this.path = path;
  }
}

export function isCodegenOutputError(err: unknown): err is CodegenOutputError {
  return err instanceof Error && err.name === 'CodegenOutputError';
}

/**
 * Thrown by `generate()` when a function's least-privilege policy cannot fit in IAM's quotas
 * without widening it (svc-mesh never falls back to wildcards). One diagnostic per function.
 */
export class PolicyTooLargeError extends SvcMeshError {
  override readonly name = 'PolicyTooLargeError' as const;
  readonly diagnostics: Diagnostic[];
  constructor(diagnostics: readonly Diagnostic[]) {
    const sorted = sortDiagnostics(diagnostics);
    super('POLICY_TOO_LARGE', sorted.map((d) => formatDiagnostic(d)).join('\n'));
    this.diagnostics = sorted;
  }
}

export function isPolicyTooLargeError(err: unknown): err is PolicyTooLargeError {
  return err instanceof Error && err.name === 'PolicyTooLargeError';
}

/** One incompatible difference between two versions of a contract. */
export interface BreakingChange {
  service: string;
  function: string;
  kind: 'function-removed' | 'input-field-required' | 'type-changed' | 'output-field-removed' | 'subscribable-removed';
  /** JSON pointer-like path inside the input or output, e.g. `input.amount`. */
  path: string;
  message: string;
}

/** Thrown by `svc-codegen check --against` when a contract changed incompatibly. */
export class ContractBreakingChangeError extends SvcMeshError {
  override readonly name = 'ContractBreakingChangeError' as const;
  readonly changes: BreakingChange[];
  constructor(changes: BreakingChange[]) {
    super(
      'CONTRACT_BREAKING_CHANGE',
      `${changes.length} breaking contract change${changes.length === 1 ? '' : 's'}:\n` +
        changes.map((c) => `  ${c.service}:${c.function} ${c.path}: ${c.message}`).join('\n'),
    );
    this.changes = changes;
  }
}

export function isContractBreakingChangeError(err: unknown): err is ContractBreakingChangeError {
  return err instanceof Error && err.name === 'ContractBreakingChangeError';
}
