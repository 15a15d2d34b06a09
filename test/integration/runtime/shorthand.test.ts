/**
 * The 2016 plan's short call forms (issue 17), against the AWS wire protocol with the real Lambda
 * client: `sdk.invoke('someFunction', input)` and `sdk.invoke(input)` resolve against the calling
 * list to the full `service:function`, which is all that traces, errors and the callee ever see;
 * every refusal is typed and sends no request.
 */
import { trace } from '@opentelemetry/api';
import fc from 'fast-check';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AmbiguousTargetError,
  InvalidConfigError,
  InvalidTargetError,
  PayloadNotSerializableError,
  RemoteFunctionError,
  type SdkConfig,
  UndeclaredCallError,
  UnnamedCallError,
  createSdk,
  defineFunction,
  isSvcMeshError,
  resetDefaults,
  sdk,
  sdkFor,
} from 'svc-mesh';
import { type WireServer, startWireServer } from '../../helpers/wire-server.js';

const exporter = new InMemorySpanExporter();

describe('Short call forms: a function name alone, or no name', () => {
  let ws: WireServer;
  const seen: { caller?: string | undefined; hop: string; input: unknown; idem?: string | undefined }[] = [];
  const requests = () => ws.invokes.length + ws.ssmRequests.length + ws.exportsRequests;
  const routes = {
    'otherService:someFunction': 'other-some',
    'a:get': 'a-get',
    'b:get': 'b-get',
    'a:fail': 'a-fail',
  };
  const base = (over: SdkConfig = {}): SdkConfig => ({
    region: 'us-east-1',
    endpoint: ws.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    env: {},
    stage: 'dev',
    routes,
    service: 'helloService',
    function: 'hello',
    ...over,
  });
  /** hello as codegen deploys it: one declared target. */
  const hello = () => createSdk(base({ calling: ['otherService:someFunction'] }));
  /** A function that calls a:get, b:get and a:fail. */
  const multi = () => createSdk(base({ service: 'orders', function: 'place', calling: ['b:get', 'a:get', 'a:fail'] }));

  beforeAll(async () => {
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    ws = await startWireServer();
    const callee = createSdk({ region: 'us-east-1', env: {}, service: 'otherService', function: 'someFunction' });
    ws.functions.set('other-some', {
      handler: defineFunction(
        async (input: unknown, ctx) => {
          seen.push({ caller: ctx.caller, hop: ctx.hop, input, idem: ctx.idempotencyKey });
          return { got: input };
        },
        { sdk: callee },
      ) as never,
    });
    ws.functions.set('a-get', { handler: async () => 'from a:get' });
    ws.functions.set('b-get', { handler: async () => 'from b:get' });
    ws.functions.set('a-fail', {
      handler: defineFunction(
        async () => {
          throw Object.assign(new Error('nope'), { code: 'NOPE' });
        },
        { sdk: createSdk({ region: 'us-east-1', env: {}, service: 'a', function: 'fail' }) },
      ) as never,
    });
  });
  afterAll(() => {
    trace.disable();
    return ws.close();
  });

  describe('resolve to the one declared target, carrying the full name everywhere', () => {
    it("sdk.invoke('someFunction', input) calls otherService:someFunction", async () => {
      // Prepare
      seen.length = 0;
      exporter.reset();
      // Act
      const out = await hello().invoke('someFunction', { name: 'ada' }, { idempotencyKey: 'k1' });
      // Assess: the right function, the full caller, and a span named with the full target.
      expect(out).toEqual({ got: { name: 'ada' } });
      expect(ws.invokes.at(-1)?.functionName).toBe('other-some');
      expect(seen).toEqual([{ caller: 'helloService:hello', hop: 'sync', input: { name: 'ada' }, idem: 'k1' }]);
      const client = exporter.getFinishedSpans().find((s) => s.name.startsWith('invoke '));
      expect(client?.name).toBe('invoke otherService:someFunction');
      expect(client?.attributes['svcmesh.target']).toBe('otherService:someFunction');
    });

    it('sdk.invoke(input) calls the only declared target, with options', async () => {
      seen.length = 0;
      const out = await hello().invoke({ name: 'bob' }, { idempotencyKey: 'k2' });
      expect(out).toEqual({ got: { name: 'bob' } });
      expect(seen).toEqual([{ caller: 'helloService:hello', hop: 'sync', input: { name: 'bob' }, idem: 'k2' }]);
      // Arrays are inputs too.
      expect(await hello().invoke([1, 2])).toEqual({ got: [1, 2] });
    });

    it('invokeAsync takes both short forms', async () => {
      seen.length = 0;
      const mesh = hello();
      await mesh.invokeAsync('someFunction', { n: 1 });
      await mesh.invokeAsync({ n: 2 }, { timeoutMs: 5_000 });
      await ws.settle();
      expect(seen.map((s) => [s.hop, s.input, s.caller])).toEqual([
        ['async', { n: 1 }, 'helloService:hello'],
        ['async', { n: 2 }, 'helloService:hello'],
      ]);
      expect(ws.invokes.slice(-2).map((i) => [i.functionName, i.invocationType])).toEqual([
        ['other-some', 'Event'],
        ['other-some', 'Event'],
      ]);
    });

    it('a function name unique among several targets resolves, and errors name the full target', async () => {
      expect(
        await multi()
          .invoke('fail', {})
          .catch((e: unknown) => e),
      ).toBeInstanceOf(RemoteFunctionError);
      // The error names the full target, not the short name that was written.
      const err = (await multi()
        .invoke('fail', {})
        .catch((e: unknown) => e)) as RemoteFunctionError;
      expect(err.target).toBe('a:fail');
      expect(err.message).toContain("'a:fail'");
      expect(await multi().invoke('a:get', {})).toBe('from a:get');
    });

    it('the full-name form is unchanged next to the short forms', async () => {
      seen.length = 0;
      expect(await hello().invoke('otherService:someFunction', { name: 'full' })).toEqual({ got: { name: 'full' } });
      expect(seen[0]?.caller).toBe('helloService:hello');
    });

    it('the default sdk resolves against SVC_MESH_CALLING', async () => {
      const saved = { ...process.env };
      try {
        Object.assign(process.env, {
          AWS_REGION: 'us-east-1',
          AWS_ENDPOINT_URL: ws.endpoint,
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
          SVC_MESH_STAGE: 'dev',
          SVC_MESH_SERVICE: 'helloService',
          SVC_MESH_FUNCTION: 'hello',
          SVC_MESH_CALLING: 'otherService:someFunction',
          SVC_MESH_ROUTES: JSON.stringify(routes),
        });
        resetDefaults();
        seen.length = 0;
        expect(await sdk.invoke({ via: 'default' })).toEqual({ got: { via: 'default' } });
        expect(await sdk.invoke('someFunction', { via: 'name' })).toEqual({ got: { via: 'name' } });
        const bound = sdkFor('helloService:hello');
        expect(await bound.invoke('someFunction', { name: 'sdkFor' })).toEqual({ got: { name: 'sdkFor' } });
        expect(seen.map((s) => s.caller)).toEqual(['helloService:hello', 'helloService:hello', 'helloService:hello']);
        // Bound to another function than the one running: refused, nothing sent.
        const before = requests();
        const wrong = await sdkFor('elsewhere:fn')
          .invoke({})
          .catch((e: unknown) => e);
        expect(wrong).toBeInstanceOf(InvalidConfigError);
        expect((wrong as Error).message).toMatch(/sdkFor\('helloService:hello'\)/);
        expect(requests()).toBe(before);
      } finally {
        process.env = saved;
        resetDefaults();
      }
    });
  });

  describe('refuses, typed, with no request', () => {
    const refuses = async (call: () => Promise<unknown>) => {
      const before = requests();
      const err = await call().then(
        () => new Error('resolved'),
        (e: unknown) => e,
      );
      expect(requests()).toBe(before);
      expect(isSvcMeshError(err)).toBe(true);
      return err as Error;
    };

    it('an ambiguous function name: AMBIGUOUS_TARGET with the candidates and how to write them', async () => {
      for (const [how, call] of [
        ['invoke', () => multi().invoke('get', {})],
        ['invokeAsync', () => multi().invokeAsync('get', {})],
      ] as const) {
        const err = (await refuses(call)) as AmbiguousTargetError;
        expect(err).toBeInstanceOf(AmbiguousTargetError);
        expect(err.code).toBe('AMBIGUOUS_TARGET');
        expect(err.candidates).toEqual(['a:get', 'b:get']);
        expect(err.caller).toBe('orders:place');
        expect(err.message).toContain("'a:get', 'b:get'");
        expect(err.message).toContain(`full 'service:function', e.g. sdk.${how}('a:get', input)`);
      }
    });

    it('an undeclared function name: UNDECLARED_CALL with the closest declared names', async () => {
      const err = (await refuses(() => hello().invoke('someFuncton', {}))) as UndeclaredCallError;
      expect(err).toBeInstanceOf(UndeclaredCallError);
      expect(err.target).toBe('someFuncton');
      expect(err.suggestions).toEqual(['someFunction']);
      expect(err.message).toContain("Did you mean 'someFunction'?");
      expect(err.message).toContain('a function name without its service');
      expect(err.message).toContain("calling: ['<service>:someFuncton']");
      // A name far from every declared one: no suggestion, the declared list still there.
      const far = (await refuses(() => hello().invoke('hello', {}))) as UndeclaredCallError;
      expect(far.suggestions).toEqual([]);
      expect(far.message).toContain("Declared: 'otherService:someFunction'");
    });

    it('a valid-looking but undeclared service:function: UNDECLARED_CALL naming the declared one', async () => {
      const other = (await refuses(() => hello().invoke('wrongService:someFunction', {}))) as UndeclaredCallError;
      expect(other).toBeInstanceOf(UndeclaredCallError);
      expect(other.suggestions).toEqual(['otherService:someFunction']);
      const typo = (await refuses(() => hello().invokeAsync('otherService:someFuncton', {}))) as UndeclaredCallError;
      expect(typo.suggestions).toEqual(['otherService:someFunction']);
      expect(typo.message).toContain("calling: ['otherService:someFuncton']");
    });

    it('outside a function with a calling list: INVALID_TARGET saying why', async () => {
      const { service: _s, function: _f, ...script_ } = base();
      const script = createSdk(script_);
      const named = await refuses(() => script.invoke('someFunction', {}));
      expect(named).toBeInstanceOf(InvalidTargetError);
      expect(named.message).toMatch(/no ':'.*calling: list is known \(SVC_MESH_CALLING.*has none/);
      expect(named.message).toContain("sdk.invoke('<service>:someFunction', input)");
      const unnamed = await refuses(() => script.invokeAsync({ x: 1 }));
      expect(unnamed).toBeInstanceOf(InvalidTargetError);
      expect(unnamed.message).toMatch(/no calling list/);
      // calling: null turns enforcement off: no list, so no short forms either.
      const off = createSdk(base({ calling: null }));
      expect(await refuses(() => off.invoke('someFunction', {}))).toBeInstanceOf(InvalidTargetError);
    });

    it('the no-name form with zero or several declared targets: UNNAMED_CALL naming them', async () => {
      const none = (await refuses(() => createSdk(base({ calling: [] })).invoke({}))) as UnnamedCallError;
      expect(none).toBeInstanceOf(UnnamedCallError);
      expect(none.code).toBe('UNNAMED_CALL');
      expect(none.declared).toEqual([]);
      expect(none.message).toMatch(/declares none.*functions\.hello/);
      const several = (await refuses(() => multi().invokeAsync({}))) as UnnamedCallError;
      expect(several.declared).toEqual(['a:fail', 'a:get', 'b:get']);
      expect(several.message).toMatch(/declares 3: 'a:fail', 'a:get', 'b:get'.*sdk\.invokeAsync\('a:fail', input\)/);
    });

    it('inputs and names are never confused', async () => {
      // Untyped on purpose: these calls are what plain JavaScript (or a cast) can send.
      const mesh = hello() as unknown as { invoke(...a: unknown[]): Promise<unknown> };
      // A string first argument is a name, never an input: a string input needs the name.
      const text = await refuses(() => mesh.invoke('hello world'));
      expect(text).toBeInstanceOf(InvalidTargetError);
      expect(text.message).toMatch(/U\+0020.*never an input.*sdk\.invoke\('someFunction', "hello world"\)/);
      expect(await refuses(() => mesh.invoke('hello'))).toBeInstanceOf(UndeclaredCallError);
      expect(await mesh.invoke('someFunction', 'hello world')).toEqual({ got: 'hello world' });
      // The no-name form takes objects and arrays only: an unset name variable is not an input.
      for (const v of [undefined, null, 42, true, Symbol('x'), () => 1, new String('someFunction')]) {
        const err = await refuses(() => mesh.invoke(v, { name: 'x' }));
        expect(err).toBeInstanceOf(InvalidTargetError);
        expect(err.message).toMatch(/object or array input/);
      }
      // Reversed arguments, and a name-less call given three arguments.
      const reversed = await refuses(() => mesh.invoke({ name: 'x' }, 'someFunction'));
      expect(reversed.message).toMatch(/reversed\? The name comes first: sdk\.invoke\("someFunction", input\)/);
      const three = await refuses(() => mesh.invoke({}, {}, {}));
      expect(three.message).toMatch(/three arguments/);
      // An input passed where the options go is an options error, not a call.
      expect(await refuses(() => mesh.invoke({ name: 'x' }, { name: 'y' }))).toBeInstanceOf(InvalidConfigError);
      // A name with nothing to send: the missing input is refused as today.
      expect(await refuses(() => mesh.invoke('someFunction'))).toBeInstanceOf(PayloadNotSerializableError);
    });

    it('invalid names stay INVALID_TARGET with their own reason', async () => {
      const mesh = hello();
      expect((await refuses(() => mesh.invoke('', {}))).message).toMatch(/it is empty/);
      expect((await refuses(() => mesh.invoke('sоmeFunction', {}))).message).toMatch(/U\+043E.*look-alike/);
      expect((await refuses(() => mesh.invoke('x'.repeat(300), {}))).message).toMatch(/longer than 256/);
      expect((await refuses(() => mesh.invoke('1fn', {}))).message).toMatch(/must start with a letter/);
    });

    it('never calls anything for arbitrary arguments that are not a declared call (property)', async () => {
      // A calling list with a shared function name, and no route for any of it: whatever the
      // arguments, the answer is a typed svc-mesh error and no Invoke is sent.
      const m = createSdk(base({ routes: {}, calling: ['x:get', 'y:get', 'z:put'] }));
      const before = ws.invokes.length;
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(fc.anything(), fc.constantFrom('get', 'put', 'x:get', 'ge', 'x:gets', '')),
          fc.anything(),
          fc.anything(),
          async (a, b, c) => {
            const call = m as unknown as {
              invoke(...x: unknown[]): Promise<unknown>;
              invokeAsync(...x: unknown[]): Promise<unknown>;
            };
            for (const f of [call.invoke, call.invokeAsync]) {
              const err = await f.call(m, a, b, c).then(
                () => 'resolved',
                (e: unknown) => e,
              );
              expect(isSvcMeshError(err)).toBe(true);
            }
          },
        ),
        { numRuns: 150 },
      );
      expect(ws.invokes.length).toBe(before);
    });

    it('sdkFor refuses a name that is not service:function', () => {
      expect(() => sdkFor('hello')).toThrow(InvalidTargetError);
    });
  });
});
