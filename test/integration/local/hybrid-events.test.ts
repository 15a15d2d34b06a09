/**
 * Hybrid mesh event bridge (issue 15, docs/hybrid.md): a declined card's `failed` event from
 * the deployed payments reaches alice's local notifications, and not bob's overlay running at
 * the same time; the bridge (SQS queue + subscription in moto) is gone after exit, and after
 * kill -9 the next start removes it.
 *
 * Stand-ins: the deployed `dev` stage is a second local mesh (Lambda, SSM, its lifecycle topics);
 * its lifecycle messages are relayed unchanged into moto's SNS (test/fixtures/local/handlers/relay.ts),
 * where SQS exists for the bridge.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateTopicCommand, ListSubscriptionsByTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InvocationRecord, LocalMesh, StartLocalMeshOptions } from '../../../tools/local/index.js';
import { startLocalMesh } from '../../../tools/local/index.js';

const SHOP = 'examples/shop';
const BIN = fileURLToPath(new URL('../../../tools/bin/svc-mesh.js', import.meta.url));
const creds = { accessKeyId: 'test', secretAccessKey: 'test' };
const FAILED_TOPIC = 'arn:aws:sns:us-east-1:000000000000:payments-dev-charge-failed';

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => res(typeof a === 'object' && a !== null ? a.port : 0));
    });
  });
}

/** moto_server in the local mesh's account (000000000000). */
async function startMoto(): Promise<{ endpoint: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, MOTO_ACCOUNT_ID: '000000000000' },
    stdio: 'ignore',
  });
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const up = await fetch(`${endpoint}/moto-api/`).then(
      () => true,
      () => false,
    );
    if (up) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    endpoint,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function sqsQueues(moto: string): Promise<string[]> {
  const res = await fetch(moto, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'AmazonSQS.ListQueues',
      authorization:
        'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=x',
    },
    body: JSON.stringify({ QueueNamePrefix: 'svc-mesh-bridge-' }),
  });
  const body = (await res.json()) as { QueueUrls?: string[] };
  return (body.QueueUrls ?? []).map((u) => u.slice(u.lastIndexOf('/') + 1));
}

async function until(what: string, cond: () => boolean | Promise<boolean>, max = 150): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('hybrid event bridge: your events reach your local subscribers, and only yours', () => {
  let moto: Awaited<ReturnType<typeof startMoto>>;
  let dev: LocalMesh;
  let alice: LocalMesh;
  let bob: LocalMesh;
  const aliceCalls: InvocationRecord[] = [];
  const bobCalls: InvocationRecord[] = [];
  let motoSns: SNSClient;

  const overlay = (stage: string, devId: string): StartLocalMeshOptions => ({
    paths: [`${SHOP}/orders`, `${SHOP}/notifications`],
    context: [SHOP],
    stage,
    stageFallback: ['dev'],
    port: 0,
    quiet: true,
    log: () => {},
    remote: { endpoint: dev.endpoint, bridgeEndpoint: moto.endpoint, devId, bridgePollMs: 200 },
  });

  beforeAll(async () => {
    moto = await startMoto();
    motoSns = new SNSClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials: creds });
    // The deployed stage: dev, whose lifecycle topics also exist in moto (relayed there).
    await motoSns.send(new CreateTopicCommand({ Name: 'payments-dev-charge-failed' }));
    await motoSns.send(new CreateTopicCommand({ Name: 'orders-dev-placeOrder-success' }));
    dev = await startLocalMesh({
      paths: [SHOP],
      stage: 'dev',
      port: 0,
      quiet: true,
      asyncRetryDelaysMs: [10, 10],
      functions: [
        {
          service: 'relay',
          key: 'relay',
          stage: 'dev',
          file: 'test/fixtures/local/handlers/relay.ts',
          export: 'handler',
          environment: { RELAY_SNS_ENDPOINT: moto.endpoint },
        },
      ],
    });
    const devSns = new SNSClient({ endpoint: dev.endpoint, region: 'us-east-1', credentials: creds });
    await devSns.send(
      new SubscribeCommand({ TopicArn: FAILED_TOPIC, Protocol: 'lambda', Endpoint: dev.fn('relay:relay')!.arn }),
    );
    alice = await startLocalMesh(overlay('alice', 'alice-e2e'));
    alice.onInvoke((r) => aliceCalls.push(r));
    bob = await startLocalMesh(overlay('bob', 'bob-e2e'));
    bob.onInvoke((r) => bobCalls.push(r));
  }, 90_000);
  afterAll(async () => {
    await alice?.stop();
    await bob?.stop();
    await dev?.stop();
    await moto?.stop();
  });

  it("delivers alice's declined-card event to alice's notifications and not to bob's", async () => {
    // Arrange
    const lambda = new LambdaClient({
      endpoint: alice.endpoint,
      region: 'us-east-1',
      credentials: creds,
      maxAttempts: 1,
    });
    expect(alice.remote?.bridge?.subscriptions).toBe(1);
    expect(bob.remote?.bridge?.subscriptions).toBe(1);

    // Act: alice's local orders calls the deployed payments, which declines the card.
    const out = await lambda.send(
      new InvokeCommand({
        FunctionName: 'orders-alice-placeOrder',
        Payload: JSON.stringify({ customerId: 'c', items: [{ sku: 'mug-blue', qty: 1 }], card: 'tok_decline' }),
      }),
    );
    await until('alice notifications', () => aliceCalls.some((r) => r.target === 'notifications:onPaymentFailed'));
    // Give bob's bridge the same chance: at least two more polls after alice got hers.
    const bobPolls = bob.remote!.bridge!.polls;
    await until('two bob polls', () => bob.remote!.bridge!.polls >= bobPolls + 2);

    // Assess
    expect(out.FunctionError).toBe('Unhandled');
    const delivered = aliceCalls.filter((r) => r.target === 'notifications:onPaymentFailed');
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({ source: 'sns', functionName: 'notifications-alice-onPaymentFailed' });
    expect(alice.remote!.bridge).toMatchObject({ delivered: 1, foreign: 0 });
    expect(bob.remote!.bridge).toMatchObject({ received: 0, delivered: 0, foreign: 0 });
    expect(bobCalls.filter((r) => r.target === 'notifications:onPaymentFailed')).toHaveLength(0);
  });

  it('removes its queue and subscription on exit', async () => {
    // Arrange
    const m = await startLocalMesh(overlay('dave', 'dave-exit'));
    const during = await sqsQueues(moto.endpoint);

    // Act
    await m.stop();

    // Assess
    expect(during).toContain('svc-mesh-bridge-dave-exit');
    expect(await sqsQueues(moto.endpoint)).not.toContain('svc-mesh-bridge-dave-exit');
    const subs = await motoSns.send(new ListSubscriptionsByTopicCommand({ TopicArn: FAILED_TOPIC }));
    expect((subs.Subscriptions ?? []).map((s) => s.Endpoint)).not.toContain(
      'arn:aws:sqs:us-east-1:000000000000:svc-mesh-bridge-dave-exit',
    );
  });

  it('after kill -9, the next start finds and removes the leftover bridge', async () => {
    // Arrange: a real `svc-mesh dev --remote` process, killed without a chance to clean up.
    const child: ChildProcess = spawn(
      process.execPath,
      [
        BIN,
        'dev',
        `${SHOP}/notifications`,
        '--context',
        SHOP,
        '--stage',
        'carol',
        '--stage-fallback',
        'dev',
        '--remote',
        '--remote-endpoint',
        dev.endpoint,
        '--bridge-endpoint',
        moto.endpoint,
        '--port',
        '0',
        '--quiet',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout?.on('data', (b: Buffer) => (output += b));
    child.stderr?.on('data', (b: Buffer) => (output += b));
    await until(
      'the bridge of the child',
      () => /event bridge (svc-mesh-bridge-carol-[0-9a-f]+)/.test(output),
      600,
    ).catch((err: Error) => {
      child.kill('SIGKILL');
      throw new Error(`${err.message}:\n${output}`);
    });
    const queue = /event bridge (svc-mesh-bridge-carol-[0-9a-f]+)/.exec(output)![1]!;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    const leftover = await sqsQueues(moto.endpoint);
    const notices: string[] = [];

    // Act: the next start (same host) sweeps.
    const next = await startLocalMesh({ ...overlay('carol', 'carol-next'), log: (l) => notices.push(l) });
    const after = await sqsQueues(moto.endpoint);
    await next.stop();

    // Assess
    expect(leftover).toContain(queue);
    expect(after).not.toContain(queue);
    expect(notices.join('\n')).toContain(`removed 1 event bridge(s) left by a mesh that died: ${queue}`);
    const subs = await motoSns.send(new ListSubscriptionsByTopicCommand({ TopicArn: FAILED_TOPIC }));
    expect((subs.Subscriptions ?? []).map((s) => s.Endpoint)).not.toContain(
      `arn:aws:sqs:us-east-1:000000000000:${queue}`,
    );
  }, 120_000);
});
