import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortedError,
  AccessDeniedError,
  InvokeTimeoutError,
  PayloadNotSerializableError,
  PayloadTooLargeError,
  RemoteFunctionError,
  type SdkConfig,
  TargetNotFoundError,
  ThrottledError,
  UndeclaredCallError,
  createSdk,
  defineFunction,
} from 'svc-mesh';
import { type WireServer, startWireServer } from '../../helpers/wire-server.js';

const record = (ws: WireServer, name: string) => JSON.stringify({ v: 1, functionArn: ws.arn(name) });

class CardDeclined extends Error {
  override name = 'CardDeclinedError';
  code = 'CARD_DECLINED';
  data = { retryAfterDays: 2 };
}

describe('Function: sdk.invoke against the AWS wire protocol (real SDK clients)', () => {
  let ws: WireServer;
  const base = (): SdkConfig => ({
    region: 'us-east-1',
    endpoint: ws.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    env: {},
    retryBaseMs: 5,
  });
  const calleeSdk = () => createSdk({ ...base(), service: 'payments', function: 'charge', stage: 'dev' });
  const seen: {
    caller?: string | undefined;
    deadline?: number;
    hop?: string;
    input?: unknown;
    idem?: string | undefined;
  }[] = [];

  beforeAll(async () => {
    ws = await startWireServer();
    const fns = {
      'payments-dev-charge': defineFunction<{ orderId: string; amountCents: number }, { chargeId: string }>(
        async (input, ctx) => {
          seen.push({ caller: ctx.caller, deadline: ctx.deadline, hop: ctx.hop, input, idem: ctx.idempotencyKey });
          if (input.amountCents < 0) throw new CardDeclined('card declined');
          return { chargeId: `ch-${input.orderId}` };
        },
        { sdk: calleeSdk() },
      ) as never,
      'payments-alice-charge': async () => ({ chargeId: 'from-alice' }),
      'payments-dev-slow': { handler: () => new Promise((r) => setTimeout(r, 2_000)), timeout: 0.2 },
      'legacy-dev-plain': async (event: unknown) => ({ echoed: event }),
    };
    for (const [k, v] of Object.entries(fns)) ws.functions.set(k, typeof v === 'function' ? { handler: v } : v);
    ws.parameters.set('/svc-mesh/dev/payments/charge', record(ws, 'payments-dev-charge'));
    ws.parameters.set('/svc-mesh/dev/payments/slow', record(ws, 'payments-dev-slow'));
    ws.parameters.set('/svc-mesh/alice/payments/charge', record(ws, 'payments-alice-charge'));
  });
  afterAll(() => ws.close());

  it('returns the parsed result and passes caller, deadline and hop in ClientContext', async () => {
    // Prepare
    const mesh = createSdk({ ...base(), stage: 'dev', service: 'orders', function: 'placeOrder' });
    seen.length = 0;
    // Act
    const before = Date.now();
    const out = await mesh.invoke(
      'payments:charge',
      { orderId: 'o1', amountCents: 100 },
      { timeoutMs: 5_000, idempotencyKey: 'k1' },
    );
    // Assess
    expect(out).toEqual({ chargeId: 'ch-o1' });
    expect(seen[0]?.caller).toBe('orders:placeOrder');
    expect(seen[0]?.hop).toBe('sync');
    expect(seen[0]?.idem).toBe('k1');
    // The deadline sent is the caller's now + timeoutMs (bounded on both sides); the callee's own
    // 3 s Lambda timeout is earlier, so that is the one it sees.
    const after = Date.now();
    const sent = Number((ws.invokes.at(-1)!.clientContext as { custom: { deadline: string } }).custom.deadline);
    expect(sent).toBeGreaterThanOrEqual(before + 5_000);
    expect(sent).toBeLessThanOrEqual(after + 5_000);
    expect(seen[0]?.deadline).toBeGreaterThanOrEqual(before + 3_000);
    expect(seen[0]?.deadline).toBeLessThanOrEqual(after + 3_000);
    const inv = ws.invokes.at(-1)!;
    expect(inv.headers['content-type']).toBe('application/octet-stream');
    expect(JSON.parse(inv.payload)).toEqual({ orderId: 'o1', amountCents: 100 });
    expect((inv.clientContext as { custom: Record<string, string> }).custom).toMatchObject({
      svcmesh: '1',
      caller: 'orders:placeOrder',
      idempotencyKey: 'k1',
    });
  });

  it('sends Event invocations as an envelope that defineFunction unwraps', async () => {
    const mesh = createSdk({ ...base(), stage: 'dev', service: 'orders', function: 'placeOrder' });
    seen.length = 0;
    const out = await mesh.invokeAsync('payments:charge', { orderId: 'o2', amountCents: 1 });
    await ws.settle();
    expect(out.requestId).toMatch(/^[0-9a-f-]{36}$/);
    const inv = ws.invokes.at(-1)!;
    expect(inv.invocationType).toBe('Event');
    expect(JSON.parse(inv.payload)).toMatchObject({
      svcmesh: 1,
      meta: { caller: 'orders:placeOrder' },
      payload: { orderId: 'o2' },
    });
    expect(seen[0]).toMatchObject({
      hop: 'async',
      caller: 'orders:placeOrder',
      input: { orderId: 'o2', amountCents: 1 },
    });
  });

  it('raw Event invocations send the input as is', async () => {
    const mesh = createSdk({ ...base(), routes: { 'legacy:plain': 'legacy-dev-plain' } });
    await mesh.invokeAsync('legacy:plain', { a: 1 }, { raw: true });
    expect(JSON.parse(ws.invokes.at(-1)!.payload)).toEqual({ a: 1 });
  });

  it('never retries a coded remote error, even with an idempotency key', async () => {
    const mesh = createSdk({ ...base(), stage: 'dev' });
    seen.length = 0;
    const err = await mesh
      .invoke('payments:charge', { orderId: 'o4', amountCents: -1 }, { idempotencyKey: 'o4' })
      .catch((e: unknown) => e);
    expect((err as RemoteFunctionError).remoteCode).toBe('CARD_DECLINED');
    expect(seen).toHaveLength(1);
  });

  it('rebuilds a remote error with errorType, message, trace, code and data', async () => {
    const mesh = createSdk({ ...base(), stage: 'dev' });
    const err = await mesh.invoke('payments:charge', { orderId: 'o3', amountCents: -1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteFunctionError);
    const r = err as RemoteFunctionError;
    expect(r.code).toBe('REMOTE_FUNCTION_ERROR');
    expect(r.errorType).toBe('CardDeclinedError');
    expect(r.errorMessage).toBe('card declined');
    expect(r.remoteCode).toBe('CARD_DECLINED');
    expect(r.remoteData).toEqual({ retryAfterDays: 2 });
    expect(r.target).toBe('payments:charge');
    expect(r.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.remoteTrace[0]).toBe('CardDeclinedError: card declined');
    expect(r.remoteTrace.some((l) => l.startsWith('svc-mesh:error'))).toBe(false);
  });

  it('maps Sandbox.Timedout to InvokeTimeoutError (remote) and does not retry without an idempotency key', async () => {
    const mesh = createSdk({ ...base(), stage: 'dev' });
    const n = ws.invokes.length;
    const err = await mesh.invoke('payments:slow', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvokeTimeoutError);
    expect((err as InvokeTimeoutError).phase).toBe('remote');
    expect(ws.invokes.length - n).toBe(1);
  });

  it('falls back along the stage chain and reports every place searched when not found', async () => {
    const alice = createSdk({
      ...base(),
      stage: 'alice',
      stageFallback: ['dev'],
      discovery: ['routes', 'ssm', 'exports'],
    });
    expect(await alice.invoke('payments:charge', { orderId: 'x', amountCents: 1 })).toEqual({ chargeId: 'from-alice' });
    expect((await alice.resolve('payments:slow')).stage).toBe('dev');
    const err = await alice.invoke('payments:refund', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetNotFoundError);
    const searched = (err as TargetNotFoundError).searched.map((s) => `${s.source}:${s.stage ?? ''}`);
    expect(searched).toEqual(['routes:', 'ssm:alice', 'exports:alice', 'ssm:dev', 'exports:dev']);
    expect((err as Error).message).toContain('/svc-mesh/alice/payments/refund');
  });

  it('refuses undeclared calls before any request', async () => {
    const mesh = createSdk({
      ...base(),
      stage: 'dev',
      service: 'orders',
      function: 'placeOrder',
      calling: ['payments:charge'],
    });
    const n = ws.invokes.length + ws.ssmRequests.length;
    const err = await mesh.invoke('payments:refund', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UndeclaredCallError);
    expect((err as Error).message).toContain("calling: ['payments:refund']");
    expect((err as Error).message).toContain('functions.placeOrder');
    expect(ws.invokes.length + ws.ssmRequests.length).toBe(n);
  });

  it('checks payload size and serialisability before sending', async () => {
    const mesh = createSdk({ ...base(), routes: { 'legacy:plain': 'legacy-dev-plain' } });
    const n = ws.invokes.length;
    const cyc: Record<string, unknown> = {};
    cyc['self'] = cyc;
    await expect(mesh.invoke('legacy:plain', cyc)).rejects.toBeInstanceOf(PayloadNotSerializableError);
    await expect(mesh.invoke('legacy:plain', { n: 1n })).rejects.toThrow(
      /BigInt value \(JSON has no BigInt\) at \$\.n/,
    );
    await expect(mesh.invoke('legacy:plain', undefined)).rejects.toBeInstanceOf(PayloadNotSerializableError);
    await expect(mesh.invoke('legacy:plain', 'x'.repeat(6_291_457))).rejects.toBeInstanceOf(PayloadTooLargeError);
    await expect(mesh.invokeAsync('legacy:plain', 'x'.repeat(1_048_577))).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(ws.invokes.length).toBe(n);
  });
});

describe('Function: sdk.invoke retries and AWS errors', () => {
  it('retries throttling, then succeeds', async () => {
    await using ws = await startWireServer({
      functions: { f: async () => 'ok' },
      onInvoke: (_n, attempt) =>
        attempt <= 2 ? { status: 429, type: 'TooManyRequestsException', message: 'Rate Exceeded.' } : undefined,
    });
    const mesh = createSdk({
      region: 'us-east-1',
      endpoint: ws.endpoint,
      env: {},
      routes: { 'a:f': 'f' },
      retryBaseMs: 1,
    });
    expect(await mesh.invoke('a:f', {})).toBe('ok');
    expect(ws.invokes.length).toBe(3);
  });

  it('throws ThrottledError after the retries (one SDK attempt each: maxAttempts 1)', async () => {
    await using ws = await startWireServer({
      functions: { f: async () => 'ok' },
      onInvoke: () => ({ status: 429, type: 'TooManyRequestsException', message: 'Rate Exceeded.' }),
    });
    const mesh = createSdk({
      region: 'us-east-1',
      endpoint: ws.endpoint,
      env: {},
      routes: { 'a:f': 'f' },
      retryBaseMs: 1,
      maxRetries: 2,
    });
    const err = await mesh.invoke('a:f', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ThrottledError);
    expect((err as ThrottledError).attempts).toBe(3);
    expect(ws.invokes.length).toBe(3);
    expect(ws.invokes.every((i) => String(i.headers['amz-sdk-request']).startsWith('attempt=1;'))).toBe(true);
  });

  it('retries a function error only with an idempotency key', async () => {
    let calls = 0;
    await using ws = await startWireServer({
      functions: {
        f: async () => {
          calls++;
          if (calls === 1) throw new Error('flaky');
          return 'ok';
        },
      },
    });
    const mesh = createSdk({
      region: 'us-east-1',
      endpoint: ws.endpoint,
      env: {},
      routes: { 'a:f': 'f' },
      retryBaseMs: 1,
    });
    await expect(mesh.invoke('a:f', {})).rejects.toBeInstanceOf(RemoteFunctionError);
    calls = 0;
    expect(await mesh.invoke('a:f', {}, { idempotencyKey: 'k' })).toBe('ok');
    expect(calls).toBe(2);
  });

  it('maps AccessDeniedException to AccessDeniedError naming the fix', async () => {
    await using ws = await startWireServer({
      onInvoke: () => ({
        status: 403,
        type: 'AccessDeniedException',
        message: 'User is not authorized to perform: lambda:InvokeFunction',
      }),
    });
    const mesh = createSdk({
      region: 'us-east-1',
      endpoint: ws.endpoint,
      env: {},
      routes: { 'a:f': 'f' },
      service: 'o',
      function: 'p',
    });
    const err = await mesh.invoke('a:f', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AccessDeniedError);
    expect((err as Error).message).toMatch(/functions\.p\.calling/);
  });

  it('invalidates and resolves once more on ResourceNotFoundException', async () => {
    await using ws = await startWireServer({ functions: { 'b-dev-g2': async () => 'new' } });
    ws.parameters.set(
      '/svc-mesh/dev/b/g',
      JSON.stringify({ v: 2, service: 'b', function: 'g', stage: 'dev', functionArn: ws.arn('b-dev-g1') }),
    );
    const mesh = createSdk({ region: 'us-east-1', endpoint: ws.endpoint, env: {}, stage: 'dev' });
    await mesh.resolve('b:g');
    ws.parameters.set(
      '/svc-mesh/dev/b/g',
      JSON.stringify({ v: 2, service: 'b', function: 'g', stage: 'dev', functionArn: ws.arn('b-dev-g2') }),
    );
    expect(await mesh.invoke('b:g', {})).toBe('new');
    expect(ws.ssmRequests.length).toBe(2);
    ws.parameters.set(
      '/svc-mesh/dev/b/g',
      JSON.stringify({ v: 2, service: 'b', function: 'g', stage: 'dev', functionArn: ws.arn('b-dev-gone') }),
    );
    mesh.resolver.clear();
    const err = await mesh.invoke('b:g', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetNotFoundError);
    expect((err as Error).message).toMatch(/ResourceNotFoundException/);
  });

  it('aborts mid-retry with AbortedError', async () => {
    const ac = new AbortController();
    await using ws = await startWireServer({
      onInvoke: (_n, attempt) => {
        if (attempt === 2) ac.abort(new Error('user gave up'));
        return { status: 429, type: 'TooManyRequestsException' };
      },
    });
    const mesh = createSdk({
      region: 'us-east-1',
      endpoint: ws.endpoint,
      env: {},
      routes: { 'a:f': 'f' },
      retryBaseMs: 1,
      maxRetries: 10,
    });
    const err = await mesh.invoke('a:f', {}, { signal: ac.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortedError);
    expect((err as AbortedError).attempts).toBe(2);
    expect(ws.invokes.length).toBe(2);
  });
});
