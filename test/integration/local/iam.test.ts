/**
 * IAM: our evaluator against an independent oracle (@cloud-copilot/iam-simulate, AGPL,
 * test-only), then enforcement on the wire with a function's own dummy key.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { ListExportsCommand } from '@aws-sdk/client-cloudformation';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { PublishCommand } from '@aws-sdk/client-sns';
import { GetParameterCommand, GetParametersCommand } from '@aws-sdk/client-ssm';
import fc from 'fast-check';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyDocument } from '../../../codegen/model.js';
import { evaluatePolicies, type LocalMesh, startLocalMesh } from '../../../tools/local/index.js';
import { LOCAL_SECRET_ACCESS_KEY } from '../../../tools/local/constants.js';
import { FIXTURES, clients } from './helpers.js';

const ACCOUNT = '000000000000';
const actions = [
  'lambda:InvokeFunction',
  'lambda:GetFunction',
  'sns:Publish',
  'ssm:GetParameter',
  'ssm:GetParameters',
] as const;
const resourceFor = (action: string, name: string) =>
  action.startsWith('lambda:')
    ? `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${name}`
    : action.startsWith('sns:')
      ? `arn:aws:sns:us-east-1:${ACCOUNT}:${name}`
      : `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/svc-mesh/dev/${name}`;

const nameArb = fc.stringMatching(/^[a-c]{1,3}-(dev|alice)-[a-c]{1,3}$/);
/** A pattern derived from a name: the name itself, or with `*` / `?` wildcards put in. */
const patternArb = fc.tuple(nameArb, fc.nat(6), fc.constantFrom('*', '?', '')).map(([n, i, w]) => {
  const at = Math.min(i, n.length);
  return w === '' ? n : n.slice(0, at) + w + n.slice(at + (w === '?' ? 1 : 0));
});
const actionPatternArb = fc.constantFrom(
  ...actions,
  'lambda:Invoke*',
  'ssm:GetParameter?',
  'sns:*',
  'LAMBDA:invokefunction',
  'ssm:Get*',
);
const statementArb = fc.record({
  Effect: fc.constantFrom('Allow', 'Allow', 'Deny') as fc.Arbitrary<'Allow' | 'Deny'>,
  Action: fc.array(actionPatternArb, { minLength: 1, maxLength: 2 }),
  pattern: fc.array(patternArb, { minLength: 1, maxLength: 2 }),
  kind: fc.constantFrom(...actions),
});
const policyArb = fc.array(statementArb, { minLength: 1, maxLength: 3 }).map(
  (sts): PolicyDocument => ({
    Version: '2012-10-17',
    Statement: sts.map((s) => ({
      Effect: s.Effect,
      Action: s.Action,
      Resource: s.pattern.map((p) => resourceFor(s.kind, p)),
    })),
  }),
);

describe('Function: evaluatePolicies', () => {
  it('agrees with an independent IAM simulator on generated policies', async () => {
    await fc.assert(
      fc.asyncProperty(policyArb, fc.constantFrom(...actions), nameArb, async (policy, action, name) => {
        const resource = resourceFor(action, name);
        const ours = evaluatePolicies([policy], action, resource);
        const r = (await runSimulation(
          {
            request: {
              principal: `arn:aws:iam::${ACCOUNT}:role/fn`,
              action,
              resource: { resource, accountId: ACCOUNT },
              contextVariables: {},
            },
            identityPolicies: [{ name: 'p', policy }],
            serviceControlPolicies: [],
            resourceControlPolicies: [],
          } as never,
          {},
        )) as { resultType: string; overallResult?: string; errors?: unknown };
        expect(r.resultType, JSON.stringify(r.errors)).toBe('single');
        const theirs =
          r.overallResult === 'Allowed'
            ? 'allowed'
            : r.overallResult === 'ExplicitlyDenied'
              ? 'explicitDeny'
              : 'implicitDeny';
        expect(ours).toBe(theirs);
      }),
      { numRuns: 300 },
    );
  });

  it('handles the edge cases of wildcards', () => {
    const p = (Action: string, Resource: string, Effect: 'Allow' | 'Deny' = 'Allow'): PolicyDocument => ({
      Version: '2012-10-17',
      Statement: [{ Effect, Action, Resource }],
    });
    expect(
      evaluatePolicies(
        [p('lambda:*', 'arn:aws:lambda:*:*:function:a')],
        'lambda:InvokeFunction',
        'arn:aws:lambda:us-east-1:1:function:a',
      ),
    ).toBe('allowed');
    expect(
      evaluatePolicies(
        [p('lambda:InvokeFunction', 'arn:aws:lambda:us-east-1:1:function:a')],
        'lambda:InvokeFunction',
        'arn:aws:lambda:us-east-1:1:function:a:1',
      ),
    ).toBe('implicitDeny');
    expect(evaluatePolicies([p('*', '*'), p('*', '*', 'Deny')], 'sns:Publish', 'x')).toBe('explicitDeny');
    expect(
      evaluatePolicies([p('sns:Publish', 'arn:aws:sns:us-east-1:1:a.b')], 'sns:Publish', 'arn:aws:sns:us-east-1:1:aXb'),
    ).toBe('implicitDeny');
    expect(evaluatePolicies([], 'sns:Publish', 'x')).toBe('implicitDeny');
  });
});

describe('Local mesh: IAM enforcement on the wire', () => {
  let mesh: LocalMesh;
  let open: LocalMesh;
  const as = (m: LocalMesh, target: string) =>
    clients(m.endpoint, {
      credentials: { accessKeyId: m.fn(target)!.accessKeyId, secretAccessKey: LOCAL_SECRET_ACCESS_KEY },
    });
  const fails = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (err) {
      return err as Error & { $metadata: { httpStatusCode: number } };
    }
    throw new Error('expected an error');
  };

  beforeAll(async () => {
    [mesh, open] = await Promise.all([
      startLocalMesh({ paths: [join(FIXTURES, 'graph')], quiet: true, tracing: false }),
      startLocalMesh({ paths: [join(FIXTURES, 'graph')], quiet: true, tracing: false, iam: false }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([mesh?.stop(), open?.stop()]);
  });

  it('allows what the generated policy grants', async () => {
    const c = as(mesh, 'gateway:checkout');
    const out = await c.lambda.send(new InvokeCommand({ FunctionName: 'pricing-dev-quote', InvocationType: 'DryRun' }));
    expect(out.StatusCode).toBe(204);
    const q = await c.lambda.send(
      new InvokeCommand({ FunctionName: 'pricing-dev-quote:$LATEST', InvocationType: 'DryRun' }),
    );
    expect(q.StatusCode).toBe(204);
    const rec = await c.ssm.send(new GetParameterCommand({ Name: '/svc-mesh/dev/pricing/quote' }));
    expect(rec.Parameter?.Value).toContain('pricing-dev-quote');
  });

  it('denies Invoke with AccessDeniedException naming the permission', async () => {
    const e = await fails(
      as(mesh, 'gateway:checkout').lambda.send(
        new InvokeCommand({ FunctionName: 'stock-dev-reserve', InvocationType: 'DryRun' }),
      ),
    );
    expect(e.name).toBe('AccessDeniedException');
    expect(e.$metadata.httpStatusCode).toBe(403);
    expect(e.message).toBe(
      'User: arn:aws:sts::000000000000:assumed-role/gateway-dev-checkout/gateway-dev-checkout is not authorized to perform: ' +
        'lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:000000000000:function:stock-dev-reserve ' +
        'because no identity-based policy allows the lambda:InvokeFunction action',
    );
    // IAM is checked before existence, as in AWS.
    const nx = await fails(as(mesh, 'gateway:checkout').lambda.send(new InvokeCommand({ FunctionName: 'nope' })));
    expect(nx.name).toBe('AccessDeniedException');
  });

  it('denies SSM reads of records the function does not call', async () => {
    const c = as(mesh, 'gateway:checkout');
    const e = await fails(c.ssm.send(new GetParameterCommand({ Name: '/svc-mesh/dev/stock/reserve' })));
    expect(e.name).toBe('AccessDeniedException');
    expect(e.message).toContain(
      'ssm:GetParameter on resource: arn:aws:ssm:us-east-1:000000000000:parameter/svc-mesh/dev/stock/reserve',
    );
    const many = await fails(
      c.ssm.send(new GetParametersCommand({ Names: ['/svc-mesh/dev/pricing/quote', '/svc-mesh/dev/stock/reserve'] })),
    );
    expect(many.name).toBe('AccessDeniedException');
  });

  it('denies Publish outside the function’s own lifecycle topics, allows its own', async () => {
    const topicArn = mesh.fn('stock:reserve')!.environment['SVC_MESH_TOPICS'];
    const failed = JSON.parse(topicArn ?? '{}').failed as string;
    expect(failed).toMatch(/^arn:aws:sns:us-east-1:000000000000:/);
    const e = await fails(
      as(mesh, 'gateway:checkout').sns.send(new PublishCommand({ TopicArn: failed, Message: 'x' })),
    );
    expect(e.name).toBe('AuthorizationErrorException');
    expect(e.$metadata.httpStatusCode).toBe(403);
    expect(e.message).toContain('is not authorized to perform: sns:Publish on resource: ');
    const ok = await as(mesh, 'stock:reserve').sns.send(new PublishCommand({ TopicArn: failed, Message: '{}' }));
    expect(ok.MessageId).toBeTruthy();
  });

  it('denies ListExports when exports discovery is off', async () => {
    const e = await fails(as(mesh, 'gateway:checkout').cfn.send(new ListExportsCommand({})));
    expect(e.name).toBe('AccessDenied');
    expect(e.$metadata.httpStatusCode).toBe(403);
  });

  it('treats any other key as the developer’s admin, and iam: false allows everything', async () => {
    const admin = clients(mesh.endpoint);
    expect(
      (await admin.lambda.send(new InvokeCommand({ FunctionName: 'stock-dev-reserve', InvocationType: 'DryRun' })))
        .StatusCode,
    ).toBe(204);
    const c = as(open, 'gateway:checkout');
    expect(
      (await c.lambda.send(new InvokeCommand({ FunctionName: 'stock-dev-reserve', InvocationType: 'DryRun' })))
        .StatusCode,
    ).toBe(204);
  });
});
