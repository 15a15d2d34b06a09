import { describe, expectTypeOf, it } from 'vitest';
import {
  type HandlerContext,
  type LifecycleEvent,
  type MeshFunction,
  createSdk,
  defineFunction,
  defineSubscriber,
  sdk,
} from 'svc-mesh';

interface ChargeInput {
  orderId: string;
  amountCents: number;
}
interface ChargeOutput {
  chargeId: string;
}

declare module 'svc-mesh' {
  interface SvcMeshTargets {
    'typetest-payments:charge': { input: ChargeInput; output: ChargeOutput };
  }
}

describe('Types: invoke with SvcMeshTargets', () => {
  it('types a known target strictly', () => {
    expectTypeOf(
      sdk.invoke('typetest-payments:charge', { orderId: 'o', amountCents: 1 }),
    ).resolves.toEqualTypeOf<ChargeOutput>();
    // @ts-expect-error wrong input type for a known target
    void sdk.invoke('typetest-payments:charge', { orderId: 1, amountCents: 1 });
    // @ts-expect-error missing field
    void sdk.invoke('typetest-payments:charge', { orderId: 'o' });
    // @ts-expect-error wrong input type for invokeAsync too
    void sdk.invokeAsync('typetest-payments:charge', { orderId: 'o', amountCents: '1' });
    const mesh = createSdk({ stage: 'dev' });
    // @ts-expect-error createSdk() is typed the same way
    void mesh.invoke('typetest-payments:charge', {});
  });

  it('types other string targets as unknown', () => {
    expectTypeOf(sdk.invoke('users:get', { anything: true })).resolves.toBeUnknown();
    const dynamic: string = 'a:b';
    expectTypeOf(sdk.invoke(dynamic, 1)).resolves.toBeUnknown();
    expectTypeOf(sdk.invokeAsync('ledger:record', {})).resolves.toEqualTypeOf<{ requestId?: string }>();
  });

  it('types options', () => {
    void sdk.invoke('users:get', {}, { timeoutMs: 5, idempotencyKey: 'k', stage: 'dev', raw: true });
    // @ts-expect-error unknown option
    void sdk.invoke('users:get', {}, { timeout: 5 });
  });
});

describe('Types: defineFunction / defineSubscriber', () => {
  it('types the handler input, context and output', () => {
    const f = defineFunction<ChargeInput, ChargeOutput>(async (input, ctx) => {
      expectTypeOf(input).toEqualTypeOf<ChargeInput>();
      expectTypeOf(ctx).toEqualTypeOf<HandlerContext>();
      expectTypeOf(ctx.caller).toEqualTypeOf<string | undefined>();
      expectTypeOf(ctx.remainingMs()).toBeNumber();
      return { chargeId: 'c' };
    });
    expectTypeOf(f).toMatchTypeOf<MeshFunction<ChargeInput, ChargeOutput>>();
    // @ts-expect-error the output must match
    defineFunction<ChargeInput, ChargeOutput>(async () => ({ chargeId: 1 }));
  });

  it('types lifecycle events', () => {
    defineSubscriber<ChargeInput, ChargeOutput>(async (event) => {
      expectTypeOf(event).toEqualTypeOf<LifecycleEvent<ChargeInput, ChargeOutput>>();
      expectTypeOf(event.type).toEqualTypeOf<'start' | 'success' | 'failed'>();
      expectTypeOf(event.result).toEqualTypeOf<ChargeOutput | undefined>();
    });
  });
});
