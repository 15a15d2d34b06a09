/**
 * examples/serverless-2016 runs unchanged on the local mesh: hello calls otherService through
 * `calling:`, and sendWelcomeEmail receives createUser's `start` and publicFunction's `failed`
 * events over SNS.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSdk, isRemoteFunctionError } from '../../src/index.js';
import { type InvocationRecord, type LocalMesh, startLocalMesh } from '../../src/local/index.js';

const dir = fileURLToPath(new URL('../../examples/serverless-2016', import.meta.url));

describe('examples/serverless-2016 on the local mesh', () => {
  let mesh: LocalMesh;
  const invocations: InvocationRecord[] = [];
  let sdk: ReturnType<typeof createSdk>;

  beforeAll(async () => {
    mesh = await startLocalMesh({ paths: [dir], stage: 'dev', port: 0, quiet: true, tracing: false });
    mesh.onInvoke((r) => invocations.push(r));
    sdk = createSdk({
      endpoint: mesh.endpoint,
      region: mesh.region,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      stage: 'dev',
      calling: null,
      env: {},
    });
  });
  afterAll(async () => {
    await mesh?.stop();
  });

  it('hello calls otherService:someFunction through calling:', async () => {
    // Act
    const out = await sdk.invoke('helloService:hello', { name: 'world' });

    // Assess
    expect(out).toEqual({ greeting: 'hello, WORLD', from: 'otherService-dev' });
  });

  it('sendWelcomeEmail runs on createUser start and on publicFunction failed', async () => {
    // Act
    await sdk.invoke('subscriberService:createUser', { email: 'ada@example.com', name: 'Ada' });
    await sdk.invoke('testService:publicFunction', { message: 'fine' });
    const err = await sdk.invoke('testService:publicFunction', { message: 'boom', fail: true }).catch((e) => e);
    await mesh.idle();

    // Assess: one delivery for createUser start, one for the failure, none for the success.
    expect(isRemoteFunctionError(err) && err.remoteCode).toBe('ASKED_TO_FAIL');
    const deliveries = invocations.filter((r) => r.target === 'subscriberService:sendWelcomeEmail');
    expect(deliveries.map((r) => [r.source, r.errorType])).toEqual([
      ['sns', undefined],
      ['sns', undefined],
    ]);
  });
});
