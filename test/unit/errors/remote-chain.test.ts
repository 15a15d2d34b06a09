/** A failure passed on through several functions keeps its root code, and says each hop once. */
import { describe, expect, it } from 'vitest';
import { RemoteFunctionError } from '../../../src/errors/RemoteFunctionError.js';
import { attachErrorMarker, parseFunctionError } from '../../../src/invoke/wire.js';

/** What Lambda sends back for an error thrown by a handler (Node runtime), read by the caller's SDK. */
function overTheWire(err: Error, target: string, requestId: string): RemoteFunctionError {
  attachErrorMarker(err);
  const body = JSON.stringify({ errorType: err.name, errorMessage: err.message, trace: err.stack?.split('\n') ?? [] });
  const e = parseFunctionError(body);
  return new RemoteFunctionError({
    target,
    requestId,
    errorType: e.errorType,
    errorMessage: e.errorMessage,
    remoteTrace: e.trace,
    remoteCode: e.code,
    remoteData: e.data,
  });
}

describe('RemoteFunctionError chain', () => {
  it('keeps the root code through three hops and says the closing sentence once', () => {
    const thrown = Object.assign(new Error('no route for sku-9'), {
      name: 'InvalidAddressError',
      code: 'INVALID_ADDRESS',
    });
    const atB = overTheWire(thrown, 'stock:reserve', 'r3'); // B got it from C
    const atA = overTheWire(atB, 'pricing:quote', 'r2'); // A got B's rethrow
    const atCaller = overTheWire(atA, 'gateway:checkout', 'r1');
    for (const e of [atB, atA, atCaller]) {
      expect(e.root).toEqual({
        target: 'stock:reserve',
        errorType: 'InvalidAddressError',
        message: 'no route for sku-9',
        code: 'INVALID_ADDRESS',
      });
      expect(e.message.match(/The error was thrown inside the called function/g)).toHaveLength(1);
    }
    expect(atCaller.message).toBe(
      "'gateway:checkout' failed (request id r1): 'pricing:quote' failed (request id r2): " +
        "'stock:reserve' failed with InvalidAddressError [INVALID_ADDRESS]: no route for sku-9 (request id r3). " +
        'The error was thrown inside the called function; see its logs or the remote trace on this error (`remoteTrace`).',
    );
    expect(atCaller.toJSON().root.code).toBe('INVALID_ADDRESS');
  });
});
