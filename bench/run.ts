/**
 * `npm run bench`: runs every bench/*.bench.ts (or those named on the command line),
 * each side by side with its baseline, and writes BENCHMARKS.md. A bench that fails is
 * reported as failed, never skipped silently.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bench, BenchRow } from './types.js';

const dir = fileURLToPath(new URL('.', import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

const sections: { name: string; rows: BenchRow[]; error?: string; seconds: number }[] = [];
for (const f of files) {
  const name = basename(f, '.bench.ts');
  process.stderr.write(`bench: ${name} …\n`);
  const t0 = performance.now();
  try {
    const mod = (await import(join(dir, f))) as { default: Bench };
    const rows = await mod.default();
    sections.push({ name, rows, seconds: (performance.now() - t0) / 1000 });
    for (const r of rows)
      process.stderr.write(`  ${r.metric}: ${fmt(r.ours)} ${r.unit} (ratio ${fmt(r.ratio)}, goal ${r.goal})\n`);
  } catch (err) {
    const msg = err instanceof Error ? (err.stack ?? err.message) : String(err);
    sections.push({ name, rows: [], error: msg, seconds: (performance.now() - t0) / 1000 });
    process.stderr.write(`  FAILED: ${msg}\n`);
  }
}

function fmt(n: number | null): string {
  if (n === null) return '—';
  if (Number.isInteger(n)) return String(n);
  return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toPrecision(3);
}

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const lines: string[] = [
  '# Benchmarks',
  '',
  `Measured ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
    `Node ${process.version}, ${os.platform()} ${os.release()}.`,
  '',
  'Every figure is ours next to its named baseline, measured side by side in the same run and reported as a ratio.',
  'Caveats: a shared 2-core machine; other processes add noise; loopback only; absolute numbers will differ on',
  'other hardware and in real Lambda, the ratios are what to compare.',
  '',
  '| area | metric | baseline | baseline value | ours | unit | ratio | goal | met |',
  '|---|---|---|---|---|---|---|---|---|',
];
for (const s of sections) {
  if (s.error) {
    lines.push(`| ${s.name} | FAILED | — | — | — | — | — | — | ✗ |`);
    continue;
  }
  for (const r of s.rows) {
    const met = r.met === null ? '—' : r.met ? '✓' : '✗';
    lines.push(
      `| ${s.name} | ${r.metric} | ${r.baseline} | ${r.baselineValue === null ? 'missing' : fmt(r.baselineValue)} | ${fmt(r.ours)} | ${r.unit} | ${fmt(r.ratio)} | ${r.goal} | ${met} |`,
    );
  }
}
lines.push('', '## Notes', '');
for (const s of sections) {
  lines.push(`- **${s.name}** (${s.seconds.toFixed(1)} s)${s.error ? `: failed: \`${s.error.split('\n')[0]}\`` : ''}`);
  for (const r of s.rows) if (r.note) lines.push(`  - ${r.metric}: ${r.note}`);
}
if (only.length === 0) writeFileSync(new URL('../BENCHMARKS.md', import.meta.url), `${lines.join('\n')}\n`);
else process.stdout.write(`${lines.join('\n')}\n`);
if (sections.some((s) => s.error)) process.exitCode = 1;
