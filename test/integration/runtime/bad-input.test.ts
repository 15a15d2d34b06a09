import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidConfigError,
  InvalidTargetError,
  PayloadNotSerializableError,
  createSdk,
  defineFunction,
  isSvcMeshError,
  sdk,
  resetDefaults,
} from 'svc-mesh';
import { type WireServer, startWireServer } from '../../helpers/wire-server.js';

describe('Bad input: a typed error and no request', () => {
  let ws: WireServer;
  const requests = () => ws.invokes.length + ws.ssmRequests.length + ws.exportsRequests;
  beforeAll(async () => {
    ws = await startWireServer({ functions: { f: async () => 'ok' } });
  });
  afterAll(() => ws.close());
  const mesh = () => createSdk({ region: 'us-east-1', endpoint: ws.endpoint, env: {}, stage: 'dev' });

  it.each([
    ['users', /no ':'/],
    [':fn', /service name before the colon is empty/],
    ['svc:', /function name after the colon is empty/],
    ['a:b:c', /2 ':' separators/],
    ['', /empty/],
    [' users:get', /U\+0020/],
    ['users :get', /U\+0020/],
    ['users:get\n', /U\+000A/],
    ['usеrs:get', /U\+0435.*look-alike/], // Cyrillic е
    ['users:gеt', /look-alike/],
    ['1users:get', /must start with a letter/],
    [`${'a'.repeat(300)}:b`, /longer than 256/],
  ])('refuses target %j', async (target, why) => {
    const before = requests();
    const err = await mesh()
      .invoke(target, {})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidTargetError);
    expect((err as Error).message).toMatch(why);
    expect(requests()).toBe(before);
  });

  it('refuses non-string targets', async () => {
    for (const t of [undefined, null, 42, {}, ['a:b'], Symbol('a:b')]) {
      await expect(mesh().invoke(t as string, {})).rejects.toBeInstanceOf(InvalidTargetError);
      await expect(mesh().invokeAsync(t as string, {})).rejects.toBeInstanceOf(InvalidTargetError);
    }
  });

  it('never lets anything but a svc-mesh error out for arbitrary targets, inputs and options', async () => {
    const m = createSdk({ region: 'us-east-1', endpoint: ws.endpoint, env: {}, stage: 'dev', calling: [] });
    await fc.assert(
      fc.asyncProperty(fc.anything(), fc.anything(), fc.anything(), async (t, input, opts) => {
        const err = await m.invoke(t as never, input as never, opts as never).catch((e: unknown) => e);
        expect(isSvcMeshError(err)).toBe(true);
      }),
      { numRuns: 200 },
    );
    expect(ws.invokes.length).toBe(0);
  });

  it('accepts a timeout beyond what a Node timer can hold', async () => {
    const m = createSdk({ region: 'us-east-1', endpoint: ws.endpoint, env: {}, routes: { 'a:f': 'f' } });
    expect(await m.invoke('a:f', {}, { timeoutMs: 3_000_000_000 })).toBe('ok');
  });

  it('refuses bad options', async () => {
    const m = createSdk({ region: 'us-east-1', endpoint: ws.endpoint, env: {}, routes: { 'a:f': 'f' } });
    const before = ws.invokes.length;
    await expect(m.invoke('a:f', {}, { timeoutMs: -1 })).rejects.toThrow(/timeoutMs/);
    await expect(m.invoke('a:f', {}, { timeoutMs: Number.NaN })).rejects.toThrow(/timeoutMs/);
    await expect(m.invoke('a:f', {}, { idempotencyKey: 'k'.repeat(257) })).rejects.toThrow(/idempotencyKey/);
    await expect(m.invoke('a:f', {}, { stage: 'dev/alice' })).rejects.toThrow(/stage option/);
    await expect(m.invoke('a:f', {}, { signal: 'stop' as never })).rejects.toThrow(/AbortSignal/);
    await expect(m.invoke('a:f', () => 1)).rejects.toBeInstanceOf(PayloadNotSerializableError);
    await expect(m.invoke('a:f', {}, { timeout: 5 } as never)).rejects.toThrow(/no option "timeout"/);
    expect(ws.invokes.length).toBe(before);
  });

  it('explains a missing region, stage or malformed environment on the default sdk', async () => {
    const saved = { ...process.env };
    try {
      delete process.env['AWS_REGION'];
      delete process.env['AWS_DEFAULT_REGION'];
      process.env['SVC_MESH_ROUTES'] = '{"a:f":"f"}';
      resetDefaults();
      await expect(sdk.invoke('a:f', {})).rejects.toThrow(/AWS_REGION/);
      process.env['AWS_REGION'] = 'us-east-1';
      resetDefaults();
      await expect(sdk.invoke('b:g', {})).rejects.toThrow(/SVC_MESH_STAGE/);
      process.env['SVC_MESH_CALLING'] = 'not a target';
      resetDefaults();
      const err = await sdk.invoke('a:f', {}).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidConfigError);
      expect((err as InvalidConfigError).setting).toBe('SVC_MESH_CALLING');
    } finally {
      process.env = saved;
      resetDefaults();
    }
  });

  it('defineFunction refuses a non-function and passes plain events through', async () => {
    expect(() => defineFunction(42 as never)).toThrow(InvalidConfigError);
    const h = defineFunction(async (input: unknown, ctx) => ({ input, hop: ctx.hop, caller: ctx.caller ?? null }), {
      sdk: createSdk({ env: {} }),
    });
    expect(await h({ plain: true }, undefined as never)).toEqual({
      input: { plain: true },
      hop: 'direct',
      caller: null,
    });
    // A forged envelope with a bad caller and deadline is unwrapped, the bad fields ignored.
    expect(
      await h(
        { svcmesh: 1, meta: { svcmesh: '1', caller: 'not a target', deadline: 'soon' }, payload: 7 },
        undefined as never,
      ),
    ).toEqual({
      input: 7,
      hop: 'async',
      caller: null,
    });
  });
});
