/** Writes a throwaway project (file path → contents) into a temp dir; removed by `dispose`. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface TempProject {
  dir: string;
  [Symbol.dispose](): void;
}

export function tempProject(files: Record<string, string>): TempProject {
  const dir = mkdtempSync(join(tmpdir(), 'svc-codegen-'));
  for (const [rel, text] of Object.entries(files)) {
    const p = join(dir, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
  }
  // Like a real project, it has the AWS clients its services use installed (else codegen warns).
  symlinkSync(join(import.meta.dirname, '../../../node_modules'), join(dir, 'node_modules'), 'dir');
  return { dir, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A handler file exporting the given names. */
export const handlers = (...names: string[]) =>
  names.map((n) => `export const ${n} = async (input: unknown) => input;`).join('\n') + '\n';

/** Runs the CLI in-process and captures its output. */
export async function runCodegen(argv: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  const { runCLI } = await import('../../../codegen/cli.js');
  let stderr = '';
  let stdout = '';
  const sink = (append: (s: string) => void) =>
    ({
      write: (s: string | Uint8Array) => {
        append(String(s));
        return true;
      },
      isTTY: false,
    }) as unknown as NodeJS.WritableStream & { isTTY?: boolean };
  const code = await runCLI(argv, { stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)) });
  return { code, stderr, stdout };
}

/** A minimal valid service file. */
export const service = (name: string, functions: string) =>
  `service: ${name}\nprovider:\n  name: aws\n  runtime: nodejs20.x\nfunctions:\n${functions}`;
