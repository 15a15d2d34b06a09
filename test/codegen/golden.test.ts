/**
 * Golden files: every output of svc-codegen for examples/ (and the typed fixture used by the
 * client type test), byte for byte. An explicit compare, the same everywhere: a golden file that
 * is missing, differs, or has no output any more fails the test (vitest's toMatchFileSnapshot
 * would write a missing file and pass outside CI). After an intended change, regenerate with
 * `UPDATE_GOLDEN=1 npx vitest run test/codegen/golden.test.ts` and review the diff.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate, loadProject } from '../../codegen/index.js';
import { outputFiles } from '../../codegen/emit/files.js';

const ROOT = join(import.meta.dirname, '../..');
const GOLDEN = join(import.meta.dirname, '__golden__/generated');
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';
const REGENERATE = 'UPDATE_GOLDEN=1 npx vitest run test/codegen/golden.test.ts';

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.push(relative(dir, join(d, e.name)));
    }
  };
  walk(dir);
  return out.sort();
}

const cases = [
  { name: 'shop', path: 'examples/shop' },
  { name: 'serverless-2016', path: 'examples/serverless-2016' },
  { name: 'typed', path: 'test/fixtures/codegen/typed' },
];

describe.each(cases)('Golden: $path', ({ name, path }) => {
  it('matches every output file, with no golden file missing or left over', async () => {
    const project = await loadProject([join(ROOT, path)], {
      stage: 'dev',
      account: '123456789012',
      region: 'us-east-1',
      contracts: true,
    });
    const files = outputFiles(project, generate(project));
    const dir = join(GOLDEN, name);
    expect(Object.keys(files).length).toBeGreaterThan(0);
    if (UPDATE) {
      rmSync(dir, { recursive: true, force: true });
      for (const [rel, text] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, rel)), { recursive: true });
        writeFileSync(join(dir, rel), text);
      }
    }
    const golden = listFiles(dir);
    const missing = Object.keys(files)
      .filter((f) => !golden.includes(f))
      .sort();
    expect(missing, `codegen now writes files with no golden copy; review, then run: ${REGENERATE}`).toEqual([]);
    const stale = golden.filter((f) => !(f in files));
    expect(stale, `golden files no output matches any more; review, then run: ${REGENERATE}`).toEqual([]);
    for (const [rel, text] of Object.entries(files))
      expect(text, `${rel} differs from its golden file; if intended, run: ${REGENERATE}`).toBe(
        readFileSync(join(dir, rel), 'utf8'),
      );
  });
});
