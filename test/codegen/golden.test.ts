/**
 * Golden files: every output of svc-codegen for examples/ (and the typed fixture used by the
 * client type test), byte for byte. Regenerate after an intended change with `vitest -u`.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate, loadProject } from '../../codegen/index.js';
import { outputFiles } from '../../codegen/emit/files.js';

const ROOT = join(import.meta.dirname, '../..');
const GOLDEN = join(import.meta.dirname, '__golden__/generated');

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
  it('matches every output file', async () => {
    const project = await loadProject([join(ROOT, path)], {
      stage: 'dev',
      account: '123456789012',
      region: 'us-east-1',
      contracts: true,
    });
    const files = outputFiles(project, generate(project));
    const dir = join(GOLDEN, name);
    for (const [rel, text] of Object.entries(files)) await expect(text).toMatchFileSnapshot(join(dir, rel));
    // No stale golden file for an output that is no longer produced.
    const stale = listFiles(dir).filter((f) => !(f in files));
    expect(stale).toEqual([]);
  });
});
