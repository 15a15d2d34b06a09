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

  it('past a declared target, bad inputs and options still only ever give svc-mesh errors, and no request', async () => {
    // The target is declared (calling: ['a:f']), so every case reaches checkOptions and payload
    // serialisation; the property is checked to have reached each of them (not just target parsing).
    const m = createSdk({
      region: 'us-east-1',
      endpoint: ws.endpoint,
      env: {},
      calling: ['a:f'],
      routes: { 'a:f': 'f' },
    });
    const circular: Record<string, unknown> = { a: 1 };
    circular['self'] = circular;
    const input = fc.oneof(
      fc.anything({ withBigInt: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true }),
      fc.constantFrom<unknown>(undefined, () => 1, Symbol('s'), 10n, circular, { nested: [{ deep: 1n }] }),
    );
    const bad = fc.oneof(fc.anything(), fc.constantFrom<unknown>(-1, 0, Number.NaN, Infinity, '', 'k'.repeat(257)));
    const options = fc.oneof(
      fc.anything(),
      fc.constantFrom<unknown>(null, 'fast', 5),
      fc.record(
        {
          timeoutMs: fc.oneof(fc.integer({ min: 5_000, max: 60_000 }), bad),
          idempotencyKey: fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), bad),
          stage: fc.oneof(fc.constantFrom('dev', 'prod'), fc.constantFrom('dev/alice', 'a b', ''), bad),
          signal: fc.oneof(fc.constant(new AbortController().signal), fc.constant(AbortSignal.abort()), bad),
        },
        { requiredKeys: [] },
      ),
      fc.dictionary(fc.string({ maxLength: 8 }), fc.anything(), { minKeys: 1, maxKeys: 3 }),
    );
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(input, options, async (i, o) => {
        const before = requests();
        const err = await m.invoke('a:f', i as never, o as never).then(
          () => undefined,
          (e: unknown) => e,
        );
        if (err === undefined) {
          seen.add('ok');
          return;
        }
        expect(isSvcMeshError(err)).toBe(true);
        const name = (err as Error).name;
        seen.add(name === 'InvalidConfigError' ? `config:${(err as InvalidConfigError).setting}` : name);
        // Errors found before the network never send anything (discovery, Invoke or Publish).
        if (['InvalidConfigError', 'PayloadNotSerializableError', 'AbortedError'].includes(name))
          expect(requests()).toBe(before);
      }),
      { numRuns: 300, seed: 18 },
    );
    for (const reached of [
      'ok',
      'PayloadNotSerializableError',
      'AbortedError',
      'config:options',
      'config:timeoutMs',
      'config:idempotencyKey',
      'config:stage',
      'config:signal',
    ])
      expect(seen, `the property never produced ${reached}`).toContain(reached);
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
