/**
 * The spare sandbox: a worker process started before any call, which a function's cold start
 * adopts. Adopted or freshly forked, a sandbox must look the same from inside (only the
 * function's own environment, its folder, its heap limit), and tracing must start with the
 * function's identity.
 */
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalMesh, startLocalMesh } from '../../../tools/local/index.js';
import type { TraceDetail } from '../../../tools/local/traces/index.js';
import { clients, decode, spec, until } from './helpers.js';

type Sandbox = { env: Record<string, string>; cwd: string; pid: number; execArgv: string[] };

const functions = () => [
  spec('a', 'echo.ts', 'sandbox', { environment: { MY_SETTING: 'a' } }),
  spec('b', 'echo.ts', 'sandbox', { environment: { MY_SETTING: 'b' } }),
  spec('big', 'echo.ts', 'sandbox', { memorySize: 2048 }),
  spec('opts', 'echo.ts', 'sandbox', { environment: { NODE_OPTIONS: '--no-deprecation' } }),
  spec('traced', 'defined.ts', 'ok'),
];

let withSpare: LocalMesh;
let noSpare: LocalMesh;
beforeAll(async () => {
  [withSpare, noSpare] = await Promise.all([
    startLocalMesh({ functions: functions(), iam: false, quiet: true }),
    startLocalMesh({ functions: functions(), iam: false, quiet: true, tracing: false, spare: false }),
  ]);
}, 60_000);
afterAll(async () => {
  await Promise.all([withSpare?.stop(), noSpare?.stop()]);
});

/** Calls `name` and says whether its sandbox was the spare the mesh held just before. */
async function call(mesh: LocalMesh, name: string) {
  const sparePid = (await health(mesh)).spareSandbox?.pid;
  const out = await clients(mesh.endpoint).lambda.send(new InvokeCommand({ FunctionName: `fx-dev-${name}` }));
  expect(out.FunctionError).toBeUndefined();
  const s = decode(out.Payload) as Sandbox;
  return { s, adopted: sparePid !== undefined && sparePid !== null && s.pid === sparePid };
}

const health = async (mesh: LocalMesh) =>
  (await (await fetch(`${mesh.endpoint}/_mesh/health`)).json()) as { spareSandbox: { pid: number | null } | null };
const spareReady = (mesh: LocalMesh) => until(async () => typeof (await health(mesh)).spareSandbox?.pid === 'number');

/** The environment without the values that differ per sandbox by design. */
const shape = (env: Record<string, string>) => {
  const {
    AWS_LAMBDA_LOG_STREAM_NAME,
    AWS_ACCESS_KEY_ID,
    AWS_LAMBDA_RUNTIME_API,
    AWS_ENDPOINT_URL,
    OTEL_EXPORTER_OTLP_ENDPOINT,
    OTEL_SDK_DISABLED,
    _X_AMZN_TRACE_ID,
    ...rest
  } = env;
  return rest;
};

describe('Local mesh: the spare sandbox', () => {
  it('is adopted by a cold start, and looks from inside exactly like a freshly forked sandbox', async () => {
    await spareReady(withSpare);
    const spared = await call(withSpare, 'a');
    const fresh = await call(noSpare, 'a');
    expect(spared.adopted).toBe(true);
    expect(fresh.adopted).toBe(false);
    expect(Object.keys(shape(spared.s.env)).sort()).toEqual(Object.keys(shape(fresh.s.env)).sort());
    expect(shape(spared.s.env)).toEqual(shape(fresh.s.env));
    expect(spared.s.env['MY_SETTING']).toBe('a');
    expect(spared.s.cwd).toBe(fresh.s.cwd);
    expect(spared.s.execArgv).toEqual(fresh.s.execArgv);
    expect((await health(noSpare)).spareSandbox).toBeNull();
  });

  it('is replaced after it is adopted, and never carries one function’s environment to another', async () => {
    await spareReady(withSpare);
    const b = await call(withSpare, 'b');
    expect(b.adopted).toBe(true);
    expect(b.s.env['MY_SETTING']).toBe('b');
    expect(b.s.env['AWS_LAMBDA_FUNCTION_NAME']).toBe('fx-dev-b');
  });

  it('is not adopted by a function with another memory size or its own NODE_OPTIONS (set when Node starts)', async () => {
    await spareReady(withSpare);
    const big = await call(withSpare, 'big');
    expect(big.adopted).toBe(false);
    expect(big.s.execArgv).toContain('--max-old-space-size=2048');
    const opts = await call(withSpare, 'opts');
    expect(opts.adopted).toBe(false);
    expect(opts.s.env['NODE_OPTIONS']).toBe('--no-deprecation');
  });

  it('starts tracing as the function that adopts it (its service and name on the span)', async () => {
    await spareReady(withSpare);
    const traceId = randomBytes(16).toString('hex');
    const c = clients(withSpare.endpoint);
    const out = await c.lambda.send(
      new InvokeCommand({
        FunctionName: 'fx-dev-traced',
        ClientContext: Buffer.from(
          JSON.stringify({ custom: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` } }),
        ).toString('base64'),
      }),
    );
    expect(out.FunctionError).toBeUndefined();
    let d: TraceDetail | undefined;
    await until(async () => {
      const res = await fetch(`${withSpare.endpoint}/api/traces/${traceId}`);
      if (res.status !== 200) return false;
      d = (await res.json()) as TraceDetail;
      return d.spans.some((s) => s.attributes['faas.invocation_id'] === out.$metadata.requestId);
    });
    const span = d!.spans.find((s) => s.attributes['faas.invocation_id'] === out.$metadata.requestId)!;
    expect(span.resource['service.name']).toBe('fx');
    expect(span.resource['faas.name']).toBe('fx-dev-traced');
    expect(span.attributes['faas.coldstart']).toBe(true);
  });
});
