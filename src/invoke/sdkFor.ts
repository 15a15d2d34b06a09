/**
 * `sdkFor('service:function')`: the runtime as one function sees it. Codegen declares every
 * function's `calling:` list as a type (`SvcMeshFunctions`, in the generated clients), so with
 * the generated clients in the program the short forms type-check against that list:
 *
 *   const sdk = sdkFor('helloService:hello');
 *   await sdk.invoke('otherService:someFunction', input);  // the full name
 *   await sdk.invoke('someFunction', input);              // a function name alone
 *   await sdk.invoke(input);                              // no name: the only declared target
 *
 * Input and output types are those of the target the call resolves to; an undeclared or
 * ambiguous name, or the no-name form with zero or several targets, does not compile. At run time
 * it is the default `sdk` (or the one given), which resolves against `SVC_MESH_CALLING`.
 */
import { InvalidConfigError } from '../errors/InvalidConfigError.js';
import { formatTarget, parseTarget } from '../internal/names.js';
import { type MeshSdk, type Sdk, getDefaultSdk } from './Sdk.js';
import type { InvokeAsyncOptions, InvokeAsyncResult, InvokeOptions, TargetInput, TargetOutput } from './types.js';

/**
 * Every function's `calling:` list, as a union of full names. Codegen augments it:
 *
 * @example
 * ```ts
 * declare module 'svc-mesh' {
 *   interface SvcMeshFunctions {
 *     'helloService:hello': { calling: 'otherService:someFunction' };
 *   }
 * }
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: augmented by codegen
export interface SvcMeshFunctions {}

/** A function known to {@link SvcMeshFunctions}. */
export type KnownFunction = keyof SvcMeshFunctions & string;

/** The declared targets of a function: its `calling:` union, `never` for none, `string` if unknown. */
export type CallingOf<F extends string> = F extends KnownFunction
  ? SvcMeshFunctions[F] extends { calling: infer C extends string }
    ? C
    : never
  : string;

type FunctionPart<T extends string> = T extends `${string}:${infer F}` ? F : never;
type IsUnion<T, U = T> = [T] extends [never] ? false : T extends unknown ? ([U] extends [T] ? false : true) : never;

/** The function names that pick exactly one of the targets `C` (a name two services share is left out). */
export type ShortNames<C extends string> = {
  [F in FunctionPart<C>]: IsUnion<Extract<C, `${string}:${F}`>> extends true ? never : F;
}[FunctionPart<C>];

/** The full name that `N` (a full name, or a function name alone) means among the targets `C`. */
export type ResolveName<C extends string, N extends string> = N extends C ? N : Extract<C, `${string}:${N}`>;

/** The input the no-name form accepts: objects and arrays only (a string first argument is a name). */
export type UnnamedInput<I> = unknown extends I ? object : Extract<I, object>;

/** Calls by full name or by a function name alone, checked against the declared targets `C`. */
export interface NamedCalls<C extends string> {
  invoke<N extends C | ShortNames<C>>(
    target: N,
    input: TargetInput<ResolveName<C, N>>,
    options?: InvokeOptions,
  ): Promise<TargetOutput<ResolveName<C, N>>>;
  invokeAsync<N extends C | ShortNames<C>>(
    target: N,
    input: TargetInput<ResolveName<C, N>>,
    options?: InvokeAsyncOptions,
  ): Promise<InvokeAsyncResult>;
  /** Prefetches the declared targets (see `sdk.prime`). */
  prime(): Promise<void>;
}

/** The no-name form, for a function with exactly one declared target `T`. */
export interface UnnamedCalls<T extends string> {
  invoke(input: UnnamedInput<TargetInput<T>>, options?: InvokeOptions): Promise<TargetOutput<T>>;
  invokeAsync(input: UnnamedInput<TargetInput<T>>, options?: InvokeAsyncOptions): Promise<InvokeAsyncResult>;
}

/**
 * The sdk of a function whose declared targets are `C`. Unknown function (`C` is `string`): typed
 * like the global `sdk`.
 */
export type FunctionSdk<C extends string> = string extends C
  ? MeshSdk
  : IsUnion<C> extends true
    ? NamedCalls<C>
    : [C] extends [never]
      ? NamedCalls<never>
      : UnnamedCalls<C> & NamedCalls<C>;

/**
 * The runtime bound to one function, typed by its `calling:` list (see the module comment).
 * Call it once at module top level. At run time a call fails with `INVALID_CONFIG` when the
 * function really running (`SVC_MESH_SERVICE`/`SVC_MESH_FUNCTION`) is another one.
 *
 * @example
 * ```ts
 * import { defineFunction, sdkFor } from 'svc-mesh';
 * const sdk = sdkFor('helloService:hello');
 * export const hello = defineFunction(async (input: { name: string }) => sdk.invoke('someFunction', input));
 * ```
 */
export function sdkFor<F extends string>(self: F, options: { sdk?: Sdk } = {}): FunctionSdk<CallingOf<F>> {
  const name = formatTarget(parseTarget(self));
  const runtime = (): Sdk => {
    const s = options.sdk ?? getDefaultSdk();
    const actual = s.config.self;
    if (actual !== undefined && actual !== name)
      throw new InvalidConfigError(
        'sdkFor',
        `sdkFor('${name}') is used in ${actual} (SVC_MESH_SERVICE/SVC_MESH_FUNCTION): its calls would be typed against ` +
          `${name}'s calling: list but checked against ${actual}'s. Fix: sdkFor('${actual}') in ${actual}'s handler.`,
      );
    return s;
  };
  const bound = <A extends unknown[], R>(f: (s: Sdk, ...a: A) => Promise<R>) => {
    return (...a: A): Promise<R> => {
      let s: Sdk;
      try {
        s = runtime();
      } catch (err) {
        return Promise.reject(err);
      }
      return f(s, ...a);
    };
  };
  return {
    invoke: bound((s, a: any, b?: any, c?: any) => s.invoke(a, b, c)),
    invokeAsync: bound((s, a: any, b?: any, c?: any) => s.invokeAsync(a, b, c)),
    prime: bound((s) => s.prime()),
    resolve: bound((s, target: string, stage?: string) => s.resolve(target, stage)),
  } as unknown as FunctionSdk<CallingOf<F>>;
}
