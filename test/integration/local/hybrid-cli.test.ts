/**
 * `svc-mesh dev --remote` refuses bad input with a typed error and a message saying what to do,
 * before anything is sent where it should not be (counted at a proxy in front of the stand-in).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalMesh } from '../../../tools/local/index.js';
import { startLocalMesh } from '../../../tools/local/index.js';
import { type CountingProxy, startCountingProxy } from '../../helpers/counting-proxy.js';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../../tools/bin/svc-mesh.js', import.meta.url));
const ORDERS = 'examples/shop/orders';

async function dev(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string }> {
  try {
    const r = await run(process.execPath, [BIN, 'dev', ORDERS, '--port', '0', '--quiet', ...args], {
      env: { ...process.env, ...env },
      timeout: 60_000,
    });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('svc-mesh dev --remote: bad input', () => {
  let stand: LocalMesh;
  let proxy: CountingProxy;
  beforeAll(async () => {
    stand = await startLocalMesh({ paths: ['examples/shop'], stage: 'dev', port: 0, quiet: true, tracing: false });
    proxy = await startCountingProxy(stand.endpoint);
  }, 60_000);
  afterAll(async () => {
    await proxy?.close();
    await stand?.stop();
  });

  it('refuses a protected stage (prod by default, or configured) before any request, unless --force', async () => {
    const before = proxy.seen.length;
    const prod = await dev([
      '--stage',
      'alice',
      '--stage-fallback',
      'prod',
      '--remote',
      '--remote-endpoint',
      proxy.endpoint,
    ]);
    const configured = await dev(
      ['--stage', 'alice', '--stage-fallback', 'dev', '--remote', '--remote-endpoint', proxy.endpoint],
      {
        SVC_MESH_PROTECTED_STAGES: 'dev,prod',
      },
    );
    expect(prod.code).toBe(1);
    expect(prod.out).toContain("[REMOTE_PROTECTED_STAGE] svc-mesh dev --remote: stage 'prod' is protected");
    expect(prod.out).toContain('--force');
    expect(configured.out).toContain("stage 'dev' is protected");
    expect(proxy.seen.length - before).toBe(0);
    // Forced: it goes on (and here finds no deployed prod records), saying so loudly.
    const forced = await dev([
      '--stage',
      'alice',
      '--stage-fallback',
      'prod',
      '--remote',
      '--remote-endpoint',
      proxy.endpoint,
      '--force',
    ]);
    expect(forced.out).toContain('PROTECTED STAGE FORCED');
    expect(forced.out).toContain('[REMOTE_NO_RECORDS]');
  }, 120_000);

  it('names the profile when there are no credentials, and sends nothing', async () => {
    const before = proxy.seen.length;
    const empty = mkdtempSync(join(os.tmpdir(), 'svc-mesh-nocreds-'));
    const r = await dev(
      [
        '--stage',
        'alice',
        '--stage-fallback',
        'dev',
        '--remote',
        '--remote-endpoint',
        proxy.endpoint,
        '--profile',
        'team-dev',
      ],
      {
        AWS_CONFIG_FILE: join(empty, 'config'),
        AWS_SHARED_CREDENTIALS_FILE: join(empty, 'credentials'),
        AWS_ACCESS_KEY_ID: '',
        AWS_SECRET_ACCESS_KEY: '',
        AWS_EC2_METADATA_DISABLED: 'true',
      },
    );
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      "[REMOTE_NO_CREDENTIALS] svc-mesh dev --remote: no usable AWS credentials for profile 'team-dev'",
    );
    expect(r.out).toContain('aws sso login --profile team-dev');
    expect(proxy.seen.length - before).toBe(0);
  }, 120_000);

  it('says which stages were searched, locally and remotely, when the fallback stage has no records', async () => {
    const r = await dev([
      '--stage',
      'alice',
      '--stage-fallback',
      'staging',
      '--remote',
      '--remote-endpoint',
      proxy.endpoint,
    ]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('[REMOTE_NO_RECORDS]');
    expect(r.out).toContain(`Searched locally: staging; remotely at ${proxy.endpoint}: staging`);
    // The account, region and stages were printed before the first call.
    expect(r.out.indexOf('deployed stages alice → staging')).toBeLessThan(r.out.indexOf('[REMOTE_NO_RECORDS]'));
    expect(r.out).toContain('region us-east-1');
  }, 120_000);

  it('an unreachable endpoint at start: nothing is started', async () => {
    const gone = await startCountingProxy(stand.endpoint);
    await gone.close();
    const r = await dev([
      '--stage',
      'alice',
      '--stage-fallback',
      'dev',
      '--remote',
      '--remote-endpoint',
      gone.endpoint,
    ]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('[REMOTE_UNREACHABLE]');
    expect(r.out).toContain('Nothing was started');
  }, 120_000);

  it('an expired session (STS ExpiredToken) stops the start naming the profile, before any SSM or Lambda call', async () => {
    // Arrange: an endpoint whose STS says the session expired, and which records everything else.
    const { createServer } = await import('node:http');
    const other: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        if (body.includes('Action=GetCallerIdentity')) {
          res.writeHead(403, { 'content-type': 'text/xml' });
          res.end(
            '<ErrorResponse><Error><Type>Sender</Type><Code>ExpiredToken</Code><Message>The security token included in the request is expired</Message></Error></ErrorResponse>',
          );
        } else {
          other.push(String(req.headers['x-amz-target'] ?? req.url));
          res.writeHead(500);
          res.end();
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address();
    const endpoint = `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`;

    // Act
    const err = await startLocalMesh({
      paths: [ORDERS],
      context: ['examples/shop'],
      stage: 'alice',
      stageFallback: ['dev'],
      port: 0,
      quiet: true,
      log: () => {},
      remote: {
        endpoint,
        profile: 'team-dev',
        credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'x', sessionToken: 't' },
      },
    }).catch((e: unknown) => e as Error & { code?: string });
    await new Promise<void>((r) => server.close(() => r()));

    // Assess
    expect(err).toMatchObject({ name: 'RemoteCredentialsError', code: 'REMOTE_NO_CREDENTIALS' });
    expect((err as Error).message).toContain("for profile 'team-dev' (STS GetCallerIdentity answered ExpiredToken)");
    expect(other).toEqual([]);
  });

  it('rejects hybrid flags without --remote and a malformed endpoint', async () => {
    const stray = await dev(['--profile', 'x']);
    const bad = await dev(['--remote', '--remote-endpoint', 'ftp://x']);
    expect(stray.out).toContain('[INVALID_CONFIG] --profile only applies with --remote');
    expect(bad.out).toContain("--remote-endpoint 'ftp://x' is not an http(s) URL");
  }, 120_000);
});
