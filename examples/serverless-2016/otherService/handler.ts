import { defineFunction } from 'svc-mesh';

export interface SomeInput {
  name: string;
}

export interface SomeOutput {
  upper: string;
  servedBy: string;
}

export const someFunction = defineFunction<SomeInput, SomeOutput>(async (input) => ({
  upper: input.name.toUpperCase(),
  servedBy: process.env['SERVED_BY'] ?? 'otherService',
}));
