import { defineFunction, sdk } from 'svc-mesh';
import type { SomeInput, SomeOutput } from '../otherService/handler.js';

export interface HelloInput {
  name: string;
}

export interface HelloOutput {
  greeting: string;
  from: string;
}

/** The plan's `sdk.invoke('otherService:someFunction', parameters, …)`, with a promise instead of a callback. */
export const hello = defineFunction<HelloInput, HelloOutput>(async (input) => {
  const result = (await sdk.invoke('otherService:someFunction', {
    name: input.name,
  } satisfies SomeInput)) as SomeOutput;
  return { greeting: `hello, ${result.upper}`, from: result.servedBy };
});
