/**
 * The real osls CLI (the open-source Serverless Framework 4.x fork, this checkout's devDependency):
 * `package` offline with dummy credentials, or `deploy` against an AWS endpoint (moto), which osls
 * reaches through the AWS SDK v3's `AWS_ENDPOINT_URL`. No telemetry, no notifications.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';

const OSLS = join(import.meta.dirname, '../../node_modules/osls/bin/serverless.js');

export interface OslsRun {
  code: number;
  /** stdout and stderr, without the AWS SDK's Node version notice. */
  output: string;
}

/** Runs `osls <args>` in `serviceDir`; never throws for a non-zero exit. */
export function osls(serviceDir: string, args: readonly string[], env: Record<string, string> = {}): Promise<OslsRun> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [OSLS, ...args],
      {
        cwd: serviceDir,
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: 'testing',
          AWS_SECRET_ACCESS_KEY: 'testing',
          AWS_REGION: 'us-east-1',
          AWS_EC2_METADATA_DISABLED: 'true',
          SLS_TELEMETRY_DISABLED: '1',
          SLS_NOTIFICATIONS_MODE: 'off',
          SLS_DEPRECATION_DISABLE: '*',
          AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING: '1',
          ...env,
        },
        timeout: 180_000,
        maxBuffer: 8 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        if (err && typeof (err as { code?: unknown }).code !== 'number') return reject(err);
        resolve({ code: err ? ((err as { code: number }).code ?? 1) : 0, output: `${stdout}${stderr}` });
      },
    );
  });
}
