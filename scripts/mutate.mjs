#!/usr/bin/env node
/**
 * `npm run mutate -- <area> [<area> …]`: StrykerJS on one area at a time (areas: stryker.config.mjs),
 * printing each area's score and run time. With no area it lists them. Extra Stryker options go
 * after `--`, e.g. `npm run mutate -- retry -- --mutate src/internal/retry.ts:40-60`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { AREAS } from '../stryker.config.mjs';

const args = process.argv.slice(2);
const sep = args.indexOf('--');
const areas = sep < 0 ? args : args.slice(0, sep);
const extra = sep < 0 ? [] : args.slice(sep + 1);
if (areas.length === 0) {
  process.stdout.write(
    `Usage: npm run mutate -- <area> [<area> …]\nAreas (run one at a time; each takes minutes on 2 cores):\n${Object.entries(
      AREAS,
    )
      .map(([k, v]) => `  ${k.padEnd(14)} ${v.mutate.join(', ')}`)
      .join('\n')}\n`,
  );
  process.exit(0);
}
for (const a of areas) {
  if (!(a in AREAS)) {
    process.stderr.write(`Unknown area "${a}". Areas: ${Object.keys(AREAS).join(', ')}\n`);
    process.exit(2);
  }
}
const summary = [];
let failed = false;
for (const a of areas) {
  const t0 = Date.now();
  const r = spawnSync('npx', ['stryker', 'run', 'stryker.config.mjs', ...extra], {
    stdio: 'inherit',
    env: { ...process.env, MUTATE_AREA: a },
  });
  const minutes = ((Date.now() - t0) / 60_000).toFixed(1);
  const report = `reports/mutation/${a}.json`;
  let score = 'no report';
  if (r.status === 0 && existsSync(report)) {
    const files = JSON.parse(readFileSync(report, 'utf8')).files;
    const all = Object.values(files).flatMap((f) => f.mutants);
    const count = (s) => all.filter((m) => s.includes(m.status)).length;
    const detected = count(['Killed', 'Timeout']);
    const valid = detected + count(['Survived', 'NoCoverage']);
    score = `${((100 * detected) / valid).toFixed(1)} % (${detected} of ${valid} killed, ${count(['Survived'])} survived, ${count(['NoCoverage'])} not covered)`;
  } else failed = true;
  summary.push(`${a}: ${score}, ${minutes} min`);
}
process.stdout.write(`\nMutation scores:\n${summary.map((s) => `  ${s}`).join('\n')}\n`);
if (failed) process.exitCode = 1;
