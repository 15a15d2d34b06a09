/**
 * Hardening of the local mesh's workers and queues (docs/security.md): nothing lost at stop,
 * response limits enforced in the worker, the sandbox's whole process group killed, unhandled
 * rejections reported as Lambda does.
 */
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import { type InvocationRecord, startLocalMesh } from '../../../src/local/index.js';
import { clients, spec } from './helpers.js';

describe('Local mesh: stop loses nothing', () => {
  it('a retry scheduled during the drain is executed or dead-lettered, never dropped', async () => {
    const mesh = await startLocalMesh({
      quiet: true,
      tracing: false,
      // Lambda's real delays are minutes: a retry waiting that long outlives any drain
      asyncRetryDelaysMs: [60_000, 60_000],
      drainTimeoutMs: 20_000,
      functions: [spec('slowFail', 'hardening.ts', 'failsSlowly')],
    });
    const attempts: InvocationRecord[] = [];
    mesh.onInvoke((r) => attempts.push(r));
    const { lambda } = clients(mesh.endpoint);
    const out = await lambda.send(
      new InvokeCommand({ FunctionName: 'fx-dev-slowFail', InvocationType: 'Event', Payload: '{"ms":300}' }),
    );
    expect(out.StatusCode).toBe(202);
    // stop at once: the first attempt is still running, its failure lands inside the drain
    await mesh.stop();
    const dead = mesh.deadLetters();
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ functionName: 'fx-dev-slowFail', source: 'lambda:Event' });
    // every attempt ran (the retries without their delay) before the dead letter
    expect(dead[0]!.attempts).toBe(3);
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
  }, 60_000);

  it('a retry still waiting when the drain times out is dead-lettered', async () => {
    const mesh = await startLocalMesh({
      quiet: true,
      tracing: false,
      asyncRetryDelaysMs: [60_000, 60_000],
      // shorter than one attempt: the drain ends while the retry runs or waits
      drainTimeoutMs: 100,
      functions: [spec('slowFail', 'hardening.ts', 'failsSlowly')],
    });
    const { lambda } = clients(mesh.endpoint);
    await lambda.send(
      new InvokeCommand({ FunctionName: 'fx-dev-slowFail', InvocationType: 'Event', Payload: '{"ms":300}' }),
    );
    await mesh.stop();
    expect(mesh.deadLetters()).toHaveLength(1);
  }, 60_000);
});
