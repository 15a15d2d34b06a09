/** Shared CLI output: diagnostics (file:line:col), known errors, and a TTY progress line. */
import { relative } from 'node:path';
import pc from 'picocolors';
import type { CLIIO } from '../cli.js';
import {
  type Diagnostic,
  isCodegenError,
  isCodegenOutputError,
  isContractBreakingChangeError,
  isPolicyTooLargeError,
} from '../errors.js';

export function printDiagnostics(io: CLIIO, ds: readonly Diagnostic[], quiet = false): void {
  const cwd = process.cwd();
  const color = io.stderr.isTTY === true;
  for (const d of ds) {
    if (quiet && d.severity === 'warning') continue;
    const file = d.file.startsWith('/') ? relative(cwd, d.file) || d.file : d.file;
    const sev = d.severity === 'error' ? (color ? pc.red('error') : 'error') : color ? pc.yellow('warning') : 'warning';
    io.stderr.write(
      `${color ? pc.bold(`${file}:${d.line}:${d.col}`) : `${file}:${d.line}:${d.col}`}: ${sev}: ${d.message}\n`,
    );
    // In GitHub Actions, also emit a workflow command so the diagnostic shows on the pull request.
    if (process.env['GITHUB_ACTIONS'] === 'true') {
      const msg = d.message.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
      io.stdout.write(`::${d.severity} file=${file},line=${d.line},col=${d.col}::${msg}\n`);
    }
  }
}

/** Prints a known error and returns the exit code; rethrows anything unexpected. */
export function reportError(io: CLIIO, err: unknown): number {
  if (isCodegenError(err) || isPolicyTooLargeError(err)) {
    printDiagnostics(io, err.diagnostics);
    const n = err.diagnostics.filter((d) => d.severity === 'error').length;
    io.stderr.write(`svc-codegen: ${n} error${n === 1 ? '' : 's'}; nothing was written.\n`);
    return 1;
  }
  if (isCodegenOutputError(err)) {
    io.stderr.write(`svc-codegen: ${err.message}\n`);
    return 1;
  }
  if (isContractBreakingChangeError(err)) {
    io.stderr.write(`svc-codegen: ${err.message}\n`);
    return 1;
  }
  const e = err as Error;
  io.stderr.write(`svc-codegen: internal error: ${e?.message ?? String(err)}\n`);
  if (process.env['DEBUG']?.includes('svc-codegen')) io.stderr.write(`${e?.stack ?? ''}\n`);
  else io.stderr.write('Set DEBUG=svc-codegen for the stack trace, and please report it.\n');
  return 70;
}

/** A progress line redrawn in place on a TTY; silent otherwise (CI logs stay clean). */
export function progress(
  io: CLIIO,
  quiet: boolean,
): { update: (done: number, total: number, what: string) => void; end: () => void } {
  const tty = io.stderr.isTTY === true && !quiet;
  let last = 0;
  let drawn = false;
  return {
    update(done, total, what) {
      if (!tty) return;
      const now = Date.now();
      if (done < total && now - last < 80) return;
      last = now;
      drawn = true;
      const width = 24;
      const filled = total === 0 ? width : Math.round((done / total) * width);
      io.stderr.write(
        `\r${pc.dim(`svc-codegen ${what}`)} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total}`,
      );
    },
    end() {
      if (tty && drawn) io.stderr.write('\r\x1b[2K');
    },
  };
}
