/**
 * The short call forms are typed per function (issue 17): `sdkFor('service:function')` checks a
 * function name alone and the no-name form against that function's `calling:` list, which codegen
 * emits as `SvcMeshFunctions` (here: the golden clients of examples/serverless-2016, plus a local
 * augmentation with an ambiguous pair). Ambiguous or undeclared names must not compile.
 */
import { type FunctionSdk, type MeshSdk, type ShortNames, createSdk, sdk, sdkFor } from 'svc-mesh';
import { describe, expectTypeOf, it } from 'vitest';
import type { OtherServiceTypes } from '../codegen/__golden__/generated/serverless-2016/clients/index.js';

interface UserOut {
  name: string;
}
interface OrderOut {
  total: number;
}

declare module 'svc-mesh' {
  interface SvcMeshTargets {
    'typetest-users:get': { input: { id: string }; output: UserOut };
    'typetest-orders:get': { input: { orderId: string }; output: OrderOut };
    'typetest-orders:place': { input: { sku: string }; output: { orderId: string } };
    'typetest-text:echo': { input: string; output: string };
  }
  interface SvcMeshFunctions {
    'typetest-shop:checkout': { calling: 'typetest-users:get' | 'typetest-orders:get' | 'typetest-orders:place' };
    'typetest-shop:lonely': { calling: never };
    'typetest-shop:shout': { calling: 'typetest-text:echo' };
  }
}

describe('Types: short call forms through the generated calling lists', () => {
  it('types the three forms of hello (examples/serverless-2016) as otherService:someFunction', () => {
    const hello = sdkFor('helloService:hello');
    type Out = OtherServiceTypes.SomeOutput;
    expectTypeOf(hello.invoke('otherService:someFunction', { name: 'a' })).resolves.toEqualTypeOf<Out>();
    expectTypeOf(hello.invoke('someFunction', { name: 'a' })).resolves.toEqualTypeOf<Out>();
    expectTypeOf(hello.invoke({ name: 'a' })).resolves.toEqualTypeOf<Out>();
    expectTypeOf(hello.invoke({ name: 'a' }, { idempotencyKey: 'k' })).resolves.toEqualTypeOf<Out>();
    expectTypeOf(hello.invokeAsync('someFunction', { name: 'a' })).resolves.toEqualTypeOf<{ requestId?: string }>();
    expectTypeOf(hello.invokeAsync({ name: 'a' })).resolves.toEqualTypeOf<{ requestId?: string }>();
  });

  it('rejects wrong inputs, undeclared names and confusable forms', () => {
    const hello = sdkFor('helloService:hello');
    // @ts-expect-error the resolved target's input type applies to a function name alone
    void hello.invoke('someFunction', { name: 1 });
    // @ts-expect-error and to the no-name form
    void hello.invoke({ nom: 'a' });
    // @ts-expect-error a function name that is not declared (a typo)
    void hello.invoke('someFuncton', { name: 'a' });
    // @ts-expect-error a valid-looking service:function that hello does not declare
    void hello.invoke('subscriberService:createUser', { email: 'a@b', name: 'a' });
    // @ts-expect-error another service's function of the same name is not declared either
    void hello.invoke('wrongService:someFunction', { name: 'a' });
    // @ts-expect-error a string first argument is a name, never the input of the no-name form
    void hello.invoke('world');
    // @ts-expect-error invokeAsync is checked the same way
    void hello.invokeAsync('someFuncton', { name: 'a' });
    // @ts-expect-error an input where the options go
    void hello.invoke({ name: 'a' }, { name: 'b' });
  });

  it('an ambiguous function name does not compile; unique ones resolve to their target', () => {
    const checkout = sdkFor('typetest-shop:checkout');
    expectTypeOf(checkout.invoke('place', { sku: 's' })).resolves.toEqualTypeOf<{ orderId: string }>();
    expectTypeOf(checkout.invoke('typetest-users:get', { id: '1' })).resolves.toEqualTypeOf<UserOut>();
    expectTypeOf(checkout.invoke('typetest-orders:get', { orderId: '1' })).resolves.toEqualTypeOf<OrderOut>();
    expectTypeOf<
      ShortNames<'typetest-users:get' | 'typetest-orders:get' | 'typetest-orders:place'>
    >().toEqualTypeOf<'place'>();
    // @ts-expect-error 'get' is typetest-users:get and typetest-orders:get: write the full name
    void checkout.invoke('get', { id: '1' });
    // @ts-expect-error the no-name form needs exactly one declared target (there are three)
    void checkout.invoke({ sku: 's' });
    // @ts-expect-error the input is the resolved target's
    void checkout.invoke('place', { id: '1' });
  });

  it('a function that declares nothing can call nothing; a string input needs the name', () => {
    const lonely = sdkFor('typetest-shop:lonely');
    // @ts-expect-error no declared target for the no-name form
    void lonely.invoke({});
    // @ts-expect-error nor for a name
    void lonely.invoke('typetest-users:get', { id: '1' });
    const shout = sdkFor('typetest-shop:shout');
    expectTypeOf(shout.invoke('echo', 'hi')).resolves.toEqualTypeOf<string>();
    // @ts-expect-error a string input cannot go through the no-name form: it would read as a name
    void shout.invoke('hi');
  });

  it('an unknown function is typed like the global sdk, which keeps working as today', () => {
    expectTypeOf(sdkFor('typetest-nowhere:fn')).toEqualTypeOf<MeshSdk>();
    expectTypeOf<FunctionSdk<string>>().toEqualTypeOf<MeshSdk>();
    expectTypeOf(sdk.invoke('typetest-users:get', { id: '1' })).resolves.toEqualTypeOf<UserOut>();
    // @ts-expect-error the full-name form stays strict for known targets
    void sdk.invoke('typetest-users:get', { id: 1 });
    expectTypeOf(sdk.invoke('someFunction', { name: 'a' })).resolves.toBeUnknown();
    expectTypeOf(sdk.invoke({ name: 'a' })).resolves.toBeUnknown();
    expectTypeOf(createSdk().invokeAsync({ name: 'a' })).resolves.toEqualTypeOf<{ requestId?: string }>();
    // @ts-expect-error the no-name form takes an object or array, not a number
    void sdk.invoke(42);
  });
});
