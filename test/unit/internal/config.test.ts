import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidConfigError } from '../../../src/errors/InvalidConfigError.js';
import { resolveConfig } from '../../../src/internal/config.js';

const bad = (env: Record<string, string>, setting: RegExp) => {
  const err = (() => {
    try {
      resolveConfig({ env });
    } catch (e) {
      return e;
    }
  })();
  expect(err).toBeInstanceOf(InvalidConfigError);
  expect((err as Error).message).toMatch(setting);
};

describe('Function: resolveConfig', () => {
  it('reads SVC_MESH_* and AWS_REGION, options first', () => {
    const c = resolveConfig({
      env: {
        SVC_MESH_STAGE: 'alice',
        SVC_MESH_STAGE_FALLBACK: 'dev, staging',
        SVC_MESH_SERVICE: 'orders',
        SVC_MESH_FUNCTION: 'placeOrder',
        SVC_MESH_CALLING: 'payments:charge,ledger:record',
        SVC_MESH_SUBSCRIBABLE: 'true',
        SVC_MESH_DISCOVERY: 'routes,ssm',
        SVC_MESH_TOPICS: '{"failed":"arn:aws:sns:us-east-1:000000000000:orders-alice-placeOrder-failed"}',
        SVC_MESH_ROUTES: '{"x:y":"my-fn:live"}',
        AWS_DEFAULT_REGION: 'eu-west-1',
      },
      region: 'us-east-2',
    });
    expect(c).toMatchObject({
      stage: 'alice',
      stageFallback: ['dev', 'staging'],
      self: 'orders:placeOrder',
      subscribable: true,
      discovery: ['routes', 'ssm'],
      region: 'us-east-2',
      topics: { failed: 'arn:aws:sns:us-east-1:000000000000:orders-alice-placeOrder-failed' },
    });
    expect([...c.calling!]).toEqual(['payments:charge', 'ledger:record']);
    expect(c.routes.get('x:y')).toEqual({ functionArn: 'my-fn:live' });
  });

  it('treats an empty SVC_MESH_CALLING as "calls nothing" and an unset one as not enforced', () => {
    expect(resolveConfig({ env: { SVC_MESH_CALLING: '' } }).calling?.size).toBe(0);
    expect(resolveConfig({ env: {} }).calling).toBeUndefined();
    expect(resolveConfig({ env: { SVC_MESH_CALLING: 'a:b' }, calling: null }).calling).toBeUndefined();
  });

  it('names the variable at fault for every malformed value', () => {
    bad({ SVC_MESH_STAGE: 'dev stage' }, /SVC_MESH_STAGE/);
    bad({ SVC_MESH_STAGE_FALLBACK: 'dev,st_age' }, /SVC_MESH_STAGE_FALLBACK/);
    bad({ SVC_MESH_CALLING: 'payments' }, /SVC_MESH_CALLING.*payments/);
    bad({ SVC_MESH_ROUTES: '{nope' }, /SVC_MESH_ROUTES is not valid JSON/);
    bad({ SVC_MESH_ROUTES: '{"a:b":"not an arn!"}' }, /route for 'a:b'/);
    bad({ SVC_MESH_ROUTES: `{"a:b":"${'x'.repeat(65)}"}` }, /neither a Lambda function ARN nor a name/);
    bad({ SVC_MESH_ROUTES: '{"ab":"fn"}' }, /invalid key/);
    bad(
      { SVC_MESH_TOPICS: '{"start":"arn:aws:lambda:us-east-1:000000000000:function:x"}' },
      /SVC_MESH_TOPICS.*SNS topic ARN/,
    );
    bad({ SVC_MESH_TOPICS: '{"begin":"x"}' }, /unknown lifecycle type/);
    bad({ SVC_MESH_DISCOVERY: 'routes,dns' }, /unknown source "dns"/);
    bad({ SVC_MESH_SUBSCRIBABLE: 'yes' }, /SVC_MESH_SUBSCRIBABLE/);
    bad({ SVC_MESH_SSM_PREFIX: 'svc-mesh' }, /SVC_MESH_SSM_PREFIX/);
    bad({ SVC_MESH_SERVICE: 'orders', SVC_MESH_FUNCTION: '9fn' }, /SVC_MESH_SERVICE\/SVC_MESH_FUNCTION/);
  });

  it('never throws anything but InvalidConfigError, whatever the environment', () => {
    const keys = [
      'SVC_MESH_STAGE',
      'SVC_MESH_STAGE_FALLBACK',
      'SVC_MESH_CALLING',
      'SVC_MESH_ROUTES',
      'SVC_MESH_TOPICS',
      'SVC_MESH_DISCOVERY',
      'SVC_MESH_SUBSCRIBABLE',
      'SVC_MESH_SSM_PREFIX',
    ];
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...keys), fc.oneof(fc.string(), fc.json())), (env) => {
        try {
          resolveConfig({ env });
        } catch (e) {
          expect(e).toBeInstanceOf(InvalidConfigError);
        }
      }),
    );
  });
});

describe('Unknown options', () => {
  it('rejects a misspelt createSdk option instead of ignoring it', () => {
    expect(() => resolveConfig({ stageFallbacks: ['dev'] } as never)).toThrow(/no option "stageFallbacks"/);
    expect(() => resolveConfig(null as never)).toThrow(InvalidConfigError);
  });
});
