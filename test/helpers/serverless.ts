/**
 * The real Serverless Framework v3 CLI (this checkout's devDependency) packaging one service
 * offline: dummy credentials, no telemetry, no notifications.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SLS = join(import.meta.dirname, '../../node_modules/serverless/bin/serverless.js');

export interface Packaged {
  /** What `serverless package` printed (stdout and stderr). */
  output: string;
  template: {
    Resources: Record<string, { Type: string; Properties: Record<string, any>; DependsOn?: unknown }>;
    Outputs: Record<string, any>;
  };
}

/** Runs `serverless package --stage dev` in `serviceDir`, writing to `target`, and reads the template. */
export async function serverlessPackage(serviceDir: string, target: string): Promise<Packaged> {
  const { stdout, stderr } = await run(process.execPath, [SLS, 'package', '--stage', 'dev', '--package', target], {
    cwd: serviceDir,
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'y',
      AWS_REGION: 'us-east-1',
      SLS_TELEMETRY_DISABLED: '1',
      SLS_NOTIFICATIONS_MODE: 'off',
      SLS_DEPRECATION_DISABLE: '*',
    },
    timeout: 120_000,
  });
  const template = JSON.parse(readFileSync(join(target, 'cloudformation-template-update-stack.json'), 'utf8'));
  return { output: stdout + stderr, template };
}
