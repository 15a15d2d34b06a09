import { describe, expect, it } from 'vitest';
import * as errors from '../../../src/errors/index.js';
import { ERROR_CODES, SvcMeshError, isSvcMeshError } from '../../../src/errors/index.js';

const samples: [SvcMeshError, string, RegExp][] = [
  [
    new errors.UndeclaredCallError('orders:placeOrder', 'payments:refund', ['payments:charge']),
    'UNDECLARED_CALL',
    /calling: \['payments:refund'\]/,
  ],
  [
    new errors.AmbiguousTargetError('orders:place', 'get', ['a:get', 'b:get']),
    'AMBIGUOUS_TARGET',
    /'a:get', 'b:get'.*sdk\.invoke\('a:get', input\)/,
  ],
  [
    new errors.UnnamedCallError('orders:place', ['a:get', 'b:get']),
    'UNNAMED_CALL',
    /declares 2: 'a:get', 'b:get'.*sdk\.invoke\('a:get', input\)/,
  ],
  [
    new errors.TargetNotFoundError('a:b', [{ stage: 'alice', source: 'ssm', name: '/svc-mesh/alice/a/b' }]),
    'TARGET_NOT_FOUND',
    /alice.*\/svc-mesh\/alice\/a\/b/,
  ],
  [
    new errors.DiscoveryError('a:b', 'ssm', 'ThrottlingException: Rate exceeded'),
    'DISCOVERY_FAILED',
    /SSM GetParameters failed/,
  ],
  [
    new errors.RemoteFunctionError({
      target: 'a:b',
      errorType: 'TypeError',
      errorMessage: 'x is undefined',
      remoteTrace: ['TypeError: x is undefined', '    at h (index.js:1:1)'],
      requestId: 'r-1',
    }),
    'REMOTE_FUNCTION_ERROR',
    /'a:b' failed with TypeError: x is undefined \(request id r-1\)/,
  ],
  [
    new errors.InvokeTimeoutError('a:b', 'client', 100, 'after 1 attempt'),
    'INVOKE_TIMEOUT',
    /did not answer within 100 ms/,
  ],
  [
    new errors.PayloadTooLargeError('a:b', 'async', 2_000_000, 1_048_576),
    'PAYLOAD_TOO_LARGE',
    /2,000,000 bytes.*1,048,576/,
  ],
  [
    new errors.PayloadNotSerializableError('a:b', '$.n', 'a BigInt value'),
    'PAYLOAD_NOT_SERIALIZABLE',
    /BigInt value at \$\.n/,
  ],
  [new errors.ThrottledError('a:b', 4, 'TooManyRequestsException'), 'THROTTLED', /all 4 attempts/],
  [
    new errors.AccessDeniedError('a:b', 'lambda:InvokeFunction', 'arn:x', 'denied', 'o:p'),
    'ACCESS_DENIED',
    /functions\.p\.calling/,
  ],
  [new errors.AbortedError('a:b', 0), 'ABORTED', /Nothing was sent/],
  [
    new errors.InvokeError('a:b', 'InvalidRequestContentException', 'bad'),
    'INVOKE_FAILED',
    /InvalidRequestContentException/,
  ],
  [new errors.PublishError('a:b', 'failed', undefined, 'no topic'), 'PUBLISH_FAILED', /'failed' lifecycle event/],
  [new errors.InvalidEventError('no Sns'), 'INVALID_EVENT', /no Sns/],
  [new errors.InvalidTargetError('users', 'no colon'), 'INVALID_TARGET', /'service:function'/],
  [new errors.InvalidConfigError('SVC_MESH_STAGE', 'missing'), 'INVALID_CONFIG', /missing/],
  [new errors.DiscoveryRecordError('ssm:/x', 'not JSON'), 'INVALID_DISCOVERY_RECORD', /ssm:\/x/],
];

describe('Errors', () => {
  it.each(samples.map((s) => [s[0].name, ...s] as const))(
    '%s has its stable code, a guard and a message that says how to fix it',
    (_n, err, code, msg) => {
      expect(err).toBeInstanceOf(SvcMeshError);
      expect(err.code).toBe(code);
      expect(err.fault).toBe(ERROR_CODES[err.code].fault);
      expect(err.message).toMatch(msg);
      expect(isSvcMeshError(err)).toBe(true);
      const guard = (errors as Record<string, unknown>)[`is${err.name}`] as (e: unknown) => boolean;
      expect(guard(err)).toBe(true);
      expect(guard(new Error('x'))).toBe(false);
      expect(JSON.parse(JSON.stringify(err))).toMatchObject({ name: err.name, code });
    },
  );

  it('covers every runtime failure with its own class', () => {
    const names = new Set(samples.map((s) => s[0].name));
    expect(names.size).toBe(samples.length);
  });

  it('appends the remote trace to the local stack of RemoteFunctionError', () => {
    const e = new errors.RemoteFunctionError({
      target: 'a:b',
      errorType: 'E',
      errorMessage: 'm',
      remoteTrace: ['E: m', '    at remote (x.js:1:1)'],
    });
    expect(e.stack).toContain('--- remote (a:b) ---');
    expect(e.stack).toContain('at remote (x.js:1:1)');
  });
});
