import { randomUUID } from 'node:crypto';
import { defineFunction, defineSubscriber } from 'svc-mesh';

export interface CreateUserInput {
  email: string;
  name: string;
}

export interface CreateUserOutput {
  userId: string;
  email: string;
}

/** Creates a user. Subscribable: every start, success and failure is published. */
export const createUser = defineFunction<CreateUserInput, CreateUserOutput>(async (input) => {
  if (!input.email.includes('@')) {
    throw Object.assign(new Error(`'${input.email}' is not an email address`), {
      name: 'InvalidEmailError',
      code: 'INVALID_EMAIL',
    });
  }
  return { userId: randomUUID(), email: input.email };
});

/**
 * Runs on `subscriberService:createUser` start and on `testService:publicFunction` failed.
 * One handler, two event sources: `event.source` says which one it is.
 */
export const sendWelcomeEmail = defineSubscriber(async (event) => {
  const sender = process.env['WELCOME_SENDER'] ?? 'welcome@example.com';
  if (event.source === 'subscriberService:createUser') {
    const user = event.input as CreateUserInput;
    console.log(`[${event.id}] ${sender} → ${user.email}: welcome, ${user.name}!`);
  } else {
    console.log(`[${event.id}] ${event.source} ${event.type}: ${event.error?.type}: ${event.error?.message}`);
  }
});
