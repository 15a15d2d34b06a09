/**
 * Fidelity to AWS where it changes code paths (issue 12 items 8 and 12, docs/security.md):
 * ARNs of another partition or account never reach a local function; filter policies and
 * message attributes with `Object.prototype` names (`toString`, `constructor`, `__proto__`)
 * are ordinary names, as in SNS; AWS's filter-policy limits; SSM's version and reserved-name errors.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { CreateTopicCommand, PublishCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { GetParameterCommand, GetParametersCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalMesh, startLocalMesh } from '../../../tools/local/index.js';
import { clients, spec } from './helpers.js';

const RECORD_FILE = join(mkdtempSync(join(tmpdir(), 'svc-mesh-fidelity-')), 'record.jsonl');
let mesh: LocalMesh;
let c: ReturnType<typeof clients>;
const RECORD_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:fx-dev-record';
const fails = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected an error');
    },
    (e: Error & { $metadata?: { httpStatusCode?: number } }) => e,
  );
const recorded = (): { message?: string }[] => {
  try {
    return readFileSync(RECORD_FILE, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  } catch {
    return [];
  }
};

beforeAll(async () => {
  mesh = await startLocalMesh({
    quiet: true,
    tracing: false,
    functions: [
      spec('echo', 'echo.ts', 'handler'),
      spec('record', 'record.ts', 'handler', { environment: { RECORD_FILE } }),
    ],
  });
  c = clients(mesh.endpoint);
});
afterAll(async () => {
  await mesh?.stop();
});

describe('ARNs of another partition or account', () => {
  it('never resolve to a local function in Invoke', async () => {
    for (const name of [
      'arn:aws-cn:lambda:us-east-1:000000000000:function:fx-dev-echo',
      'arn:aws-us-gov:lambda:us-east-1:000000000000:function:fx-dev-echo',
      'arn:aws:lambda:us-east-1:111111111111:function:fx-dev-echo',
      '111111111111:function:fx-dev-echo',
    ]) {
      const e = await fails(c.lambda.send(new InvokeCommand({ FunctionName: name, Payload: '{}' })));
      expect(e.name, name).toBe('ResourceNotFoundException');
      expect(e.message).toContain(name.startsWith('arn:') ? name : `function:fx-dev-echo`);
    }
    const ok = await c.lambda.send(
      new InvokeCommand({ FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:fx-dev-echo', Payload: '{}' }),
    );
    expect(ok.StatusCode).toBe(200);
  });

  it('never receive an SNS delivery meant for another account’s function', async () => {
    const topic = (await c.sns.send(new CreateTopicCommand({ Name: 'other-account' }))).TopicArn!;
    await c.sns.send(
      new SubscribeCommand({
        TopicArn: topic,
        Protocol: 'lambda',
        Endpoint: 'arn:aws-cn:lambda:us-east-1:111111111111:function:fx-dev-record',
      }),
    );
    const before = recorded().length;
    await c.sns.send(new PublishCommand({ TopicArn: topic, Message: 'for another account' }));
    await mesh.idle();
    expect(recorded().length).toBe(before);
    expect(mesh.deadLetters().some((d) => d.error.errorType === 'ResourceNotFoundException')).toBe(true);
  });
});

describe('SNS: Object.prototype names are ordinary names', () => {
  it('filter keys toString / constructor / hasOwnProperty match like any other key', async () => {
    const topic = (await c.sns.send(new CreateTopicCommand({ Name: 'proto-keys' }))).TopicArn!;
    await c.sns.send(
      new SubscribeCommand({
        TopicArn: topic,
        Protocol: 'lambda',
        Endpoint: RECORD_ARN,
        Attributes: {
          FilterPolicy: JSON.stringify({
            toString: ['a'],
            constructor: [{ exists: false }],
            hasOwnProperty: [{ prefix: 'h' }],
          }),
        },
      }),
    );
    const publish = (message: string, attrs: Record<string, string>) =>
      c.sns.send(
        new PublishCommand({
          TopicArn: topic,
          Message: message,
          MessageAttributes: Object.fromEntries(
            Object.entries(attrs).map(([k, v]) => [k, { DataType: 'String', StringValue: v }]),
          ),
        }),
      );
    // each answered 500 after partial delivery before: publishers' retries then delivered duplicates
    await publish('no attributes', {});
    await publish('matches', { toString: 'a', hasOwnProperty: 'hi' });
    await publish('constructor present', { toString: 'a', hasOwnProperty: 'hi', constructor: 'x' });
    await publish('proto attribute', { __proto__: 'p', toString: 'b', hasOwnProperty: 'h' });
    await mesh.idle();
    const got = recorded()
      .map((r) => r.message)
      .filter((m) => ['no attributes', 'matches', 'constructor present', 'proto attribute'].includes(m ?? ''));
    expect(got).toEqual(['matches']);
  });
});

describe('SNS: AWS’s filter-policy limits', () => {
  it('refuses more than 5 keys and more than 150 combinations, accepts the limits themselves', async () => {
    const topic = (await c.sns.send(new CreateTopicCommand({ Name: 'limits' }))).TopicArn!;
    const sub = (policy: object, endpoint = RECORD_ARN) =>
      c.sns.send(
        new SubscribeCommand({
          TopicArn: topic,
          Protocol: 'lambda',
          Endpoint: endpoint,
          Attributes: { FilterPolicy: JSON.stringify(policy) },
        }),
      );
    const six = Object.fromEntries(['a', 'b', 'c', 'd', 'e', 'f'].map((k) => [k, ['x']]));
    const e1 = await fails(sub(six));
    expect(e1.name).toBe('InvalidParameterException');
    expect(e1.message).toContain('Filter policy can not have more than 5 keys');
    const values = (n: number) => Array.from({ length: n }, (_, i) => `v${i}`);
    const e2 = await fails(sub({ a: values(151) }));
    expect(e2.message).toContain('Filter policy is too complex');
    const e3 = await fails(sub({ a: values(15), b: values(11) })); // 165
    expect(e3.message).toContain('Filter policy is too complex');
    expect(
      (await sub({ a: values(15), b: values(10) }, 'arn:aws:lambda:us-east-1:000000000000:function:fx-dev-echo'))
        .SubscriptionArn,
    ).toBeTruthy();
  });
});

describe('SSM: AWS’s errors for versions and reserved names', () => {
  it('GetParameter of a missing version is ParameterVersionNotFound, with a message', async () => {
    await c.ssm.send(new PutParameterCommand({ Name: '/fx/versioned', Value: 'one', Type: 'String' }));
    const e = await fails(c.ssm.send(new GetParameterCommand({ Name: '/fx/versioned:5' })));
    expect(e.name).toBe('ParameterVersionNotFound');
    expect(e.message).toBe(
      'Systems Manager could not find version 5 of /fx/versioned. Verify the version and try again.',
    );
    expect((await c.ssm.send(new GetParameterCommand({ Name: '/fx/versioned:1' }))).Parameter?.Value).toBe('one');
    const many = await c.ssm.send(new GetParametersCommand({ Names: ['/fx/versioned:5', '/fx/versioned'] }));
    expect(many.InvalidParameters).toEqual(['/fx/versioned:5']);
    const missing = await fails(c.ssm.send(new GetParameterCommand({ Name: '/fx/nothing:1' })));
    expect(missing.name).toBe('ParameterNotFound');
  });

  it('PutParameter under /aws/ is AccessDeniedException', async () => {
    const e = await fails(c.ssm.send(new PutParameterCommand({ Name: '/aws/mine', Value: 'x', Type: 'String' })));
    expect(e.name).toBe('AccessDeniedException');
    expect(e.$metadata?.httpStatusCode).toBe(400);
    const v = await fails(c.ssm.send(new PutParameterCommand({ Name: 'awsmine', Value: 'x', Type: 'String' })));
    expect(v.name).toBe('ValidationException');
  });
});
