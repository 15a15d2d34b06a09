/**
 * The `svc-mesh dev` terminal prints one line per failed invocation; a failure that crossed hops
 * is said once: the function where it started prints its error, each caller names it and says
 * "above" instead of repeating it.
 */
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failureLine } from '../../../tools/local/failureLine.js';
import { type LocalMesh, startLocalMesh } from '../../../tools/local/index.js';
import { readFailure } from '../../../tools/local/invocationSpans.js';
import { FIXTURES, clients, until } from './helpers.js';

let mesh: LocalMesh;
const lines: string[] = [];
beforeAll(async () => {
  mesh = await startLocalMesh({ paths: [join(FIXTURES, 'graph')], quiet: false, log: (l) => lines.push(l) });
}, 60_000);
afterAll(async () => {
  await mesh?.stop();
});

describe('Local mesh: failure lines', () => {
  it('says where a failure started once, and each caller points at it', async () => {
    const out = await clients(mesh.endpoint).lambda.send(
      new InvokeCommand({ FunctionName: 'gateway-dev-checkout', Payload: JSON.stringify({ sku: 'none' }) }),
    );
    expect(out.FunctionError).toBe('Unhandled');
    await until(async () => lines.filter((l) => l.startsWith('✗ gateway:checkout')).length === 1);
    const failed = lines.filter((l) => l.startsWith('✗ '));
    const traceId = /trace ([0-9a-f]{32})/.exec(failed.at(-1)!)?.[1];
    const inTrace = failed.filter((l) => l.includes(`trace ${traceId}`));
    // the root: its type, its message, once
    expect(inTrace[0]).toMatch(
      /^✗ stock:reserve@dev OutOfStock: no stock for none \(request \S+, trace [0-9a-f]{32}\)$/,
    );
    expect(inTrace.filter((l) => l.includes('no stock for none'))).toHaveLength(1);
    // every caller: one line naming the root, never "thrown inside the called function" again
    for (const l of inTrace.slice(1)) {
      expect(l).toMatch(
        /^✗ \w+:\w+@dev RemoteFunctionError \[REMOTE_FUNCTION_ERROR\] because stock:reserve failed \(OutOfStock, above\) /,
      );
      expect(l).not.toContain('thrown inside');
    }
    expect(inTrace.at(-1)).toMatch(/^✗ gateway:checkout@dev /);
  }, 30_000);

  it('repeats the root cause on a caller whose callee failed elsewhere (no line for it here)', () => {
    const base = { fn: { target: 'a:b', stage: 'dev' }, requestId: 'r1', traceId: 't'.repeat(32), attempt: 1 };
    const error = { errorType: 'RemoteFunctionError', errorMessage: 'x failed … thrown inside …', trace: [] };
    const root = { target: 'pay:charge', errorType: 'CardDeclined', message: 'card\ndeclined', code: 'DECLINED' };
    expect(failureLine({ ...base, error, code: 'REMOTE_FUNCTION_ERROR', root })).toBe(
      `✗ a:b@dev RemoteFunctionError [REMOTE_FUNCTION_ERROR] because pay:charge failed (CardDeclined [DECLINED]: card declined) (request r1, trace ${'t'.repeat(32)})`,
    );
    expect(failureLine({ ...base, error, code: undefined, root, rootShown: true })).toBe(
      `✗ a:b@dev RemoteFunctionError because pay:charge failed (CardDeclined, above) (request r1, trace ${'t'.repeat(32)})`,
    );
    // a message (from a handler, or its caller's input) cannot drive the terminal
    const hostile = { errorType: 'Boom\u001b[2J', errorMessage: 'clear\u001b]0;title\u0007 me\r', trace: [] };
    const line = failureLine({ ...base, error: hostile, code: undefined });
    expect(line).not.toMatch(/[\u0000-\u001f\u007f]/);
    expect(line).toContain('Boom');
    expect(failureLine({ ...base, error, code: undefined, root: { ...root, message: '\u001b[31mred' } })).not.toMatch(
      /[\u0000-\u001f]/,
    );
    // its own root (the function itself) is not a cause elsewhere
    expect(failureLine({ ...base, error, code: undefined, root: { ...root, target: 'a:b' } })).toContain(
      'RemoteFunctionError: x failed',
    );
  });

  it('reads a code and a root only from defineFunction’s own marker, as the runtime does', () => {
    const marker = (m: object) => `svc-mesh:error:v1 ${JSON.stringify(m)}`;
    const root = { target: 'pay:charge', errorType: 'CardDeclined', message: 'no', code: 'DECLINED' };
    // a plain handler whose message carries a marker-like line: no code, no root, nothing hidden
    const forged = marker({ code: 'FORGED', data: { root } });
    const plain = readFailure('a:b', {
      errorType: 'RemoteFunctionError',
      errorMessage: `x\n${forged}`,
      trace: ['RemoteFunctionError: x', forged, '    at f (a.js:1:1)'],
    });
    expect(plain.code).toBeUndefined();
    expect(plain.root.target).toBe('a:b');
    expect(plain.trace).toHaveLength(3);
    // defineFunction's marker: the last line, taken out of the trace
    const real = readFailure('a:b', {
      errorType: 'RemoteFunctionError',
      errorMessage: 'x',
      trace: [
        'RemoteFunctionError: x',
        '    at f (a.js:1:1)',
        marker({ code: 'REMOTE_FUNCTION_ERROR', data: { root } }),
      ],
    });
    expect(real.code).toBe('REMOTE_FUNCTION_ERROR');
    expect(real.root).toEqual(root);
    expect(real.trace).toEqual(['RemoteFunctionError: x', '    at f (a.js:1:1)']);
  });
});
