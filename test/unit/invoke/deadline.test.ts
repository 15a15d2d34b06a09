import { describe, expect, it } from 'vitest';
import { InvokeTimeoutError } from '../../../src/errors/InvokeTimeoutError.js';
import { defineFunction } from '../../../src/invoke/defineFunction.js';
import { createSdk } from '../../../src/invoke/Sdk.js';
import { lambdaContext } from '../../helpers/lambda-context.js';
import { startWireServer } from '../../helpers/wire-server.js';

const ctxWith = (remaining: number, custom?: Record<string, string>) => lambdaContext(remaining, custom);

describe('Deadline arithmetic', () => {
  it('gives nested calls min(timeoutMs, remaining − margin) and sends it to the callee', async () => {
    await using ws = await startWireServer({ functions: { f: async () => 'ok' } });
    const mesh = createSdk({
      region: 'us-east-1',
      endpoint: ws.endpoint,
      env: {},
      routes: { 'a:f': 'f' },
      deadlineMarginMs: 300,
      service: 'o',
      function: 'p',
    });
    const handler = defineFunction(
      async (_i: unknown, ctx) => {
        await mesh.invoke('a:f', {});
        await mesh.invoke('a:f', {}, { timeoutMs: 50 });
        return ctx.deadline;
      },
      { sdk: mesh },
    );
    const t0 = Date.now();
    const ownDeadline = (await handler({}, ctxWith(10_000))) as number;
    const t1 = Date.now();
    expect(ownDeadline).toBeGreaterThanOrEqual(t0 + 10_000);
    expect(ownDeadline).toBeLessThanOrEqual(t1 + 10_000);
    const sent = ws.invokes.map((i) => Number((i.clientContext as { custom: { deadline: string } }).custom.deadline));
    expect(sent[0]).toBe(ownDeadline - 300);
    // The explicit 50 ms timeout: sent as "now + 50" at the second call, between t0 and t1.
    expect(sent[1]).toBeGreaterThanOrEqual(t0 + 50);
    expect(sent[1]).toBeLessThanOrEqual(t1 + 50);
  });

  it("takes the caller's earlier deadline from ClientContext, and refuses calls with no time left", async () => {
    await using ws = await startWireServer({ functions: { f: async () => 'ok' } });
    const mesh = createSdk({
      region: 'us-east-1',
      endpoint: ws.endpoint,
      env: {},
      routes: { 'a:f': 'f' },
      deadlineMarginMs: 250,
    });
    const callerDeadline = Date.now() + 200; // less than the margin: nothing fits
    const handler = defineFunction(
      async (_i: unknown, ctx) => {
        expect(ctx.deadline).toBe(callerDeadline);
        expect(ctx.caller).toBe('orders:placeOrder');
        return mesh.invoke('a:f', {});
      },
      { sdk: mesh },
    );
    const err = await handler(
      {},
      ctxWith(10_000, { svcmesh: '1', caller: 'orders:placeOrder', deadline: String(callerDeadline) }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvokeTimeoutError);
    expect((err as InvokeTimeoutError).phase).toBe('budget');
    expect(ws.invokes).toHaveLength(0);
  });

  it('gives up at the deadline while the callee is still running (phase client)', async () => {
    let release!: () => void;
    const hold = new Promise<void>((r) => (release = r));
    await using ws = await startWireServer({
      functions: { slow: { handler: () => hold.then(() => 'late'), timeout: 30 } },
    });
    const mesh = createSdk({ region: 'us-east-1', endpoint: ws.endpoint, env: {}, routes: { 'a:slow': 'slow' } });
    const err = await mesh.invoke('a:slow', {}, { timeoutMs: 30 }).catch((e: unknown) => e);
    release();
    expect(err).toBeInstanceOf(InvokeTimeoutError);
    expect((err as InvokeTimeoutError).phase).toBe('client');
  });
});
