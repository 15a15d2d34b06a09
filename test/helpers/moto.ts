/**
 * moto (`moto_server`, the Python AWS emulator written by other people) as an independent AWS for
 * deploy tests: one server per test file on a free 127.0.0.1 port, real AWS SDK v3 clients, and
 * CloudFormation stacks created the way a deploy creates them (artifact zips uploaded to S3 first).
 *
 * moto's limits, which these helpers do not paper over (tests check what moto can show and say
 * what stays unproven):
 * - its CloudFormation silently skips `AWS::SNS::Subscription` (nothing is subscribed); to check a
 *   subscription and its FilterPolicy, subscribe through the SNS API (`subscribeLike`);
 * - it registers `Outputs[].Export` only on CreateStack, not on UpdateStack: stacks are created
 *   in one CreateStack with the final template (`deployPackaged` does that with a serverless
 *   package, instead of the framework's create-then-update);
 * - Lambda-backed custom resources and Lambda invocations need Docker, which these machines do not
 *   have: functions are created (code stored), never run. The runtime is run in-process instead,
 *   against moto's endpoints.
 *
 * When `moto_server` is absent the suites skip with a loud message; `SVC_MESH_REQUIRE_MOTO=1` (CI)
 * turns that into a failure.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  type Parameter,
} from '@aws-sdk/client-cloudformation';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

export const MOTO_REGION = 'us-east-1';
/** moto's default account id. */
export const MOTO_ACCOUNT = '123456789012';
export const MOTO_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

function findMoto(): string[] | undefined {
  for (const cmd of [['moto_server'], ['python3', '-m', 'moto.server']]) {
    try {
      execFileSync(cmd[0]!, [...cmd.slice(1), '--help'], { stdio: 'ignore', timeout: 30_000 });
      return cmd;
    } catch {
      /* next */
    }
  }
  return undefined;
}

const MOTO_CMD = findMoto();

/** True when moto can be started on this machine. */
export const motoAvailable = MOTO_CMD !== undefined;

/**
 * The reason to skip, printed loudly, or undefined when moto is there. With
 * `SVC_MESH_REQUIRE_MOTO=1` a missing moto throws instead (CI must not skip silently).
 */
export function motoSkipReason(suite: string): string | undefined {
  if (motoAvailable) return undefined;
  const msg = `\n!!! ${suite}: SKIPPED — moto_server not found (pip install 'moto[server]'); these deploy tests need an independent AWS emulator\n`;
  if (process.env['SVC_MESH_REQUIRE_MOTO'] === '1') throw new Error(msg);
  console.warn(msg);
  return msg;
}

export interface Moto {
  readonly endpoint: string;
  readonly region: string;
  readonly account: string;
  /** Client configuration for any AWS SDK v3 client. */
  readonly config: {
    region: string;
    endpoint: string;
    credentials: typeof MOTO_CREDENTIALS;
    forcePathStyle: true;
    maxAttempts: 1;
  };
  /** Environment for a child process (CLI) talking to this moto. */
  readonly env: Record<string, string>;
  /** Forgets every resource (moto's reset API). */
  reset(): Promise<void>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function ready(endpoint: string, child: ChildProcess, log: () => string): Promise<void> {
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}: ${log()}`);
    try {
      const r = await fetch(`${endpoint}/moto-api/`);
      if (r.ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`moto_server did not answer on ${endpoint} within 30 s: ${log()}`);
}

/** Starts moto_server on a free port of 127.0.0.1 (a few attempts, in case the port is taken meanwhile). */
export async function startMoto(): Promise<Moto> {
  if (MOTO_CMD === undefined) throw new Error('moto_server is not installed');
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const child = spawn(MOTO_CMD[0]!, [...MOTO_CMD.slice(1), '-H', '127.0.0.1', '-p', String(port)], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, MOTO_ALLOW_NONEXISTENT_REGION: 'false' },
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      // moto logs every request; keep only the tail for error messages (bounded memory).
      stderr = (stderr + d.toString()).slice(-4000);
    });
    try {
      await ready(endpoint, child, () => stderr);
    } catch (e) {
      lastError = e;
      child.kill('SIGKILL');
      continue;
    }
    const close = async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    };
    return {
      endpoint,
      region: MOTO_REGION,
      account: MOTO_ACCOUNT,
      config: { region: MOTO_REGION, endpoint, credentials: MOTO_CREDENTIALS, forcePathStyle: true, maxAttempts: 1 },
      env: {
        AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
        AWS_REGION: MOTO_REGION,
        AWS_ENDPOINT_URL: endpoint,
        AWS_EC2_METADATA_DISABLED: 'true',
      },
      async reset() {
        const r = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
        if (!r.ok) throw new Error(`moto reset answered ${r.status}`);
      },
      close,
      [Symbol.asyncDispose]: close,
    };
  }
  throw lastError;
}

// ---------------------------------------------------------------------------------------------

type Json = unknown;
export interface Template {
  AWSTemplateFormatVersion?: string;
  Description?: string;
  Resources: Record<string, { Type?: string; Properties?: Record<string, any>; DependsOn?: unknown }>;
  Outputs?: Record<string, any>;
}

export interface StackResult {
  stackName: string;
  status: string;
  /** Why it failed, from the stack events (empty on success). */
  reasons: string[];
  outputs: Record<string, string>;
}

/** Waits until the stack leaves its *_IN_PROGRESS state (bounded), and collects failure reasons. */
export async function waitForStack(cfn: CloudFormationClient, stackName: string): Promise<StackResult> {
  const until = Date.now() + 60_000;
  for (;;) {
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    const s = Stacks?.[0];
    const status = s?.StackStatus ?? 'UNKNOWN';
    if (!status.endsWith('_IN_PROGRESS') || Date.now() > until) {
      const reasons: string[] = [];
      if (!status.endsWith('_COMPLETE') || status.includes('ROLLBACK')) {
        const { StackEvents } = await cfn.send(new DescribeStackEventsCommand({ StackName: stackName }));
        for (const e of StackEvents ?? []) {
          if (e.ResourceStatus?.endsWith('FAILED')) reasons.push(`${e.LogicalResourceId}: ${e.ResourceStatusReason}`);
        }
      }
      const outputs: Record<string, string> = {};
      for (const o of s?.Outputs ?? []) outputs[o.OutputKey!] = o.OutputValue!;
      return { stackName, status, reasons, outputs };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** CreateStack with `template` (one CreateStack: moto registers exports only there) and wait. */
export async function createStack(
  moto: Moto,
  stackName: string,
  template: Template,
  parameters: Parameter[] = [],
): Promise<StackResult> {
  const cfn = new CloudFormationClient(moto.config);
  try {
    await cfn.send(
      new CreateStackCommand({
        StackName: stackName,
        TemplateBody: JSON.stringify(template),
        Parameters: parameters,
        Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
      }),
    );
    return await waitForStack(cfn, stackName);
  } finally {
    cfn.destroy();
  }
}

export async function deleteStack(moto: Moto, stackName: string): Promise<StackResult> {
  const cfn = new CloudFormationClient(moto.config);
  try {
    await cfn.send(new DeleteStackCommand({ StackName: stackName }));
    // moto deletes synchronously; DescribeStacks by name then fails or answers DELETE_COMPLETE.
    try {
      return await waitForStack(cfn, stackName);
    } catch {
      return { stackName, status: 'DELETE_COMPLETE', reasons: [], outputs: {} };
    }
  } finally {
    cfn.destroy();
  }
}

const DEPLOYMENT_BUCKET = 'ServerlessDeploymentBucket';

/**
 * Deploys a `serverless package` output directory the way `serverless deploy` would, in one
 * CreateStack: creates an S3 bucket, uploads every artifact the template's functions name
 * (`Code.S3Key`, whose file name is the zip in the package directory), points `Code.S3Bucket`
 * at that bucket, and creates stack `{service}-{stage}` from the update template.
 */
export async function deployPackaged(
  moto: Moto,
  packageDir: string,
  stackName: string,
  template?: Template,
): Promise<StackResult & { template: Template }> {
  const t: Template =
    template ?? JSON.parse(readFileSync(`${packageDir}/cloudformation-template-update-stack.json`, 'utf8'));
  const s3 = new S3Client(moto.config);
  const bucket = `deploy-${stackName}`.toLowerCase().slice(0, 63);
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    for (const r of Object.values(t.Resources)) {
      const code = r.Type === 'AWS::Lambda::Function' ? (r.Properties?.['Code'] as Record<string, Json>) : undefined;
      if (code === undefined || typeof code['S3Key'] !== 'string') continue;
      const key = code['S3Key'];
      const file = `${packageDir}/${key.split('/').pop()}`;
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: readFileSync(file) }));
      if (JSON.stringify(code['S3Bucket']) === JSON.stringify({ Ref: DEPLOYMENT_BUCKET })) code['S3Bucket'] = bucket;
    }
  } finally {
    s3.destroy();
  }
  const result = await createStack(moto, stackName, t);
  return { ...result, template: t };
}
