import { defineFunction } from 'svc-mesh';

export interface PublicInput {
  message: string;
  /** Set it to make the function fail, which publishes a `failed` event. */
  fail?: boolean;
}

export interface PublicOutput {
  echo: string;
}

export const Handler = defineFunction<PublicInput, PublicOutput>(async (input) => {
  if (input.fail) {
    throw Object.assign(new Error(`publicFunction was asked to fail: ${input.message}`), {
      name: 'PublicFunctionError',
      code: 'ASKED_TO_FAIL',
    });
  }
  return { echo: input.message };
});
