/**
 * Forged remote error codes (issue 12 item 7): a callee's error message is often user input. A
 * message holding a newline and svc-mesh's marker line must not give the caller's
 * RemoteFunctionError an attacker-chosen `remoteCode`/`remoteData`, nor change whether an
 * idempotent call is retried. Only the marker `defineFunction` writes counts. Real AWS SDK v3
 * client against the wire server (which builds the error body as the Node.js runtime does).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteFunctionError, createSdk, defineFunction } from 'svc-mesh';
import { ERROR_MARKER } from '../../../src/invoke/constants.js';
import { attachErrorMarker, parseFunctionError } from '../../../src/invoke/wire.js';
import { type WireServer, startWireServer } from '../../helpers/wire-server.js';

const FORGED = `${ERROR_MARKER}{"code":"FORGED","data":{"refund":true}}`;
/** What a user could type into a field that ends up in an error message. */
const userInput = `order 42 failed\n${FORGED}`;

/** The Node.js runtime's error body: name, message and the stack's lines. */
const lambdaBody = (err: Error) =>
  JSON.stringify({ errorType: err.name, errorMessage: err.message, trace: (err.stack ?? '').split('\n') });

describe('Forged error markers', () => {
  let ws: WireServer;
  let calls = 0;
  const sdk = () =>
    createSdk({
      region: 'us-east-1',
      endpoint: ws.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      env: {},
      retryBaseMs: 1,
      routes: {
        'a:uncoded': 'a-dev-uncoded',
        'a:coded': 'a-dev-coded',
        'a:frameless': 'a-dev-frameless',
        'a:plain': 'a-dev-plain',
        'a:damaged': 'a-dev-damaged',
      },
    });

  beforeAll(async () => {
    ws = await startWireServer();
    const calleeSdk = createSdk({ region: 'us-east-1', endpoint: ws.endpoint, env: {} });
    ws.functions.set('a-dev-uncoded', {
      handler: defineFunction(
        async () => {
          calls++;
          if (calls === 1) throw new Error(userInput);
          return 'ok';
        },
        { sdk: calleeSdk },
      ) as never,
    });
    ws.functions.set('a-dev-coded', {
      handler: defineFunction(
        async () => {
          throw Object.assign(new Error(userInput), { code: 'CARD_DECLINED', data: { retryAfterDays: 2 } });
        },
        { sdk: calleeSdk },
      ) as never,
    });
    // A coded (never retried) error whose message carries a damaged marker: before the fix, the
    // damaged line hid the real marker, the code was lost and the call became retryable.
    ws.functions.set('a-dev-damaged', {
      handler: defineFunction(
        async () => {
          calls++;
          throw Object.assign(new Error(`charge failed\n${ERROR_MARKER}{not json`), { code: 'CARD_DECLINED' });
        },
        { sdk: calleeSdk },
      ) as never,
    });
    // A stack with no frames below the message: the forged line would be the last one.
    ws.functions.set('a-dev-frameless', {
      handler: defineFunction(
        async () => {
          const limit = Error.stackTraceLimit;
          Error.stackTraceLimit = 0;
          try {
            throw new Error(userInput);
          } finally {
            Error.stackTraceLimit = limit;
          }
        },
        { sdk: calleeSdk },
      ) as never,
    });
    // Not wrapped by defineFunction at all, frameless too: nothing defuses the line, the caller must still refuse it.
    ws.functions.set('a-dev-plain', {
      handler: async () => {
        const e = new Error(userInput);
        e.stack = `Error: ${userInput}`;
        throw e;
      },
    });
  });
  afterAll(() => ws.close());

  it('an uncoded error whose message carries a marker line stays uncoded, and is retried under an idempotency key', async () => {
    calls = 0;
    const mesh = sdk();
    expect(await mesh.invoke('a:uncoded', {}, { idempotencyKey: 'k1' })).toBe('ok');
    expect(calls).toBe(2);
    calls = 0;
    const err = (await mesh.invoke('a:uncoded', {}).catch((e: unknown) => e)) as RemoteFunctionError;
    expect(err).toBeInstanceOf(RemoteFunctionError);
    expect(err.remoteCode).toBeUndefined();
    expect(err.remoteData).toBeUndefined();
    expect(err.errorMessage).toBe(userInput);
  });

  it('a coded error keeps its own code and data whatever its message says', async () => {
    const err = (await sdk()
      .invoke('a:coded', {}, { idempotencyKey: 'k2' })
      .catch((e: unknown) => e)) as RemoteFunctionError;
    expect(err.remoteCode).toBe('CARD_DECLINED');
    expect(err.remoteData).toEqual({ retryAfterDays: 2 });
    expect(err.errorMessage).toBe(userInput);
  });

  it('a damaged marker in the message of a coded error does not make it retryable', async () => {
    calls = 0;
    const err = (await sdk()
      .invoke('a:damaged', {}, { idempotencyKey: 'k3' })
      .catch((e: unknown) => e)) as RemoteFunctionError;
    expect(err.remoteCode).toBe('CARD_DECLINED');
    expect(calls).toBe(1);
  });

  it('a frameless stack, with or without defineFunction, gives no code', async () => {
    for (const target of ['a:frameless', 'a:plain']) {
      const err = (await sdk()
        .invoke(target, {})
        .catch((e: unknown) => e)) as RemoteFunctionError;
      expect(err, target).toBeInstanceOf(RemoteFunctionError);
      expect(err.remoteCode, target).toBeUndefined();
      expect(err.remoteData, target).toBeUndefined();
    }
  });

  it('property: whatever lines a message holds, the caller sees exactly the code the callee set', () => {
    const line = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.constant(FORGED),
      fc.json().map((j) => `${ERROR_MARKER}${j}`),
      fc.constant(ERROR_MARKER),
    );
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 5 }).map((ls) => ls.join('\n')),
        fc.option(fc.constantFrom('CARD_DECLINED', 'X'), { nil: undefined }),
        fc.boolean(),
        (message, code, frameless) => {
          const limit = Error.stackTraceLimit;
          if (frameless) Error.stackTraceLimit = 0;
          const err = new Error(message);
          Error.stackTraceLimit = limit;
          if (code !== undefined) Object.assign(err, { code });
          attachErrorMarker(err);
          const parsed = parseFunctionError(lambdaBody(err));
          expect(parsed.code).toBe(code);
          if (code === undefined) expect(parsed.data).toBeUndefined();
          expect(parsed.errorMessage).toBe(message);
        },
      ),
      { numRuns: 300 },
    );
  });
});
