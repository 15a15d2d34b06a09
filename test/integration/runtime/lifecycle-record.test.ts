import { describe, expect, it } from 'vitest';
import { PublishError, createSdk, defineFunction } from 'svc-mesh';
import { startWireServer } from '../../helpers/wire-server.js';

const topic = (t: string) => `arn:aws:sns:us-east-1:000000000000:pay-dev-charge-${t}`;

describe('Lifecycle topics from the discovery record, stage override, publish failures', () => {
  it('finds its own topics in its discovery record when SVC_MESH_TOPICS is absent', async () => {
    await using ws = await startWireServer();
    ws.parameters.set(
      '/svc-mesh/dev/pay/charge',
      JSON.stringify({
        v: 1,
        functionArn: ws.arn('pay-dev-charge'),
        topics: { start: topic('start'), success: topic('success'), failed: topic('failed') },
      }),
    );
    const mesh = createSdk({
      region: 'us-east-1',
      endpoint: ws.endpoint,
      env: {},
      stage: 'dev',
      service: 'pay',
      function: 'charge',
      subscribable: true,
    });
    await mesh.prime();
    const h = defineFunction(async (i: { n: number }) => ({ doubled: i.n * 2 }), { sdk: mesh });
    expect(await h({ n: 2 }, undefined as never)).toEqual({ doubled: 4 });
    expect(ws.published.map((p) => p.topicArn)).toEqual([topic('start'), topic('success')]);
    expect(ws.ssmRequests).toHaveLength(1);
  });

  it('logs a failed publish and keeps the result, or throws PublishError when asked', async () => {
    await using ws = await startWireServer({
      onPublish: () => ({ status: 403, type: 'AuthorizationError', message: 'not allowed' }),
    });
    const mesh = createSdk({
      region: 'us-east-1',
      endpoint: ws.endpoint,
      env: {},
      stage: 'dev',
      service: 'pay',
      function: 'charge',
      subscribable: true,
      topics: { start: topic('start'), success: topic('success'), failed: topic('failed') },
    });
    const logged: string[] = [];
    const orig = console.error;
    console.error = (line: string) => void logged.push(line);
    try {
      const h = defineFunction(async () => 'ok', { sdk: mesh });
      expect(await h({}, undefined as never)).toBe('ok');
      expect(logged.map((l) => JSON.parse(l).code)).toEqual(['PUBLISH_FAILED', 'PUBLISH_FAILED']);
      const strict = defineFunction(async () => 'ok', { sdk: mesh, onPublishError: 'throw' });
      await expect(strict({}, undefined as never)).rejects.toBeInstanceOf(PublishError);
    } finally {
      console.error = orig;
    }
  });

  it('resolves in the stage given per call', async () => {
    await using ws = await startWireServer({
      functions: { 'pay-alice-charge': async () => 'alice', 'pay-dev-charge': async () => 'dev' },
    });
    ws.parameters.set('/svc-mesh/dev/pay/charge', JSON.stringify({ v: 1, functionArn: ws.arn('pay-dev-charge') }));
    ws.parameters.set('/svc-mesh/alice/pay/charge', JSON.stringify({ v: 1, functionArn: ws.arn('pay-alice-charge') }));
    const mesh = createSdk({ region: 'us-east-1', endpoint: ws.endpoint, env: {}, stage: 'dev' });
    expect(await mesh.invoke('pay:charge', {})).toBe('dev');
    expect(await mesh.invoke('pay:charge', {}, { stage: 'alice' })).toBe('alice');
    await mesh.invokeAsync('pay:charge', {}, { stage: 'alice' });
    expect(ws.invokes.at(-1)?.functionName).toBe('pay-alice-charge');
  });
});
