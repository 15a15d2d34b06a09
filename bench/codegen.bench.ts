/**
 * svc-codegen on a synthetic graph: 300 services × 10 functions, 3 sync calls per function
 * (9,000 calling edges) plus lifecycle subscriptions, without type extraction. Measures the
 * whole CLI path (find, parse, resolve, validate, generate, render, atomic write) at 30, 100
 * and 300 services; linear scaling means the same time per service at every size.
 * Type extraction (the TypeScript checker) is measured separately on examples/.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { outputFiles } from '../codegen/emit/files.js';
import { writeOutput } from '../codegen/emit/write.js';
import { generate, loadProject } from '../codegen/index.js';
import type { BenchRow } from './types.js';

const FUNCTIONS = 10;
const CALLS = 3;

function synthesize(dir: string, services: number): number {
  let edges = 0;
  const name = (i: number) => `svc${String(i).padStart(3, '0')}`;
  for (let i = 0; i < services; i++) {
    const lines = [
      `service: ${name(i)}`,
      'provider:',
      '  name: aws',
      '  runtime: nodejs20.x',
      "  stage: ${opt:stage, 'dev'}",
      'custom:',
      '  memory: 256',
      'functions:',
    ];
    for (let f = 0; f < FUNCTIONS; f++) {
      lines.push(`  fn${f}:`, `    handler: handler.fn${f}`, '    memorySize: ${self:custom.memory}');
      if (f % 5 === 0) lines.push('    subscribable: true');
      lines.push('    calling:');
      for (let c = 1; c <= CALLS; c++) {
        lines.push(`      - ${name((i + c) % services)}:fn${(f + c) % FUNCTIONS}`);
        edges++;
      }
      if (f === 9) {
        lines.push(
          '    events:',
          `      - function: { service: ${name((i + 1) % services)}, name: fn0, type: failed }`,
        );
      }
    }
    mkdirSync(join(dir, name(i)), { recursive: true });
    writeFileSync(join(dir, name(i), 'serverless.yml'), lines.join('\n') + '\n');
    writeFileSync(
      join(dir, name(i), 'handler.ts'),
      Array.from({ length: FUNCTIONS }, (_, f) => `export const fn${f} = async (input: { n: number }) => input;`).join(
        '\n',
      ),
    );
  }
  return edges;
}

async function once(dir: string, out: string): Promise<{ ms: number; files: number; writeMs: number }> {
  const t0 = performance.now();
  const project = await loadProject([dir], { stage: 'dev' });
  const files = outputFiles(project, generate(project));
  const t1 = performance.now();
  await writeOutput(out, files);
  const t2 = performance.now();
  return { ms: t2 - t0, files: Object.keys(files).length, writeMs: t2 - t1 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export default async function bench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const root = mkdtempSync(join(tmpdir(), 'svc-codegen-bench-'));
  try {
    const perService: Record<number, number> = {};
    for (const n of [30, 100, 300]) {
      const dir = join(root, `in-${n}`);
      const edges = synthesize(dir, n);
      await once(dir, join(root, `warm-${n}`)); // warm-up: module loading and JIT
      const runs: number[] = [];
      const writes: number[] = [];
      let files = 0;
      for (let r = 0; r < 3; r++) {
        const res = await once(dir, join(root, `out-${n}`));
        runs.push(res.ms);
        writes.push(res.writeMs);
        files = res.files;
        process.stderr.write(`  codegen ${n} services run ${r + 1}: ${res.ms.toFixed(0)} ms\n`);
      }
      const ms = median(runs);
      perService[n] = ms / n;
      rows.push({
        metric: `svc-codegen, ${n} services × ${FUNCTIONS} functions (${edges} calling edges, ${files} files), median of 3`,
        baseline: 'none (no tool generates this; goal from the issue)',
        baselineValue: null,
        ours: Math.round(ms),
        unit: 'ms',
        ratio: null,
        goal: n === 300 ? '≤ 3000 ms' : 'linear',
        met: n === 300 ? ms <= 3000 : null,
        note: `${(ms / n).toFixed(2)} ms per service; of which the atomic write of ${files} files ${median(writes).toFixed(0)} ms (I/O-bound)`,
      });
      if (n === 300) {
        const cpu = median(runs.map((r, i) => r - writes[i]!));
        rows.push({
          metric: 'svc-codegen, 300 services: find, parse, resolve, validate, generate, render (in memory, no write)',
          baseline: 'none',
          baselineValue: null,
          ours: Math.round(cpu),
          unit: 'ms',
          ratio: null,
          goal: '≤ 3000 ms',
          met: cpu <= 3000,
          note: 'the CPU part, independent of the file system',
        });
      }
    }
    const linearity = perService[300]! / perService[30]!;
    rows.push({
      metric: 'linearity: ms per service at 300 ÷ ms per service at 30',
      baseline: 'ms per service at 30 services',
      baselineValue: Number(perService[30]!.toFixed(2)),
      ours: Number(perService[300]!.toFixed(2)),
      unit: 'ms/service',
      ratio: Number(linearity.toFixed(2)),
      goal: '≈ 1 (linear; ≤ 1.5)',
      met: linearity <= 1.5,
      note: `100 services: ${perService[100]!.toFixed(2)} ms per service`,
    });
    // Type extraction (TypeScript checker + ts-json-schema-generator) on the examples.
    for (const ex of ['examples/shop', 'examples/serverless-2016']) {
      const path = join(import.meta.dirname, '..', ex);
      const t0 = performance.now();
      const project = await loadProject([path], { stage: 'dev', contracts: true });
      const ms = performance.now() - t0;
      const fns = project.services.reduce((k, s) => k + s.functions.length, 0);
      rows.push({
        metric: `type extraction: ${ex} (${project.services.length} services, ${fns} functions)`,
        baseline: 'none (reported separately, as the issue asks)',
        baselineValue: null,
        ours: Math.round(ms),
        unit: 'ms',
        ratio: null,
        goal: 'reported',
        met: null,
        note: 'one TypeScript program per tsconfig; load + validate + contracts',
      });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return rows;
}
