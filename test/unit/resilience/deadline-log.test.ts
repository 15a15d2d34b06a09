import { afterEach, describe, expect, it, vi } from 'vitest';
import { defineFunction } from '../../../src/invoke/defineFunction.js';
import { createSdk } from '../../../src/invoke/Sdk.js';

const T = 'payments:charge';
const lambdaCtx = (remaining: number) => {
  const deadline = Date.now() + remaining;
  return {
    functionName: 'orders-dev-place',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:orders-dev-place',
    memoryLimitInMB: '128',
    awsRequestId: 'req-1',
    logGroupName: '',
    logStreamName: '',
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
};
/** A Lambda client that never answers until the call is aborted. */
const hanging = {
  send: (_cmd: unknown, o?: { abortSignal?: { aborted: boolean; onabort: (() => void) | null } }) =>
    new Promise((_res, rej) => {
      const s = o?.abortSignal;
      if (s) s.onabort = () => rej(Object.assign(new Error('aborted'), { name: 'AbortError' }));
    }),
};

afterEach(() => vi.restoreAllMocks());

describe('Edge policy inside an invocation', () => {
  it('the edge timeout is still capped by the Lambda deadline minus the margin', async () => {
    const sdk = createSdk({
      region: 'us-east-1',
      env: {},
      routes: { [T]: 'payments-dev-charge' },
      clients: { lambda: hanging },
      deadlineMarginMs: 100,
      policies: { [T]: { timeoutMs: 5_000, retries: 0 } },
    });
    const handler = defineFunction(
      async () => sdk.invoke(T, {}).catch((e: { code: string; phase: string; timeoutMs: number }) => e),
      { sdk, subscribable: false },
    );
    const err = (await handler({}, lambdaCtx(400))) as { code: string; phase: string; timeoutMs: number };
    expect(err).toMatchObject({ code: 'INVOKE_TIMEOUT', phase: 'client' });
    expect(err.timeoutMs).toBeLessThanOrEqual(300);
  });

  it('outside an invocation the edge timeout replaces the default one', async () => {
    const sdk = createSdk({
      region: 'us-east-1',
      env: {},
      routes: { [T]: 'payments-dev-charge' },
      clients: { lambda: hanging },
      policies: { [T]: { timeoutMs: 50, retries: 0 } },
    });
    await expect(sdk.invoke(T, {})).rejects.toMatchObject({ code: 'INVOKE_TIMEOUT', timeoutMs: 50 });
  });

  it('without a hook, a breaker state change is one JSON line on stderr', async () => {
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
      lines.push(String(s));
      return true;
    });
    const failing = {
      send: async () => ({
        StatusCode: 200,
        FunctionError: 'Unhandled',
        Payload: new TextEncoder().encode('{"errorType":"Error","errorMessage":"down"}'),
        $metadata: {},
      }),
    };
    const sdk = createSdk({
      region: 'us-east-1',
      env: {},
      service: 'orders',
      function: 'place',
      routes: { [T]: 'payments-dev-charge' },
      clients: { lambda: failing },
      policies: { [T]: { retries: 0, breaker: { failures: 1, halfOpenMs: 60_000 } } },
    });
    await sdk.invoke(T, {}).catch(() => undefined);
    vi.restoreAllMocks();
    const json = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(json).toEqual([
      {
        level: 'WARN',
        message: 'svc-mesh: circuit breaker for payments:charge is open',
        type: 'breaker',
        target: T,
        caller: 'orders:place',
        state: 'open',
        failures: 1,
        lastFailure: 'REMOTE_FUNCTION_ERROR',
        nextProbeAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
    ]);
  });
});
