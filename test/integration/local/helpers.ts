/** Shared helpers for the local mesh integration tests: real AWS SDK v3 clients against the mesh. */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { fileURLToPath } from 'node:url';
import type { FunctionSpec } from '../../../tools/local/index.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/local/', import.meta.url));
export const HANDLERS = `${FIXTURES}handlers/`;

export interface Creds {
  accessKeyId: string;
  secretAccessKey: string;
}

/** Every client of the four emulated services, pointed at the mesh, no SDK retries unless asked. */
export function clients(endpoint: string, opts: { credentials?: Creds; maxAttempts?: number } = {}) {
  const cfg = {
    endpoint,
    region: 'us-east-1',
    credentials: opts.credentials ?? { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: opts.maxAttempts ?? 1,
  };
  return {
    lambda: new LambdaClient(cfg),
    sns: new SNSClient(cfg),
    ssm: new SSMClient(cfg),
    cfn: new CloudFormationClient(cfg),
  };
}

export function spec(key: string, file: string, exp: string, extra: Partial<FunctionSpec> = {}): FunctionSpec {
  return { service: 'fx', key, file: `${HANDLERS}${file}`, export: exp, ...extra };
}

export const decode = (p: Uint8Array | undefined): unknown =>
  p === undefined || p.length === 0 ? undefined : JSON.parse(new TextDecoder().decode(p));

/** Polls `cond` without any timing assertion; fails only if it never becomes true within `ms`. */
export async function until(cond: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 20));
  }
}
