/** Writes a throwaway project (file path → contents) into a temp dir; removed by `dispose`. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
  return { dir, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A handler file exporting the given names. */
export const handlers = (...names: string[]) =>
  names.map((n) => `export const ${n} = async (input: unknown) => input;`).join('\n') + '\n';
