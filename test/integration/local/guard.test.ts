/**
 * The mesh's front door (tools/local/guard.ts, docs/security.md): the Host allow-list (DNS
 * rebinding), requests from other web pages (CSRF), content types a page can send without a
 * preflight, and authentication of AWS API calls (unsigned, unknown keys, keys that cannot be
 * computed). Real SDK v3 clients, boto3 and the AWS CLI keep working.
 */
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { promisify } from 'node:util';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { ListTopicsCommand } from '@aws-sdk/client-sns';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalMesh, startLocalMesh } from '../../../tools/local/index.js';
import { clients, decode, spec } from './helpers.js';

const run = promisify(execFile);
const hasAwsCli = spawnSync('aws', ['--version']).status === 0;
const hasBoto3 = spawnSync('python3', ['-c', 'import boto3']).status === 0;
const devEnv = {
  ...process.env,
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
};
let mesh: LocalMesh;
let invocations = 0;

const allowEcho = [
  {
    Version: '2012-10-17' as const,
    Statement: [
      {
        Effect: 'Allow' as const,
        Action: 'lambda:InvokeFunction',
        Resource: 'arn:aws:lambda:us-east-1:000000000000:function:fx-dev-echo',
      },
    ],
  },
];

beforeAll(async () => {
  mesh = await startLocalMesh({
    quiet: true,
    tracing: false,
    functions: [spec('echo', 'echo.ts', 'handler'), spec('stray', 'stray.ts', 'handler', { policies: allowEcho })],
  });
  mesh.onInvoke((r) => {
    if (r.target === 'fx:echo') invocations++;
  });
});
afterAll(async () => {
  await mesh?.stop();
});

/** A raw HTTP request, with exactly the headers given (plus Host unless overridden). */
function raw(method: string, path: string, headers: Record<string, string>, body = '') {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = request(
      `${mesh.endpoint}${path}`,
      { method, headers: { 'content-length': String(Buffer.byteLength(body)), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
const signed = (service: string) => ({
  authorization: `AWS4-HMAC-SHA256 Credential=test/20261126/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=${'0'.repeat(64)}`,
});
const INVOKE = '/2015-03-31/functions/fx-dev-echo/invocations';

describe('Local mesh: Host allow-list (DNS rebinding)', () => {
  it('refuses a request addressed to another name, before it has any effect', async () => {
    const before = invocations;
    for (const host of ['attacker.example:' + mesh.port, 'attacker.example', '127.0.0.1.nip.io:' + mesh.port]) {
      const r = await raw('POST', INVOKE, { host, 'content-type': 'application/json', ...signed('lambda') }, '{}');
      expect(r.status).toBe(403);
      expect(r.headers['x-amzn-errortype']).toBe('AccessDeniedException');
      expect(r.body).toContain('DNS-rebinding');
    }
    // read-only views too: environment variables, SSM values, traces, dead letters
    for (const path of ['/_mesh/functions', '/_mesh/dead-letters', '/2015-03-31/functions', '/api/traces', '/']) {
      expect((await raw('GET', path, { host: `rebind.example:${mesh.port}`, ...signed('lambda') })).status).toBe(403);
    }
    const ssm = await raw(
      'POST',
      '/',
      {
        host: `rebind.example:${mesh.port}`,
        'x-amz-target': 'AmazonSSM.GetParametersByPath',
        'content-type': 'application/x-amz-json-1.1',
        ...signed('ssm'),
      },
      '{"Path":"/","Recursive":true}',
    );
    expect(ssm.status).toBe(403);
    expect(invocations).toBe(before);
  });

  it('answers 127.0.0.1, localhost and [::1] with its port (any case)', async () => {
    for (const host of [
      `127.0.0.1:${mesh.port}`,
      `localhost:${mesh.port}`,
      `[::1]:${mesh.port}`,
      `LocalHost:${mesh.port}`,
    ]) {
      const r = await raw('GET', '/_mesh/health', { host });
      expect(r.status, host).toBe(200);
    }
    // the right name on the wrong port is another server's name
    expect((await raw('GET', '/_mesh/health', { host: `127.0.0.1:${mesh.port + 1}` })).status).toBe(403);
  });
});

describe('Local mesh: requests from other web pages (CSRF)', () => {
  it('refuses a cross-origin Invoke, even with a valid-looking signature, and runs nothing', async () => {
    const before = invocations;
    const evil = { origin: 'http://evil.example', 'content-type': 'application/octet-stream', ...signed('lambda') };
    const r = await raw('POST', INVOKE, evil, '{"attacker":true}');
    expect(r.status).toBe(403);
    expect(r.body).toContain('refuses requests from other web pages');
    // a page on another port of localhost is same-site, not same-origin
    const sameSite = await raw('POST', INVOKE, { 'sec-fetch-site': 'same-site', ...signed('lambda') }, '{}');
    expect(sameSite.status).toBe(403);
    const nullOrigin = await raw('POST', INVOKE, { origin: 'null', ...signed('lambda') }, '{}');
    expect(nullOrigin.status).toBe(403);
    const form = await raw(
      'POST',
      '/',
      { 'sec-fetch-site': 'cross-site', 'content-type': 'application/x-www-form-urlencoded' },
      'Action=Subscribe&Version=2010-03-31&TopicArn=x&Protocol=http&Endpoint=http://evil.example/',
    );
    expect(form.status).toBe(403);
    expect(form.body).toContain('<Code>AccessDeniedException</Code>');
    const otlp = await raw(
      'POST',
      '/v1/traces',
      { origin: 'http://evil.example', 'content-type': 'application/json' },
      '{}',
    );
    expect(otlp.status).toBe(403);
    expect(invocations).toBe(before);
  });

  it('lets the mesh’s own pages and top-level links through', async () => {
    const own = await raw('GET', '/_mesh/health', { origin: mesh.endpoint, 'sec-fetch-site': 'same-origin' });
    expect(own.status).toBe(200);
    const typed = await raw('GET', '/_mesh/health', { 'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate' });
    expect(typed.status).toBe(200);
    // a link from another site opens the page (GET navigation, no effect)
    const link = await raw('GET', '/_mesh/health', {
      'sec-fetch-site': 'cross-site',
      'sec-fetch-mode': 'navigate',
      'sec-fetch-dest': 'document',
    });
    expect(link.status).toBe(200);
    // but a cross-site form POST navigation is not a link
    const post = await raw('POST', '/', {
      'sec-fetch-site': 'cross-site',
      'sec-fetch-mode': 'navigate',
      'sec-fetch-dest': 'document',
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(post.status).toBe(403);
  });

  it('refuses Invoke bodies a page can send without a preflight (415 UnsupportedMediaTypeException)', async () => {
    const before = invocations;
    for (const ct of [
      'text/plain',
      'text/plain;charset=UTF-8',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const r = await raw('POST', INVOKE, { 'content-type': ct, ...signed('lambda') }, '{}');
      expect(r.status, ct).toBe(415);
      expect(r.headers['x-amzn-errortype']).toBe('UnsupportedMediaTypeException');
    }
    const ssm = await raw(
      'POST',
      '/',
      { 'x-amz-target': 'AmazonSSM.GetParameter', 'content-type': 'text/plain', ...signed('ssm') },
      '{"Name":"/x"}',
    );
    expect(ssm.status).toBe(400);
    expect(invocations).toBe(before);
  });
});

describe('Local mesh: authentication of AWS API calls', () => {
  it('refuses unsigned calls with AWS’s MissingAuthenticationToken, in each protocol', async () => {
    const before = invocations;
    const lambda = await raw('POST', INVOKE, { 'content-type': 'application/json' }, '{}');
    expect(lambda.status).toBe(403);
    expect(lambda.headers['x-amzn-errortype']).toBe('MissingAuthenticationTokenException');
    const ssm = await raw(
      'POST',
      '/',
      { 'x-amz-target': 'AmazonSSM.GetParameter', 'content-type': 'application/x-amz-json-1.1' },
      '{"Name":"/svc-mesh/dev/fx/echo"}',
    );
    expect(ssm.status).toBe(400);
    expect(JSON.parse(ssm.body).__type).toBe('MissingAuthenticationTokenException');
    const sns = await raw(
      'POST',
      '/',
      { 'content-type': 'application/x-www-form-urlencoded' },
      'Action=ListTopics&Version=2010-03-31',
    );
    expect(sns.status).toBe(403);
    expect(sns.body).toContain('<Code>MissingAuthenticationToken</Code>');
    // a credential in the URL (what a form could carry) does not sign a POST
    const presigned = await raw(
      'POST',
      `${INVOKE}?X-Amz-Credential=${encodeURIComponent('test/20261126/us-east-1/lambda/aws4_request')}&X-Amz-Signature=00`,
      { 'content-type': 'application/json' },
      '{}',
    );
    expect(presigned.status).toBe(403);
    expect(presigned.headers['x-amzn-errortype']).toBe('MissingAuthenticationTokenException');
    expect(invocations).toBe(before);
  });

  it('refuses a key that is neither a function’s nor the developer key (UnrecognizedClientException / InvalidClientTokenId)', async () => {
    const c = clients(mesh.endpoint, { credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x' } });
    const errs = await Promise.all([
      c.lambda.send(new InvokeCommand({ FunctionName: 'fx-dev-echo' })).catch((e: Error) => e),
      c.ssm.send(new GetParameterCommand({ Name: '/x' })).catch((e: Error) => e),
      c.sns.send(new ListTopicsCommand({})).catch((e: Error) => e),
    ]);
    expect(errs.map((e) => (e as Error).name)).toEqual([
      'UnrecognizedClientException',
      'UnrecognizedClientException',
      'InvalidClientTokenId',
    ]);
    expect((errs[0] as Error).message).toContain('AWS_ACCESS_KEY_ID=test');
  });

  it('gives functions keys no code can compute: random per mesh start', async () => {
    const key = mesh.fn('fx:echo')!.accessKeyId;
    // what the key used to be: a hash of stage and target
    const old = `LOCAL${createHash('sha256').update('dev\0fx:echo').digest('hex').slice(0, 15).toUpperCase()}`;
    expect(key).not.toBe(old);
    const other = await startLocalMesh({
      quiet: true,
      tracing: false,
      functions: [spec('echo', 'echo.ts', 'handler')],
    });
    try {
      expect(other.fn('fx:echo')!.accessKeyId).not.toBe(key);
    } finally {
      await other.stop();
    }
    const guessed = clients(mesh.endpoint, { credentials: { accessKeyId: old, secretAccessKey: 'local' } });
    const e = await guessed.lambda.send(new InvokeCommand({ FunctionName: 'fx-dev-echo' })).catch((err: Error) => err);
    expect((e as Error).name).toBe('UnrecognizedClientException');
  });

  it('inside a function: its own key works; stray credentials and unsigned calls are refused as in AWS', async () => {
    const { lambda } = clients(mesh.endpoint);
    const call = async (event: object) =>
      decode(
        (await lambda.send(new InvokeCommand({ FunctionName: 'fx-dev-stray', Payload: JSON.stringify(event) })))
          .Payload,
      ) as {
        ok: boolean;
        name?: string;
        status?: number;
      };
    expect(await call({ how: 'own', target: 'fx-dev-echo' })).toMatchObject({ ok: true });
    expect(await call({ how: 'key', target: 'fx-dev-echo' })).toMatchObject({
      ok: false,
      name: 'UnrecognizedClientException',
      status: 403,
    });
    expect(await call({ how: 'unsigned', target: 'fx-dev-echo' })).toMatchObject({
      ok: false,
      status: 403,
      name: 'MissingAuthenticationTokenException',
    });
  });
});

describe('Local mesh: real clients keep working', () => {
  it('the SDK with the developer key', async () => {
    const { lambda } = clients(mesh.endpoint);
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'fx-dev-echo', Payload: '{"a":1}' }));
    expect((decode(out.Payload) as { event: unknown }).event).toEqual({ a: 1 });
  });

  it.skipIf(!hasBoto3)(
    'boto3',
    async () => {
      const env = devEnv;
      const py = [
        'import boto3, json, sys',
        `c = boto3.client("lambda", endpoint_url="${mesh.endpoint}")`,
        'r = c.invoke(FunctionName="fx-dev-echo", Payload=b\'{"b":2}\')',
        'print(json.loads(r["Payload"].read())["event"]["b"])',
        `s = boto3.client("sns", endpoint_url="${mesh.endpoint}")`,
        'print(len(s.list_topics()["Topics"]))',
      ].join('\n');
      const b = await run('python3', ['-c', py], { env });
      expect(b.stdout.trim().split('\n')[0]).toBe('2');
    },
    60_000,
  );

  it.skipIf(!hasAwsCli)(
    'the AWS CLI',
    async () => {
      const cli = await run('aws', ['sns', 'list-topics', '--endpoint-url', mesh.endpoint, '--output', 'json'], {
        env: devEnv,
      });
      expect(JSON.parse(cli.stdout)).toHaveProperty('Topics');
    },
    60_000,
  );

  it('curl, signed with the developer key', async () => {
    const r = await run('curl', [
      '-sS',
      '--aws-sigv4',
      'aws:amz:us-east-1:lambda',
      '--user',
      'test:test',
      '-H',
      'content-type: application/json',
      '--data-binary',
      '{"d":4}',
      `${mesh.endpoint}${INVOKE}`,
    ]);
    expect(JSON.parse(r.stdout).event).toEqual({ d: 4 });
  });
});
