/**
 * examples/serverless-2016 runs unchanged on the local mesh: hello calls otherService through
 * `calling:`, and sendWelcomeEmail receives createUser's `start` and publicFunction's `failed`
 * events over SNS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRemoteFunctionError } from '../../src/index.js';
import type { InvocationRecord, LocalMesh } from '../../tools/local/index.js';
import { type ExampleMesh, startExampleMesh } from '../helpers/example-mesh.js';

describe('examples/serverless-2016 on the local mesh', () => {
  let mesh: LocalMesh;
  let invocations: InvocationRecord[];
  let sdk: ExampleMesh['sdk'];
  let logs: string[];

  beforeAll(async () => {
    ({ mesh, sdk, invocations, logs } = await startExampleMesh('serverless-2016'));
  });
  afterAll(async () => {
    await mesh?.stop();
  });

  it('hello calls otherService:someFunction through calling:, by its function name alone', async () => {
    // Act
    const before = invocations.length;
    const out = await sdk.invoke('helloService:hello', { name: 'world' });

    // Assess: the plan's shorthand (sdk.invoke('someFunction', …) in the handler) reached the full target.
    expect(out).toEqual({ greeting: 'hello, WORLD', from: 'otherService-dev' });
    expect(invocations.slice(before).map((r) => r.target)).toEqual(['otherService:someFunction', 'helloService:hello']);
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
    // Which events: createUser's start (with its input) and publicFunction's failure (with its error).
    const lines = logs
      .filter((l) => l.startsWith('[subscriberService:sendWelcomeEmail]'))
      .map((l) => l.replace(/\[[0-9a-f-]{36}\] /, ''))
      .sort();
    expect(lines).toEqual([
      '[subscriberService:sendWelcomeEmail] testService:publicFunction failed: PublicFunctionError: publicFunction was asked to fail: boom',
      '[subscriberService:sendWelcomeEmail] welcome@example.com → ada@example.com: welcome, Ada!',
    ]);
  });
});
