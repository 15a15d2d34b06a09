/**
 * bench/report.ts: what counts as a goal met in BENCHMARKS.md, and the README's benchmark summary
 * agreeing with BENCHMARKS.md (it is generated from it by `npm run bench`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  README_BEGIN,
  README_END,
  goalsMet,
  metCell,
  parseTable,
  readmeSummary,
  verdict,
  withReadmeSummary,
} from '../../../bench/report.js';

const ROOT = join(import.meta.dirname, '../../..');

describe('Goals in BENCHMARKS.md', () => {
  it('counts a goal whose baseline could not be measured as missed, never as "no goal"', () => {
    // A baseline that did not run leaves met: null on a row that has a goal.
    const unmeasured = { goal: '≥ 3×', met: null };
    expect(verdict(unmeasured)).toBe(false);
    expect(metCell(unmeasured)).toBe('✗ (not measured)');
    // Rows that only report have no goal.
    for (const goal of ['report', 'reported', 'information', 'linear']) expect(verdict({ goal, met: null })).toBeNull();
    expect(verdict({ goal: 'bounded', met: null })).toBe(false);
    expect(verdict({ goal: '≤ 40 MB', met: true })).toBe(true);
    expect(verdict({ goal: '= 0', met: false })).toBe(false);
  });

  it('gives the headline over every goal, unmeasured ones and failed benches included', () => {
    const rows = [
      { goal: '≤ 1.03', met: true },
      { goal: '≥ 3×', met: null },
      { goal: 'report', met: null },
      { goal: '< 1000 ms', met: false },
    ];
    expect(goalsMet(rows)).toEqual({ met: 1, total: 3 });
    expect(goalsMet(rows, 2)).toEqual({ met: 1, total: 5 });
  });
});

describe("README's benchmark summary", () => {
  const md = readFileSync(join(ROOT, 'BENCHMARKS.md'), 'utf8');
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

  it('is exactly what bench/run.ts generates from BENCHMARKS.md', () => {
    const block = readme.slice(readme.indexOf(README_BEGIN), readme.indexOf(README_END) + README_END.length);
    expect(block, 'regenerate it: npm run bench (or edit neither file by hand)').toBe(readmeSummary(md));
    expect(withReadmeSummary(readme, md)).toBe(readme);
  });

  it("cites BENCHMARKS.md's headline and its figures", () => {
    const goals = md.match(/^\| goals met \| (\d+) of (\d+) \|$/m);
    expect(goals).not.toBeNull();
    const summary = readmeSummary(md);
    expect(summary).toContain(`**${goals![1]} of ${goals![2]} goals met**`);
    const table = parseTable(md);
    expect(table.length).toBeGreaterThan(10);
    const p50 = table.find((r) => r.metric.startsWith('warm sdk.invoke p50'))!;
    expect(summary).toContain(`| ${p50.ours} ${p50.unit} |`);
    // A figure changed in BENCHMARKS.md changes the summary.
    expect(readmeSummary(md.replace(`| ${p50.ours} | ms |`, '| 9.999 | ms |'))).not.toBe(summary);
    // The goals line of BENCHMARKS.md agrees with its own table (missed unmeasured goals included).
    const marks = table.map((r) => r.met);
    const met = marks.filter((m) => m === '✓').length;
    const total = marks.filter((m) => m === '✓' || m.startsWith('✗')).length;
    expect(`${met} of ${total}`).toBe(`${goals![1]} of ${goals![2]}`);
  });
});
