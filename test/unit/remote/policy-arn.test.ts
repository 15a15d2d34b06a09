/**
 * A remote function's ARN carries the remote account; the caller's generated policy was
 * generated for the local account. The check must map one onto the other, and nothing else.
 */
import { describe, expect, it } from 'vitest';
import { MeshCore } from '../../../tools/local/core.js';
import { policyArn } from '../../../tools/local/remote/hooks.js';

const core = () =>
  new MeshCore({
    region: 'us-east-1',
    account: '000000000000',
    iam: true,
    tracing: false,
    asyncRetryDelaysMs: [0],
    log: () => {},
  });

describe('policyArn', () => {
  it('maps the remote account to the local one in hybrid mode only', () => {
    const c = core();
    const arn = 'arn:aws:lambda:us-east-1:123456789012:function:payments-dev-charge';
    expect(policyArn(c, arn)).toBe(arn);
    (c as unknown as { remote: object }).remote = {};
    expect(policyArn(c, arn)).toBe('arn:aws:lambda:us-east-1:000000000000:function:payments-dev-charge');
    expect(policyArn(c, `${arn}:live`)).toBe('arn:aws:lambda:us-east-1:000000000000:function:payments-dev-charge:live');
    // Names are never rewritten, so a denial stays a denial.
    expect(policyArn(c, 'arn:aws:lambda:us-east-1:123456789012:function:123456789012')).toBe(
      'arn:aws:lambda:us-east-1:000000000000:function:123456789012',
    );
  });

  it('a remote target outside the generated policy is still denied', () => {
    const c = core();
    (c as unknown as { remote: object }).remote = {};
    const principal = {
      kind: 'function' as const,
      target: 'orders:placeOrder',
      functionName: 'orders-alice-placeOrder',
      roleName: 'orders-alice-placeOrder',
      policies: [
        {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: 'lambda:InvokeFunction',
              Resource: 'arn:aws:lambda:us-east-1:000000000000:function:payments-dev-charge',
            },
          ],
        },
      ],
    };
    const remote = (fn: string) => policyArn(c, `arn:aws:lambda:us-east-1:123456789012:function:${fn}`);
    expect(c.authorize(principal as never, 'lambda:InvokeFunction', remote('payments-dev-charge'))).toBeUndefined();
    expect(c.authorize(principal as never, 'lambda:InvokeFunction', remote('ledger-dev-record'))).toBeDefined();
  });
});

describe('checkContract', () => {
  it('warns once per target naming both hashes and svc-codegen check; silent when equal or unknown', async () => {
    const { checkContract } = await import('../../../tools/local/remote/hooks.js');
    const lines: string[] = [];
    const hook = {
      stage: { ssmPrefix: '/svc-mesh' },
      warnedContracts: new Set<string>(),
      expectedContracts: new Map([['payments:charge', 'aaaa1111']]),
      warn: (l: string) => lines.push(l),
    } as never;
    const rec = (contract: string) =>
      JSON.stringify({ v: 1, functionArn: 'arn:aws:lambda:us-east-1:1:function:x', contract });
    checkContract(hook, '/svc-mesh/dev/payments/charge', rec('aaaa1111'));
    checkContract(hook, '/svc-mesh/dev/ledger/record', rec('ffff'));
    expect(lines).toEqual([]);
    checkContract(hook, '/svc-mesh/dev/payments/charge', rec('bbbb2222'));
    checkContract(hook, '/svc-mesh/alice/payments/charge', rec('cccc3333'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('payments:charge deployed at dev has contract bbbb2222');
    expect(lines[0]).toContain('generated for aaaa1111');
    expect(lines[0]).toContain('npx svc-codegen check');
  });
});
