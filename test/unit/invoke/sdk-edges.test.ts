/**
 * The Sdk's call at its edges, each case written against a mutant that survived the first
 * mutation run of the invoke area (docs/mutation.md): option checks and their messages, the
 * order of the local checks, when a ClientContext is sent, how AWS errors are mapped (and which
 * are retried: retry safety), re-resolving a stale record once, no time left, aborting during a
 * retry wait, the resiliency routing and health() before any call. Real @aws-sdk/client-lambda
 * against the wire server (test/helpers), or a raw socket server for a dropped connection.
 */
import { getEventListeners } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AbortedError } from '../../../src/errors/AbortedError.js';
import { AccessDeniedError } from '../../../src/errors/AccessDeniedError.js';
import { InvalidConfigError } from '../../../src/errors/InvalidConfigError.js';
import { InvalidTargetError } from '../../../src/errors/InvalidTargetError.js';
import { InvokeError } from '../../../src/errors/InvokeError.js';
import { InvokeTimeoutError } from '../../../src/errors/InvokeTimeoutError.js';
import { PayloadNotSerializableError } from '../../../src/errors/PayloadNotSerializableError.js';
import { PayloadTooLargeError } from '../../../src/errors/PayloadTooLargeError.js';
import { TargetNotFoundError } from '../../../src/errors/TargetNotFoundError.js';
import { ThrottledError } from '../../../src/errors/ThrottledError.js';
import { createSdk } from '../../../src/invoke/Sdk.js';
import { defineFunction } from '../../../src/invoke/defineFunction.js';
import type { SdkConfig } from '../../../src/internal/config.js';
import { lambdaContext } from '../../helpers/lambda-context.js';
import { type WireServerOptions, startWireServer } from '../../helpers/wire-server.js';
import { failure, wireSdk } from '../../helpers/sdk.js';

async function setup(opts: WireServerOptions = {}, cfg: SdkConfig = {}) {
  const ws = await startWireServer({ functions: { f: async (e: unknown) => ({ got: e }) }, ...opts });
  const sdk = wireSdk(ws, { routes: { 'a:f': 'f' }, retryBaseMs: 1, ...cfg });
  return { ws, sdk };
}

describe('Sdk: options and local checks', () => {
  it('refuses each bad option with an InvalidConfigError naming it, before any request', async () => {
    const { ws, sdk } = await setup();
    await using _ = ws;
    const bad = async (o: unknown, field: string, message: RegExp) => {
      const err = (await failure(sdk.invoke('a:f', {}, o as never))) as InvalidConfigError;
      expect(err, JSON.stringify(o)).toBeInstanceOf(InvalidConfigError);
      expect(err.message).toMatch(message);
      expect(err.message).toContain(field);
    };
    await bad(5, 'options', /must be an object, got number/);
    await bad({ timeoutMs: '5000' }, 'timeoutMs', /positive number of milliseconds \(got 5000\)/);
    await bad({ timeoutMs: 0 }, 'timeoutMs', /got 0\)/);
    await bad({ timeoutMs: Number.POSITIVE_INFINITY }, 'timeoutMs', /got Infinity\)/);
    await bad({ idempotencyKey: 42 }, 'idempotencyKey', /non-empty string of at most 256 characters/);
    await bad({ idempotencyKey: '' }, 'idempotencyKey', /non-empty string/);
    await bad({ stage: 5 }, 'stage', /The stage option 5 is not a stage name/);
    expect(ws.invokes).toHaveLength(0);
    // The limits themselves are fine.
    expect(await sdk.invoke('a:f', 1, { idempotencyKey: 'k'.repeat(256), timeoutMs: 1 + 1e-9 + 5_000 })).toEqual({
      got: 1,
    });
  });

  it('checks the target before the input, and the input before the options', async () => {
    const { ws, sdk } = await setup();
    await using _ = ws;
    const cyc: Record<string, unknown> = {};
    cyc['self'] = cyc;
    expect(await failure(sdk.invoke('not a target:x', cyc))).toBeInstanceOf(InvalidTargetError);
    expect(await failure(sdk.invoke('a b:f', cyc))).toBeInstanceOf(InvalidTargetError);
    expect(await failure(sdk.invoke('a:f', cyc, { timeoutMs: -1 }))).toBeInstanceOf(InvalidConfigError);
    expect(ws.invokes).toHaveLength(0);
  });

  it('an input with a throwing getter is a PayloadNotSerializableError, and nothing is sent', async () => {
    const { ws, sdk } = await setup();
    await using _ = ws;
    const input = {
      get total(): number {
        throw new Error('not loaded');
      },
    };
    const err = (await failure(sdk.invoke('a:f', input))) as PayloadNotSerializableError;
    expect(err).toBeInstanceOf(PayloadNotSerializableError);
    expect(err.path).toBe('$.total');
    expect(ws.invokes).toHaveLength(0);
  });

  it('checks an Event payload against the async limit and a sync one against the sync limit', async () => {
    const { ws, sdk } = await setup();
    await using _ = ws;
    const big = 'x'.repeat(6_291_456); // 6,291,458 bytes as JSON
    const sync = (await failure(sdk.invoke('a:f', big))) as PayloadTooLargeError;
    expect(sync).toBeInstanceOf(PayloadTooLargeError);
    expect(sync.kind).toBe('sync');
    const async = (await failure(sdk.invokeAsync('a:f', big))) as PayloadTooLargeError;
    expect(async).toBeInstanceOf(PayloadTooLargeError);
    expect(async.kind).toBe('async');
    expect(ws.invokes).toHaveLength(0);
  });

  it('an already aborted signal: AbortedError with its reason as cause, nothing sent', async () => {
    const { ws, sdk } = await setup();
    await using _ = ws;
    const reason = new Error('user left');
    const err = (await failure(sdk.invoke('a:f', {}, { signal: AbortSignal.abort(reason) }))) as AbortedError;
    expect(err).toBeInstanceOf(AbortedError);
    expect(err.cause).toBe(reason);
    expect(err.attempts).toBe(0);
    expect(ws.invokes).toHaveLength(0);
  });
});

describe('Sdk: what goes on the wire', () => {
  it('sends a ClientContext only when there is something to say, and never for raw calls', async () => {
    const { ws } = await setup();
    await using _ = ws;
    const base = {
      region: 'us-east-1',
      endpoint: ws.endpoint,
      env: {},
      routes: { 'a:f': 'f' },
    } satisfies SdkConfig;
    await createSdk(base).invoke('a:f', {});
    expect(ws.invokes.at(-1)!.clientContext).toBeUndefined();
    const named = createSdk({ ...base, service: 'orders', function: 'place' });
    await named.invoke('a:f', {});
    expect(ws.invokes.at(-1)!.clientContext).toEqual({ custom: { svcmesh: '1', caller: 'orders:place' } });
    await named.invoke('a:f', {}, { raw: true, idempotencyKey: 'k' });
    expect(ws.invokes.at(-1)!.clientContext).toBeUndefined();
    await createSdk(base).invoke('a:f', {}, { idempotencyKey: 'k' });
    expect(ws.invokes.at(-1)!.clientContext).toEqual({ custom: { svcmesh: '1', idempotencyKey: 'k' } });
  });

  it('reads an empty body as undefined, and refuses a body that is not JSON (InvokeError InvalidResponse)', async () => {
    let body = '';
    const { ws, sdk } = await setup({ functions: { f: { handler: () => body, rawBody: true } } });
    await using _ = ws;
    expect(await sdk.invoke('a:f', {})).toBeUndefined();
    body = `<html>${'x'.repeat(100)}`;
    const err = (await failure(sdk.invoke('a:f', {}))) as InvokeError;
    expect(err).toBeInstanceOf(InvokeError);
    expect(err.awsError).toBe('InvalidResponse');
    expect(err.message).toBe(
      `Calling 'a:f' failed: InvalidResponse: the function returned a body that is not JSON: ${body.slice(0, 80)}`,
    );
    expect(err.cause).toBeInstanceOf(SyntaxError);
  });

  it('without an OpenTelemetry SDK, a call inside an invocation passes the incoming trace context on', async () => {
    const { ws, sdk } = await setup();
    await using _ = ws;
    const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const handler = defineFunction(async () => sdk.invoke('a:f', {}), { sdk });
    await handler({}, lambdaContext(5_000, { svcmesh: '1', traceparent: tp, tracestate: 'v=1' }));
    const cc = ws.invokes.at(-1)!.clientContext as { custom: Record<string, string> };
    expect(cc.custom['traceparent']).toBe(tp);
    expect(cc.custom['tracestate']).toBe('v=1');
    // Outside an invocation there is nothing to pass on.
    await sdk.invoke('a:f', {}, { timeoutMs: 5_000 });
    expect(
      (ws.invokes.at(-1)!.clientContext as { custom: Record<string, string> }).custom['traceparent'],
    ).toBeUndefined();
  });

  it("leaves no listener on the caller's signal after the call", async () => {
    const { ws, sdk } = await setup();
    await using _ = ws;
    const ac = new AbortController();
    await sdk.invoke('a:f', {}, { signal: ac.signal });
    await failure(sdk.invoke('a:f', () => 1, { signal: ac.signal }));
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });
});

describe('Sdk: AWS errors, retries and re-resolving', () => {
  it('ResourceNotFoundException: resolves once more (not twice), then TargetNotFoundError naming the function', async () => {
    const { ws, sdk } = await setup({}, { routes: {}, stage: 'dev' });
    await using _ = ws;
    ws.parameters.set(
      '/svc-mesh/dev/b/g',
      JSON.stringify({ v: 2, service: 'b', function: 'g', stage: 'dev', functionArn: ws.arn('b-dev-gone') }),
    );
    const err = (await failure(sdk.invoke('b:g', {}))) as TargetNotFoundError;
    expect(err).toBeInstanceOf(TargetNotFoundError);
    expect(err.searched).toEqual([{ stage: 'dev', source: 'lambda', name: ws.arn('b-dev-gone') }]);
    expect(err.message).toContain(
      `Lambda answered ResourceNotFoundException for ${ws.arn('b-dev-gone')} (found via ssm /svc-mesh/dev/b/g) even after resolving it again`,
    );
    expect((err.cause as Error).name).toBe('ResourceNotFoundException');
    expect(ws.invokes).toHaveLength(2);
    expect(ws.ssmRequests).toHaveLength(2);
  });

  it('ResourceNotFoundException for a route: no re-resolve, one request', async () => {
    const { ws, sdk } = await setup({}, { routes: { 'a:f': 'missing' } });
    await using _ = ws;
    const err = (await failure(sdk.invoke('a:f', {}))) as TargetNotFoundError;
    expect(err).toBeInstanceOf(TargetNotFoundError);
    expect(err.message).toContain("(found via routes routes['a:f'])");
    expect(ws.invokes).toHaveLength(1);
  });

  it('access denied: AccessDeniedError for lambda:InvokeFunction on the function', async () => {
    const { ws, sdk } = await setup(
      { onInvoke: () => ({ status: 403, type: 'AccessDeniedException', message: 'no' }) },
      { routes: { 'a:f': 'arn:aws:lambda:us-east-1:000000000000:function:f' } },
    );
    await using _ = ws;
    const err = (await failure(sdk.invoke('a:f', {}))) as AccessDeniedError;
    expect(err).toBeInstanceOf(AccessDeniedError);
    expect(err.action).toBe('lambda:InvokeFunction');
    expect(err.resource).toBe('arn:aws:lambda:us-east-1:000000000000:function:f');
    expect((err.cause as Error).name).toBe('AccessDeniedException');
  });

  it.each(['RequestEntityTooLargeException', 'RequestTooLargeException'])(
    '%s: PayloadTooLargeError (sync), not retried',
    async (type) => {
      const { ws, sdk } = await setup({ onInvoke: () => ({ status: 413, type, message: 'too big' }) });
      await using _ = ws;
      const err = (await failure(sdk.invoke('a:f', {}))) as PayloadTooLargeError;
      expect(err).toBeInstanceOf(PayloadTooLargeError);
      expect(err.kind).toBe('sync');
      expect(err.bytes).toBe(-1);
      expect(err.message).toBe(
        `Lambda refused the request for 'a:f' as too large (${type}: too big); its limit is 6,291,456 bytes ` +
          'for the whole request. The function did not run. Pass a reference instead (e.g. an S3 key) or split the data.',
      );
      expect((err.cause as Error).name).toBe(type);
      expect(ws.invokes).toHaveLength(1);
    },
  );

  it("throttling: ThrottledError naming Lambda's reason", async () => {
    const { ws, sdk } = await setup(
      {
        onInvoke: () => ({
          status: 429,
          type: 'TooManyRequestsException',
          message: 'Rate exceeded',
          body: { Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' },
        }),
      },
      { maxRetries: 1 },
    );
    await using _ = ws;
    const err = (await failure(sdk.invoke('a:f', {}))) as ThrottledError;
    expect(err).toBeInstanceOf(ThrottledError);
    expect(err.message).toContain(
      'throttled by AWS (TooManyRequestsException (ReservedFunctionConcurrentInvocationLimitExceeded)) on all 2 attempts',
    );
    expect((err.cause as Error).name).toBe('TooManyRequestsException');
    // Without a Reason, the error name alone.
    const plain = await setup(
      { onInvoke: () => ({ status: 429, type: 'TooManyRequestsException' }) },
      { maxRetries: 0 },
    );
    await using _p = plain.ws;
    const e2 = (await failure(plain.sdk.invoke('a:f', {}))) as ThrottledError;
    expect(e2.message).toContain('throttled by AWS (TooManyRequestsException) on all 1 attempt.');
  });

  it('a client error (400) is an InvokeError, not retryable and not retried, even with an idempotency key', async () => {
    const { ws, sdk } = await setup({
      onInvoke: () => ({ status: 400, type: 'InvalidParameterValueException', message: 'bad ARN' }),
    });
    await using _ = ws;
    const err = (await failure(sdk.invoke('a:f', {}, { idempotencyKey: 'k' }))) as InvokeError;
    expect(err).toBeInstanceOf(InvokeError);
    expect(err.message).toBe("Calling 'a:f' failed: InvalidParameterValueException: bad ARN");
    expect(err.retryable).toBe(false);
    expect((err.cause as Error).name).toBe('InvalidParameterValueException');
    expect(ws.invokes).toHaveLength(1);
  });

  it('a Lambda 5xx never reached the function: retried without a key; InvokeError (retryable) after the retries', async () => {
    const { ws, sdk } = await setup(
      { onInvoke: () => ({ status: 500, type: 'ServiceException', message: 'internal' }) },
      { maxRetries: 2 },
    );
    await using _ = ws;
    const err = (await failure(sdk.invoke('a:f', {}))) as InvokeError;
    expect(err).toBeInstanceOf(InvokeError);
    expect(err.message).toBe("Calling 'a:f' failed: ServiceException: internal (after 3 attempts)");
    expect(err.retryable).toBe(true);
    expect(ws.invokes).toHaveLength(3);
  });

  it('a dropped connection after the request was sent is retried only with an idempotency key', async () => {
    let requests = 0;
    const server = createServer((req) => {
      requests++;
      req.resume();
      req.on('end', () => req.socket.destroy());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const sdk = createSdk({
        region: 'us-east-1',
        endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        env: {},
        routes: { 'a:f': 'f' },
        retryBaseMs: 1,
        maxRetries: 2,
      });
      const once = (await failure(sdk.invoke('a:f', {}))) as InvokeError;
      expect(once).toBeInstanceOf(InvokeError);
      expect(once.retryable).toBe(true);
      expect(requests).toBe(1);
      await failure(sdk.invoke('a:f', {}, { idempotencyKey: 'k' }));
      expect(requests).toBe(4);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('a remote timeout is retried with an idempotency key only, and carries the request id', async () => {
    const { ws, sdk } = await setup(
      { functions: { slow: { handler: () => new Promise((r) => setTimeout(r, 1_000)), timeout: 0.05 } } },
      { routes: { 'a:slow': 'slow' }, maxRetries: 1 },
    );
    await using _ = ws;
    const err = (await failure(sdk.invoke('a:slow', {}))) as InvokeTimeoutError;
    expect(err).toBeInstanceOf(InvokeTimeoutError);
    expect(err.phase).toBe('remote');
    expect((err as { requestId?: string }).requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(ws.invokes).toHaveLength(1);
    await failure(sdk.invoke('a:slow', {}, { idempotencyKey: 'k' }));
    expect(ws.invokes).toHaveLength(3);
  });

  it('a discovery failure inside the call is not retried by the call (discovery retries it itself)', async () => {
    const { ws, sdk } = await setup(
      { onSsm: () => ({ status: 500, type: 'InternalServerError', message: 'boom' }) },
      { routes: {}, stage: 'dev', maxRetries: 3 },
    );
    await using _ = ws;
    await failure(sdk.invoke('b:g', {}, { idempotencyKey: 'k' }));
    expect(ws.ssmRequests).toHaveLength(3);
  });
});

describe('Sdk: time', () => {
  afterEach(() => vi.useRealTimers());

  it('no time left: InvokeTimeoutError (budget) saying how much was left, nothing sent', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { ws, sdk } = await setup({}, { deadlineMarginMs: 300 });
    await using _ = ws;
    const handler = defineFunction(async () => sdk.invoke('a:f', {}), { sdk });
    const err = (await failure(handler({}, lambdaContext(300)) as Promise<unknown>)) as InvokeTimeoutError;
    expect(err).toBeInstanceOf(InvokeTimeoutError);
    expect(err.phase).toBe('budget');
    expect(err.message).toContain('this invocation has 300 ms left and keeps 300 ms as a margin');
    expect(ws.invokes).toHaveLength(0);
  });

  it('gives up at the deadline while the callee runs: "after 1 attempt", with the abort as cause', async () => {
    let release!: () => void;
    const hold = new Promise<void>((r) => (release = r));
    const { ws, sdk } = await setup(
      { functions: { slow: { handler: () => hold.then(() => 'late'), timeout: 30 } } },
      { routes: { 'a:slow': 'slow' } },
    );
    await using _ = ws;
    await sdk.clients.lambda(); // loaded before the clock starts: the attempt is sent in time
    const err = (await failure(sdk.invoke('a:slow', {}, { timeoutMs: 300 }))) as InvokeTimeoutError;
    release();
    expect(err).toBeInstanceOf(InvokeTimeoutError);
    expect(err.phase).toBe('client');
    expect(err.message).toMatch(/after 1 attempt\b(?!s)/);
    expect(err.cause).toBeDefined();
  });

  it('gives up at the deadline during a retried call: "after 2 attempts"', async () => {
    let release!: () => void;
    const hold = new Promise<void>((r) => (release = r));
    const { ws, sdk } = await setup(
      {
        functions: { slow: { handler: () => hold.then(() => 'late'), timeout: 30 } },
        onInvoke: (_n, attempt) => (attempt === 1 ? { status: 429, type: 'TooManyRequestsException' } : undefined),
      },
      { routes: { 'a:slow': 'slow' } },
    );
    await using _ = ws;
    await sdk.clients.lambda();
    const err = (await failure(sdk.invoke('a:slow', {}, { timeoutMs: 1_000 }))) as InvokeTimeoutError;
    release();
    expect(err).toBeInstanceOf(InvokeTimeoutError);
    expect(err.phase).toBe('client');
    expect(err.message).toContain('after 2 attempts');
  });

  it('an abort during a retry wait ends the wait (AbortedError, no more requests)', async () => {
    const ac = new AbortController();
    const { ws, sdk } = await setup(
      {
        onInvoke: () => {
          setTimeout(() => ac.abort(new Error('stop')), 20);
          return { status: 429, type: 'TooManyRequestsException' };
        },
      },
      { retryBaseMs: 20_000, maxRetries: 3 },
    );
    await using _ = ws;
    const err = (await failure(sdk.invoke('a:f', {}, { signal: ac.signal, timeoutMs: 60_000 }))) as AbortedError;
    expect(err).toBeInstanceOf(AbortedError);
    expect(err.attempts).toBe(1);
    expect((err.cause as Error).message).toBe('stop');
    expect(ws.invokes).toHaveLength(1);
  }, 5_000);
});

describe('Sdk: resiliency routing and health()', () => {
  it('health() before any call lists each declared breaker as closed', async () => {
    const { ws, sdk } = await setup(
      {},
      {
        calling: ['a:f', 'b:g'],
        policies: { 'a:f': { breaker: { failures: 3, halfOpenMs: 1_000 } }, 'b:g': { retries: 1 } },
      },
    );
    await using _ = ws;
    expect(sdk.health()).toEqual({
      breakers: { 'a:f': { state: 'closed', failures: 0, threshold: 3, opens: 0 } },
      bulkheads: {},
      faults: [],
    });
    expect(createSdk({ region: 'us-east-1', env: {} }).health()).toEqual({ breakers: {}, bulkheads: {}, faults: [] });
  });

  it('a policy routes calls through its breaker: it opens after the failures, then no request', async () => {
    const { ws, sdk } = await setup(
      { onInvoke: () => ({ status: 500, type: 'ServiceException', message: 'down' }) },
      { calling: ['a:f'], maxRetries: 0, policies: { 'a:f': { breaker: { failures: 2, halfOpenMs: 60_000 } } } },
    );
    await using _ = ws;
    await failure(sdk.invoke('a:f', {}));
    expect(sdk.health().breakers['a:f']).toMatchObject({ state: 'closed', failures: 1 });
    await failure(sdk.invoke('a:f', {}));
    const n = ws.invokes.length;
    const err = (await failure(sdk.invoke('a:f', {}))) as { code?: string };
    expect(err.code).toBe('CIRCUIT_OPEN');
    expect(ws.invokes).toHaveLength(n);
  });

  it('faults alone route calls through the fault injector', async () => {
    const { ws, sdk } = await setup({}, { calling: ['a:f'], faults: 'a:f=error:100%' });
    await using _ = ws;
    const err = await failure(sdk.invoke('a:f', {}));
    expect(err).toBeInstanceOf(Error);
    expect(ws.invokes).toHaveLength(0);
  });

  it('a fallback function serves a failed sync call without any policy', async () => {
    const { ws, sdk } = await setup(
      { onInvoke: () => ({ status: 500, type: 'ServiceException', message: 'down' }) },
      { maxRetries: 0 },
    );
    await using _ = ws;
    expect(await sdk.invoke('a:f', {}, { fallback: () => 'cached' } as never)).toBe('cached');
  });

  it('prime() prefetches the declared targets and loads the Lambda client', async () => {
    const { ws, sdk } = await setup({}, { routes: {}, stage: 'dev', calling: ['a:f', 'b:f'] });
    await using _ = ws;
    expect(sdk.clients.lambdaReady).toBeUndefined();
    await sdk.prime();
    expect(ws.ssmRequests).toHaveLength(1);
    expect(sdk.clients.lambdaReady).toBeDefined();
  });
});
