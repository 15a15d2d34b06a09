/**
 * The fragment route: `svc-codegen` writes cloudformation/<service>.json ahead of time, the
 * framework merges it with `resources: ${file(…)}`, and the plugin (`merge: false`) only declares
 * the schema and checks the wiring is there. Under `configValidationMode: error` with the real
 * serverless v3: no warning, no shared IamRoleLambdaExecution, and the stack deploys into moto.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCLI } from '../../codegen/cli.js';
import { deployPackaged, type Moto, motoSkipReason, startMoto } from '../helpers/moto.js';
import { type Packaged, serverlessPackage } from '../helpers/serverless.js';

const ROOT = join(import.meta.dirname, '../..');
const DIR = join(ROOT, 'test/fixtures/deploy/fragment');
const SLS = join(ROOT, 'node_modules/serverless/bin/serverless.js');
const out = mkdtempSync(join(tmpdir(), 'svc-fragment-'));
const skip = motoSkipReason('fragment route on moto');
let moto: Moto | undefined;
let packaged: Packaged;

beforeAll(async () => {
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  // What a user runs before `serverless deploy` (the fixture's resources: line reads this path).
  const code = await runCLI([DIR, '--stage', 'dev', '--no-types', '--quiet', '--out', join(DIR, '.svc-mesh/codegen')], {
    stdout: sink,
    stderr: sink,
  });
  if (code !== 0) throw new Error(`svc-codegen exited ${code}`);
  const [m, p] = await Promise.all([skip ? undefined : startMoto(), serverlessPackage(DIR, join(out, 'pkg'))]);
  moto = m;
  packaged = p;
}, 180_000);
afterAll(async () => {
  await moto?.close();
  rmSync(out, { recursive: true, force: true });
  rmSync(join(DIR, '.svc-mesh'), { recursive: true, force: true });
});

describe('cloudformation/<service>.json through resources: ${file(…)}', () => {
  it('packages under configValidationMode: error without a warning or a shared role', () => {
    expect(packaged.output).toMatch(/Service packaged/);
    expect(packaged.output).not.toMatch(/warning|required property|unsupported function event|unrecognized/i);
    const R = packaged.template.Resources;
    expect(R['IamRoleLambdaExecution']).toBeUndefined();
    expect(R['PayLambdaFunction']!.Properties['Role']).toEqual({ 'Fn::GetAtt': ['PaySvcMeshRole', 'Arn'] });
    expect(R['PayLambdaFunction']!.Properties['Environment'].Variables).toMatchObject({
      SHOP_STAGE: 'dev', // the user's environment, merged with the fragment's
      SVC_MESH_SERVICE: 'fragshop',
      SVC_MESH_SUBSCRIBABLE: 'true',
    });
    expect(R['AuditSvcMeshOnFragshopPayFailedSubscription']!.Properties['FilterPolicy']).toEqual({
      svcmesh_type: ['failed'],
      svcmesh_code: ['DECLINED'],
    });
  });

  it('is refused when merge: false but the resources line is missing (no silent deploy without wiring)', async () => {
    const r = await promisify(execFile)(
      process.execPath,
      [SLS, 'package', '--stage', 'dev', '--config', 'serverless.no-fragment.yml', '--package', join(out, 'none')],
      {
        cwd: DIR,
        env: { ...process.env, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y', SLS_TELEMETRY_DISABLED: '1' },
        timeout: 120_000,
      },
    ).then(
      () => ({ code: 0, output: '' }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, output: e.stdout + e.stderr }),
    );
    expect(r.code).not.toBe(0);
    expect(r.output).toContain('custom.svcMesh.merge is false, but the compiled template lacks the svc-mesh wiring');
    expect(r.output).toContain('PayLambdaFunction has no SVC_MESH_* environment');
    expect(r.output).toContain("resources: ${file(.svc-mesh/codegen/cloudformation/fragshop.json)}'");
  }, 120_000);

  it.skipIf(skip)('deploys into moto: CREATE_COMPLETE, the functions carry their svc-mesh roles', async () => {
    const r = await deployPackaged(moto!, join(out, 'pkg'), 'fragshop-dev');
    expect({ status: r.status, reasons: r.reasons }).toEqual({ status: 'CREATE_COMPLETE', reasons: [] });
    const lambda = new LambdaClient(moto!.config);
    try {
      const fn = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'fragshop-dev-audit' }));
      expect(fn.Role).toMatch(/AuditSvcMeshRole/);
      expect(fn.Environment!.Variables!['SVC_MESH_CALLING']).toBe('fragshop:pay');
    } finally {
      lambda.destroy();
    }
  });
});
