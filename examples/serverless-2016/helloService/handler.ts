import { defineFunction, sdkFor } from 'svc-mesh';
import type { SomeInput, SomeOutput } from '../otherService/handler.js';

export interface HelloInput {
  name: string;
}

export interface HelloOutput {
  greeting: string;
  from: string;
}

/** hello's own view of the runtime: its calls resolve against its `calling:` list. */
const sdk = sdkFor('helloService:hello');

/**
 * The plan's `sdk.invoke('otherService:someFunction', parameters, …)`, with a promise instead of a
 * callback, and its shorthand: hello declares one target, so the function name alone is enough
 * ("allow you to use only the function name in invoke"). `sdk.invoke({ name })` (no name at all)
 * and the full name call the same function; traces and errors say `otherService:someFunction`.
 */
export const hello = defineFunction<HelloInput, HelloOutput>(async (input) => {
  const result = (await sdk.invoke('someFunction', { name: input.name } satisfies SomeInput)) as SomeOutput;
  return { greeting: `hello, ${result.upper}`, from: result.servedBy };
});
