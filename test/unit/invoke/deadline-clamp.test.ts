/**
 * A caller-supplied deadline is a claim (issue 12 item 12): far in the past or the future, or on
 * an Event invocation, it must not turn every nested call into a failure, nor stretch this
 * invocation past its own Lambda deadline. A plausible one is still honoured.
 */
import { describe, expect, it } from 'vitest';
import { defineFunction } from '../../../src/invoke/defineFunction.js';
import { createSdk } from '../../../src/invoke/Sdk.js';
import { lambdaContext } from '../../helpers/lambda-context.js';
import { startWireServer } from '../../helpers/wire-server.js';

const REMAINING = 10_000;
const lambdaCtx = (custom?: Record<string, string>) => lambdaContext(REMAINING, custom);

describe('Caller deadlines are clamped', () => {
  const setup = async () => {
    const ws = await startWireServer({ functions: { f: async () => 'ok' } });
    const sdk = createSdk({ region: 'us-east-1', endpoint: ws.endpoint, env: {}, routes: { 'a:f': 'f' } });
    const handler = defineFunction(
      async (_i: unknown, ctx) => ({ deadline: ctx.deadline, nested: await sdk.invoke('a:f', {}) }),
      { sdk },
    );
    return { ws, handler };
  };

  it.each([
    ['far in the past (epoch 1)', '1'],
    ['a second ago', () => String(Date.now() - 1_000)],
    ['far in the future', '999999999999999'],
    ['a day from now', () => String(Date.now() + 86_400_000)],
  ])('sync call with a deadline %s: nested calls work, the deadline is the Lambda one', async (_l, d) => {
    const { ws, handler } = await setup();
    await using _ = ws;
    const t0 = Date.now();
    const deadline = typeof d === 'function' ? d() : d;
    const out = (await handler({}, lambdaCtx({ svcmesh: '1', caller: 'x:y', deadline }))) as {
      deadline: number;
      nested: string;
    };
    expect(out.nested).toBe('ok');
    expect(out.deadline).toBeGreaterThanOrEqual(t0 + REMAINING);
    expect(out.deadline).toBeLessThanOrEqual(Date.now() + REMAINING);
  });

  it('Event invocation (envelope) with a stale deadline: nested calls work', async () => {
    const { ws, handler } = await setup();
    await using _ = ws;
    const t0 = Date.now();
    const envelope = {
      svcmesh: 1,
      meta: { svcmesh: '1', caller: 'x:y', deadline: String(t0 - 3_600_000) },
      payload: {},
    };
    const out = (await handler(envelope, lambdaCtx())) as { deadline: number; nested: string };
    expect(out.nested).toBe('ok');
    expect(out.deadline).toBeGreaterThanOrEqual(t0 + REMAINING);
  });

  it('a plausible caller deadline (in the future, before our own) is still honoured', async () => {
    const { ws, handler } = await setup();
    await using _ = ws;
    const callerDeadline = Date.now() + 5_000;
    const out = (await handler({}, lambdaCtx({ svcmesh: '1', caller: 'x:y', deadline: String(callerDeadline) }))) as {
      deadline: number;
    };
    expect(out.deadline).toBe(callerDeadline);
    const sent = Number((ws.invokes[0]!.clientContext as { custom: { deadline: string } }).custom.deadline);
    expect(sent).toBeLessThan(callerDeadline);
  });
});
