/**
 * Hardening of the local mesh's workers and queues (docs/security.md): nothing lost at stop,
 * response limits enforced in the worker, the sandbox's whole process group killed, unhandled
 * rejections reported as Lambda does.
 */
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import { type InvocationRecord, startLocalMesh } from '../../../tools/local/index.js';
import { clients, decode, spec, until } from './helpers.js';

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

  it('an attempt cut short by the drain timeout is dead-lettered', async () => {
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

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('Local mesh: a sandbox goes as a whole', () => {
  it('stop does not hang on a handler’s background child holding the worker’s stdio, and kills it', async () => {
    const mesh = await startLocalMesh({
      quiet: true,
      tracing: false,
      functions: [spec('spawns', 'hardening.ts', 'spawnsChild')],
    });
    const { lambda } = clients(mesh.endpoint);
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'fx-dev-spawns', Payload: '{}' }));
    const { child } = decode(out.Payload) as { child: number };
    expect(alive(child)).toBe(true);
    await mesh.stop(); // hung forever: the child kept the worker's stdout open
    await until(() => !alive(child));
  }, 30_000);

  it('a timeout kills the handler’s children with the worker', async () => {
    const lines: string[] = [];
    const mesh = await startLocalMesh({
      tracing: false,
      log: (l) => lines.push(l),
      functions: [spec('hangs', 'hardening.ts', 'spawnsChild', { timeout: 1 })],
    });
    try {
      const { lambda } = clients(mesh.endpoint);
      const out = await lambda.send(new InvokeCommand({ FunctionName: 'fx-dev-hangs', Payload: '{"hang":true}' }));
      expect((decode(out.Payload) as { errorType: string }).errorType).toBe('Sandbox.Timedout');
      const child = Number(/child (\d+)/.exec(lines.join('\n'))?.[1]);
      expect(child).toBeGreaterThan(0);
      await until(() => !alive(child));
    } finally {
      await mesh.stop();
    }
  }, 30_000);
});

describe('Local mesh: Lambda’s limits and errors, in the worker', () => {
  it('an error larger than the response limit is Function.ResponseSizeTooLarge, cut in the worker', async () => {
    const mesh = await startLocalMesh({
      quiet: true,
      tracing: false,
      functions: [spec('bigError', 'hardening.ts', 'bigError'), spec('bigResult', 'hardening.ts', 'bigResult')],
    });
    try {
      const { lambda } = clients(mesh.endpoint);
      for (const fn of ['fx-dev-bigError', 'fx-dev-bigResult']) {
        const out = await lambda.send(new InvokeCommand({ FunctionName: fn, Payload: '{"bytes":7000000}' }));
        expect(out.FunctionError).toBe('Unhandled');
        expect(out.Payload!.length).toBeLessThan(1000);
        expect(decode(out.Payload)).toEqual({
          errorType: 'Function.ResponseSizeTooLarge',
          errorMessage: 'Response payload size exceeded maximum allowed payload size (6291556 bytes).',
        });
      }
      // just under the limit still passes
      const ok = await lambda.send(
        new InvokeCommand({ FunctionName: 'fx-dev-bigResult', Payload: '{"bytes":6000000}' }),
      );
      expect(ok.FunctionError).toBeUndefined();
    } finally {
      await mesh.stop();
    }
  }, 60_000);

  it('an unhandled rejection while the module loads fails the init as Runtime.UnhandledPromiseRejection', async () => {
    const mesh = await startLocalMesh({
      quiet: true,
      tracing: false,
      functions: [spec('rejectsAtInit', 'rejectsAtInit.ts', 'handler')],
    });
    try {
      const { lambda } = clients(mesh.endpoint);
      const out = await lambda.send(new InvokeCommand({ FunctionName: 'fx-dev-rejectsAtInit', Payload: '{}' }));
      expect(out.FunctionError).toBe('Unhandled');
      expect(decode(out.Payload)).toMatchObject({
        errorType: 'Runtime.UnhandledPromiseRejection',
        errorMessage: 'Error: rejected while loading',
      });
    } finally {
      await mesh.stop();
    }
  }, 30_000);

  it('an unhandled rejection is Runtime.UnhandledPromiseRejection', async () => {
    const mesh = await startLocalMesh({
      quiet: true,
      tracing: false,
      functions: [spec('rejects', 'hardening.ts', 'rejectsLater')],
    });
    try {
      const { lambda } = clients(mesh.endpoint);
      const out = await lambda.send(new InvokeCommand({ FunctionName: 'fx-dev-rejects', Payload: '{}' }));
      expect(out.FunctionError).toBe('Unhandled');
      const body = decode(out.Payload) as { errorType: string; errorMessage: string; trace: string[] };
      expect(body.errorType).toBe('Runtime.UnhandledPromiseRejection');
      expect(body.errorMessage).toBe('Error: nobody awaited me');
      expect(body.trace[0]).toBe('Runtime.UnhandledPromiseRejection: Error: nobody awaited me');
    } finally {
      await mesh.stop();
    }
  }, 30_000);
});

describe('Local mesh: function output on the terminal', () => {
  it('escapes control sequences in function output, keeping colours', async () => {
    const lines: string[] = [];
    const mesh = await startLocalMesh({
      tracing: false,
      log: (l) => lines.push(l),
      functions: [spec('logs', 'hardening.ts', 'logsInput')],
    });
    try {
      const { lambda } = clients(mesh.endpoint);
      const text = '\u001b]0;pwned\u0007\u001b]52;c;ZWNobyBvd25lZA==\u0007\u009b2J';
      await lambda.send(new InvokeCommand({ FunctionName: 'fx-dev-logs', Payload: JSON.stringify({ text }) }));
      await until(() => lines.some((l) => l.includes('green')));
      const got = lines.find((l) => l.includes('got '))!;
      expect(got).toContain('got \\x1b]0;pwned\\x07\\x1b]52;c;ZWNobyBvd25lZA==\\x07\\x9b2J');
      expect(got).not.toMatch(/[\u0000-\u001f\u009b]/);
      expect(lines.find((l) => l.includes('green'))).toContain('\u001b[32mgreen\u001b[0m');
    } finally {
      await mesh.stop();
    }
  }, 30_000);
});

describe('Local mesh: the collector never takes the mesh down', () => {
  it('keeps serving invocations through a flood of oversized and inflating OTLP requests', async () => {
    const mesh = await startLocalMesh({ quiet: true, functions: [spec('echo', 'echo.ts', 'handler')] });
    try {
      const { gzipSync } = await import('node:zlib');
      const bomb = gzipSync(Buffer.alloc(40 * 1024 * 1024, 0x20)); // 40 MB of spaces in ~40 kB
      const statuses = await Promise.all(
        Array.from({ length: 60 }, () =>
          fetch(`${mesh.endpoint}/v1/traces`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
            body: bomb,
          }).then((r) => r.status),
        ),
      );
      expect(statuses.every((s) => s === 413 || s === 503)).toBe(true);
      const { lambda } = clients(mesh.endpoint);
      const out = await lambda.send(new InvokeCommand({ FunctionName: 'fx-dev-echo', Payload: '{"after":"flood"}' }));
      expect((decode(out.Payload) as { event: unknown }).event).toEqual({ after: 'flood' });
    } finally {
      await mesh.stop();
    }
  }, 60_000);
});
