/**
 * What users install (issue 11): both packages built and packed from this tree, then real
 * `npm install`s into empty projects. The runtime's production install (what an unbundled deploy
 * zips into every Lambda) is measured against the 5 MB goal without @aws-sdk/* and @smithy/*
 * (the Lambda runtime ships those); the tooling install (runtime + svc-mesh-tools) is reported
 * beside it. The "baseline" of the first row is the goal itself, a constant.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { buildAndPack, installSize, npmInstall, RUNTIME_INSTALL_GOAL_BYTES } from '../test/helpers/packages.js';
import type { Bench } from './types.js';

const MB = 1024 * 1024;

const run: Bench = async () => {
  const work = mkdtempSync(join(os.tmpdir(), 'svc-mesh-bench-pkg-'));
  try {
    const packed = await buildAndPack(work);
    const project = async (name: string, installs: string[][]) => {
      const dir = join(work, name);
      mkdirSync(dir);
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
      for (const args of installs) await npmInstall(args, dir);
      return installSize(dir);
    };
    const prod = await project('prod', [['--omit=dev', packed.runtime.tarball]]);
    const dev = await project('dev', [[packed.runtime.tarball], ['--save-dev', packed.tools.tarball]]);
    const round = (b: number) => Math.round((b / MB) * 100) / 100;
    return [
      {
        metric: 'runtime production install (npm install --omit=dev svc-mesh), without @aws-sdk/* and @smithy/*',
        baseline: 'the goal, 5 MB (a constant)',
        baselineValue: RUNTIME_INSTALL_GOAL_BYTES / MB,
        ours: round(prod.bytes),
        unit: 'MB',
        ratio: Math.round((prod.bytes / RUNTIME_INSTALL_GOAL_BYTES) * 1000) / 1000,
        goal: '≤ 1.0',
        met: prod.bytes <= RUNTIME_INSTALL_GOAL_BYTES,
        note: `${prod.packages.length} packages; the AWS SDK v3 clients it installs add ${round(prod.awsBytes)} MB (shipped by the Lambda runtime)`,
      },
      {
        metric: 'tooling install (svc-mesh + svc-mesh-tools as a devDependency), everything',
        baseline: 'runtime production install, everything',
        baselineValue: round(prod.bytes + prod.awsBytes),
        ours: round(dev.bytes + dev.awsBytes),
        unit: 'MB',
        ratio: Math.round(((dev.bytes + dev.awsBytes) / (prod.bytes + prod.awsBytes)) * 100) / 100,
        goal: 'report',
        met: null,
        note: `${dev.packages.length} packages: codegen (TypeScript, ts-json-schema-generator), esbuild, tsx, the OpenTelemetry SDK for the mesh's workers`,
      },
    ];
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
};
export default run;
