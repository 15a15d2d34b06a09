/**
 * Resiliency policies enforced by real SDK clients against the local mesh (examples/shop, real
 * workers), with faults injected by the mesh. Requests are counted by the mesh: `matched` of the
 * fault rule counts every request to payments:charge while a rule is set (a 0% rule only counts).
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSdk, isCircuitOpenError } from 'svc-mesh';
import type { ResilienceEvent } from '../../../src/resilience/index.js';
import { type LocalMesh, startLocalMesh } from '../../../tools/local/index.js';

const shop = fileURLToPath(new URL('../../../examples/shop', import.meta.url));
const T = 'payments:charge';
const ok = { orderId: 'o-1', amountCents: 1200, card: 'tok_visa' };
const declined = { orderId: 'o-2', amountCents: 1200, card: 'tok_decline' };
const code = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: { code?: string }) => e.code ?? String(e),
  );
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Resiliency against the local mesh with injected faults', () => {
  let mesh: LocalMesh;
  let runs = 0;
  beforeAll(async () => {
    mesh = await startLocalMesh({ paths: [shop], stage: 'dev', port: 0, quiet: true, tracing: false });
    mesh.onInvoke((r) => {
      if (r.target === T && r.type === 'RequestResponse') runs++;
    });
  }, 60_000);
  afterAll(async () => {
    await mesh?.stop();
  });
  beforeEach(() => {
    mesh.faults.set([]);
    runs = 0;
  });
  /** Requests that reached payments:charge since the rule was set (injected or not). */
  const requests = () => mesh.faults.view().stats.find((s) => s.spec.startsWith(T))?.matched ?? 0;
  const sdkWith = (policy: Record<string, unknown>, extra: Parameters<typeof createSdk>[0] = {}) => {
    const events: ResilienceEvent[] = [];
    const sdk = createSdk({
      stage: 'dev',
      region: 'us-east-1',
      endpoint: mesh.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      env: {},
      policies: { [T]: policy },
      onResilienceEvent: (e) => events.push(e),
      ...extra,
    });
    return { sdk, events };
  };

  it('opens after exactly the configured failures, then fails fast with no request', async () => {
    const { sdk, events } = sdkWith({ retries: 0, breaker: { failures: 3, halfOpenMs: 60_000 } });
    mesh.faults.set([`${T}=error`]);
    for (let i = 0; i < 2; i++) expect(await code(sdk.invoke(T, ok))).toBe('REMOTE_FUNCTION_ERROR');
    expect(sdk.health().breakers[T]).toMatchObject({ state: 'closed', failures: 2 });
    expect(await code(sdk.invoke(T, ok))).toBe('REMOTE_FUNCTION_ERROR');
    expect(sdk.health().breakers[T]).toMatchObject({
      state: 'open',
      failures: 3,
      lastFailure: 'REMOTE_FUNCTION_ERROR',
    });
    expect(requests()).toBe(3);
    const err = await sdk.invoke(T, ok).catch((e: unknown) => e);
    expect(isCircuitOpenError(err)).toBe(true);
    expect(err).toMatchObject({ code: 'CIRCUIT_OPEN', target: T });
    expect((err as { nextProbeAt: number }).nextProbeAt).toBe(sdk.health().breakers[T]!.nextProbeAt);
    expect(await code(sdk.invokeAsync(T, ok))).toBe('CIRCUIT_OPEN');
    expect(requests()).toBe(3);
    expect(events.filter((e) => e.type === 'breaker').map((e) => e.state)).toEqual(['open']);
  });

  it('lets one probe through when half-open and closes on its success', async () => {
    const { sdk, events } = sdkWith({ retries: 0, breaker: { failures: 2, halfOpenMs: 300 } });
    mesh.faults.set([`${T}=error`]);
    await code(sdk.invoke(T, ok));
    await code(sdk.invoke(T, ok));
    const open = sdk.health().breakers[T]!;
    expect(open.state).toBe('open');
    // The fault is lifted; wait out the break (a wait, not a timing assertion).
    mesh.faults.set([`${T}=error:0%`]);
    await sleep(Math.max(0, open.nextProbeAt! - Date.now()) + 20);
    const results = await Promise.all([1, 2, 3].map(() => code(sdk.invoke(T, ok))));
    expect(results.sort()).toEqual(['CIRCUIT_OPEN', 'CIRCUIT_OPEN', 'ok']);
    expect(requests()).toBe(1);
    expect(runs).toBe(1);
    expect(sdk.health().breakers[T]).toMatchObject({ state: 'closed', failures: 0, opens: 1 });
    expect(await code(sdk.invoke(T, ok))).toBe('ok');
    expect(events.filter((e) => e.type === 'breaker').map((e) => e.state)).toEqual(['open', 'half-open', 'closed']);
  });

  it('re-opens when the probe fails', async () => {
    const { sdk } = sdkWith({ retries: 0, breaker: { failures: 1, halfOpenMs: 200 } });
    mesh.faults.set([`${T}=crash`]);
    expect(await code(sdk.invoke(T, ok))).toBe('REMOTE_FUNCTION_ERROR');
    const first = sdk.health().breakers[T]!;
    await sleep(Math.max(0, first.nextProbeAt! - Date.now()) + 20);
    expect(await code(sdk.invoke(T, ok))).toBe('REMOTE_FUNCTION_ERROR');
    const again = sdk.health().breakers[T]!;
    expect(again).toMatchObject({ state: 'open', opens: 2 });
    expect(again.nextProbeAt!).toBeGreaterThan(first.nextProbeAt!);
    expect(requests()).toBe(2);
  });

  it('does not count business errors (CARD_DECLINED), unless tripOn lists them', async () => {
    const { sdk } = sdkWith({ retries: 0, breaker: { failures: 2, halfOpenMs: 60_000 } });
    for (let i = 0; i < 4; i++) {
      const err = await sdk.invoke(T, declined).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'REMOTE_FUNCTION_ERROR', remoteCode: 'CARD_DECLINED' });
    }
    expect(sdk.health().breakers[T]).toMatchObject({ state: 'closed', failures: 0 });
    expect(runs).toBe(4);
    const strict = sdkWith({ retries: 0, breaker: { failures: 2, halfOpenMs: 60_000, tripOn: ['CARD_DECLINED'] } }).sdk;
    await code(strict.invoke(T, declined));
    await code(strict.invoke(T, declined));
    expect(strict.health().breakers[T]!.state).toBe('open');
  });

  it('a bulkhead rejects the N+1th concurrent call without a request', async () => {
    const { sdk } = sdkWith({ maxConcurrent: 2 });
    mesh.faults.set([`${T}=latency:300ms`]);
    const calls = [1, 2, 3].map(() => code(sdk.invoke(T, ok)));
    expect(await calls[2]).toBe('BULKHEAD_REJECTED');
    expect(sdk.health().bulkheads[T]).toMatchObject({ maxConcurrent: 2, active: 2, rejected: 1 });
    expect(await Promise.all(calls)).toEqual(['ok', 'ok', 'BULKHEAD_REJECTED']);
    expect(requests()).toBe(2);
    expect(sdk.health().bulkheads[T]).toMatchObject({ active: 0 });
  });

  it('retries throttles within the edge budget, and never a function error without an idempotency key', async () => {
    const { sdk } = sdkWith({ retries: 2 }, { retryBaseMs: 5 });
    mesh.faults.set([`${T}=throttle`]);
    expect(await code(sdk.invoke(T, ok))).toBe('THROTTLED');
    expect(requests()).toBe(3);
    mesh.faults.set([`${T}=error`]);
    expect(await code(sdk.invoke(T, ok))).toBe('REMOTE_FUNCTION_ERROR');
    expect(requests()).toBe(1);
    mesh.faults.set([`${T}=error`]);
    expect(await code(sdk.invoke(T, ok, { idempotencyKey: 'o-1' }))).toBe('REMOTE_FUNCTION_ERROR');
    expect(requests()).toBe(3);
  });

  it('retries stop at the edge timeout even with budget left', async () => {
    const { sdk } = sdkWith({ retries: 10, timeoutMs: 250 });
    mesh.faults.set([`${T}=throttle`]);
    const c = await code(sdk.invoke(T, ok));
    expect(['THROTTLED', 'INVOKE_TIMEOUT']).toContain(c);
    // backoff 100 ms × 2ⁿ (jittered ≥ half) leaves room for at most 4 attempts in 250 ms
    expect(requests()).toBeGreaterThanOrEqual(1);
    expect(requests()).toBeLessThanOrEqual(4);
  });

  it('an edge timeout ends a slow call (the callee kept running in the mesh)', async () => {
    const { sdk } = sdkWith({ timeoutMs: 200, retries: 0, breaker: { failures: 1, halfOpenMs: 60_000 } });
    mesh.faults.set([`${T}=latency:2s`]);
    const err = await sdk.invoke(T, ok).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'INVOKE_TIMEOUT', phase: 'client', timeoutMs: 200 });
    expect(sdk.health().breakers[T]).toMatchObject({ state: 'open', lastFailure: 'INVOKE_TIMEOUT' });
  });

  it('fallback: event queues the call as an Event invocation while the breaker is open', async () => {
    const { sdk } = sdkWith({ retries: 0, breaker: { failures: 1, halfOpenMs: 60_000 }, fallback: 'event' });
    mesh.faults.set([`${T}=error`]);
    expect(await code(sdk.invoke(T, ok))).toBe('REMOTE_FUNCTION_ERROR'); // a request was made: no fallback
    let events = 0;
    const off = mesh.onInvoke((r) => {
      if (r.target === T && r.type === 'Event') events++;
    });
    const out = await sdk.invoke(T, ok);
    expect(out).toMatchObject({ svcmesh: 'queued', target: T, reason: 'CIRCUIT_OPEN' });
    expect((out as { requestId?: string }).requestId).toMatch(/^[0-9a-f-]{36}$/);
    await mesh.idle();
    off();
    expect(events).toBe(1);
  });

  it('a fallback function serves while open, and is not called for business errors', async () => {
    const { sdk } = sdkWith({ retries: 0, breaker: { failures: 1, halfOpenMs: 60_000 } });
    const served: string[] = [];
    const fallback = (e: unknown) => {
      served.push((e as { code: string }).code);
      return { chargeId: 'deferred' };
    };
    expect(await code(sdk.invoke(T, declined, { fallback }))).toBe('REMOTE_FUNCTION_ERROR');
    mesh.faults.set([`${T}=timeout`]);
    expect(await sdk.invoke(T, ok, { fallback, timeoutMs: 150 })).toEqual({ chargeId: 'deferred' });
    expect(await sdk.invoke(T, ok, { fallback })).toEqual({ chargeId: 'deferred' });
    expect(served).toEqual(['INVOKE_TIMEOUT', 'CIRCUIT_OPEN']);
  });

  it('caller-side faults from SVC_MESH_FAULTS fail the call before any request', async () => {
    const sdk = createSdk({
      stage: 'dev',
      region: 'us-east-1',
      endpoint: mesh.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      env: { SVC_MESH_FAULTS: `${T}=error`, SVC_MESH_POLICIES: JSON.stringify({ [T]: { retries: 0 } }) },
    });
    mesh.faults.set([`${T}=error:0%`]);
    const err = await sdk.invoke(T, ok).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'REMOTE_FUNCTION_ERROR', errorType: 'InjectedFault' });
    expect(requests()).toBe(0);
    expect(sdk.health().faults).toEqual([{ spec: `${T}=error`, injected: 1 }]);
  });
});

describe('Fault admin: svc-mesh dev --fault, POST /_mesh/faults', () => {
  let mesh: LocalMesh;
  beforeAll(async () => {
    mesh = await startLocalMesh({
      paths: [shop],
      stage: 'dev',
      port: 0,
      quiet: true,
      tracing: false,
      faults: ['orders:placeOrder->payments:charge=error:50%'],
    });
  }, 60_000);
  afterAll(async () => {
    await mesh?.stop();
  });
  const post = (body: unknown, headers: Record<string, string> = { 'Content-Type': 'application/json' }) =>
    fetch(`${mesh.endpoint}/_mesh/faults`, { method: 'POST', headers, body: JSON.stringify(body) });

  it('starts with the given faults and changes them at run time', async () => {
    expect(mesh.faults.view().rules).toEqual(['orders:placeOrder->payments:charge=error:50%']);
    const r = await post({ add: ['inventory:reserve=throttle:25%'] });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { rules: string[] }).rules).toEqual([
      'orders:placeOrder->payments:charge=error:50%',
      'inventory:reserve=throttle:25%',
    ]);
    expect((await post({ clear: true })).status).toBe(200);
    expect(mesh.faults.view().rules).toEqual([]);
  });

  it.each([
    [{ set: ['payments:charg=error'] }, "the local mesh runs no function 'payments:charg'"],
    [{ set: ['payments:charge=error:150%'] }, 'the probability 150% is outside 0–100%'],
    [{ set: ['payments:charge=explode'] }, "unknown fault 'explode'"],
    [{ set: ['payments:charge=latency'] }, 'latency needs a duration'],
    [{ nope: 1 }, 'Send {"set"'],
  ])('refuses %j with 400 and changes nothing', async (body, message) => {
    mesh.faults.set(['payments:charge=error:10%']);
    const r = await post(body);
    expect(r.status).toBe(400);
    expect(((await r.json()) as { message: string }).message).toContain(message);
    expect(mesh.faults.view().rules).toEqual(['payments:charge=error:10%']);
  });

  it('refuses writes a web page could send (no JSON content type, a foreign Origin)', async () => {
    mesh.faults.set([]);
    expect((await post({ set: ['payments:charge=error'] }, { 'Content-Type': 'text/plain' })).status).toBe(403);
    expect(
      (
        await post(
          { set: ['payments:charge=error'] },
          { 'Content-Type': 'application/json', Origin: 'https://evil.example' },
        )
      ).status,
    ).toBe(403);
    // another local web app (another port) and a sandboxed page ('null') are other origins too
    for (const Origin of ['http://localhost:3000', 'null'])
      expect(
        (await post({ set: ['payments:charge=error'] }, { 'Content-Type': 'application/json', Origin })).status,
      ).toBe(403);
    expect(mesh.faults.view().rules).toEqual([]);
  });

  it('a bad --fault stops the start with the reason, nothing started', async () => {
    await expect(
      startLocalMesh({ paths: [shop], port: 0, quiet: true, tracing: false, faults: ['payments:charge=error:-5%'] }),
    ).rejects.toMatchObject({ code: 'LOCAL_MESH_START_FAILED', message: expect.stringContaining('outside 0–100%') });
  });
});
