import {
  CreateTopicCommand,
  DeleteTopicCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  ListTopicsCommand,
  PublishBatchCommand,
  PublishCommand,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalMesh, startLocalMesh } from '../../../tools/local/index.js';
import { clients, spec, until } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'svc-mesh-sns-'));
const record = join(dir, 'record.jsonl');
let mesh: LocalMesh;
let sns: ReturnType<typeof clients>['sns'];
const fnArn = (n: string) => `arn:aws:lambda:us-east-1:000000000000:function:${n}`;
const lines = (fn?: string) =>
  (existsSync(record) ? readFileSync(record, 'utf8').split('\n').filter(Boolean) : [])
    .map((l) => JSON.parse(l) as Record<string, any>)
    .filter((l) => fn === undefined || l['fn'] === fn);

beforeAll(async () => {
  mesh = await startLocalMesh({
    quiet: true,
    tracing: false,
    asyncRetryDelaysMs: [5, 5],
    deadLetterFile: join(dir, 'dead.jsonl'),
    functions: [
      spec('a', 'record.ts', 'handler', { environment: { RECORD_FILE: record } }),
      spec('b', 'record.ts', 'handler', { environment: { RECORD_FILE: record } }),
    ],
  });
  sns = clients(mesh.endpoint).sns;
});
afterAll(async () => {
  await mesh?.stop();
});

const fails = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    return err as Error & { $metadata: { httpStatusCode: number } };
  }
  throw new Error('expected an error');
};

describe('SNS', () => {
  it('creates topics idempotently and lists them with paging', async () => {
    const a = await sns.send(new CreateTopicCommand({ Name: 'orders', Attributes: { DisplayName: 'Orders' } }));
    const b = await sns.send(new CreateTopicCommand({ Name: 'orders' }));
    expect(a.TopicArn).toBe('arn:aws:sns:us-east-1:000000000000:orders');
    expect(b.TopicArn).toBe(a.TopicArn);
    for (let i = 0; i < 105; i++) await sns.send(new CreateTopicCommand({ Name: `t${i}` }));
    const p1 = await sns.send(new ListTopicsCommand({}));
    expect(p1.Topics).toHaveLength(100);
    expect(p1.NextToken).toBeTruthy();
    const p2 = await sns.send(new ListTopicsCommand({ NextToken: p1.NextToken }));
    expect(p2.Topics?.length).toBe(6);
    expect(p2.NextToken).toBeUndefined();
    const attrs = await sns.send(new GetTopicAttributesCommand({ TopicArn: a.TopicArn }));
    expect(attrs.Attributes?.['DisplayName']).toBe('Orders');
  });

  it('rejects bad topic names and unknown topics with the SDK exception classes', async () => {
    const bad = await fails(sns.send(new CreateTopicCommand({ Name: 'has space' })));
    expect(bad.name).toBe('InvalidParameterException');
    expect(bad.$metadata.httpStatusCode).toBe(400);
    const nf = await fails(
      sns.send(new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:nope', Message: 'x' })),
    );
    expect(nf.name).toBe('NotFoundException');
    expect(nf.$metadata.httpStatusCode).toBe(404);
    const sub = await fails(
      sns.send(
        new SubscribeCommand({
          TopicArn: 'arn:aws:sns:us-east-1:000000000000:orders',
          Protocol: 'email',
          Endpoint: 'a@b.c',
        }),
      ),
    );
    expect(sub.name).toBe('InvalidParameterException');
  });

  it('delivers the real SNS→Lambda event, one record per invocation, honouring FilterPolicy', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'events' }));
    const s1 = await sns.send(
      new SubscribeCommand({ TopicArn, Protocol: 'lambda', Endpoint: fnArn('fx-dev-a'), ReturnSubscriptionArn: true }),
    );
    await sns.send(
      new SubscribeCommand({
        TopicArn,
        Protocol: 'lambda',
        Endpoint: fnArn('fx-dev-b'),
        Attributes: { FilterPolicy: JSON.stringify({ kind: ['gold'], n: [{ numeric: ['>', 10] }] }) },
      }),
    );
    expect(s1.SubscriptionArn).toMatch(/^arn:aws:sns:us-east-1:000000000000:events:[0-9a-f-]{36}$/);
    const subs = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }));
    expect(subs.Subscriptions?.map((s) => s.Endpoint).sort()).toEqual([fnArn('fx-dev-a'), fnArn('fx-dev-b')]);

    const m1 = await sns.send(
      new PublishCommand({
        TopicArn,
        Message: 'silver one',
        Subject: 'hello',
        MessageAttributes: {
          kind: { DataType: 'String', StringValue: 'silver' },
          n: { DataType: 'Number', StringValue: '42' },
        },
      }),
    );
    const m2 = await sns.send(
      new PublishCommand({
        TopicArn,
        Message: 'gold one',
        MessageAttributes: {
          kind: { DataType: 'String', StringValue: 'gold' },
          n: { DataType: 'Number', StringValue: '42' },
          bin: { DataType: 'Binary', BinaryValue: new TextEncoder().encode('hi') },
        },
      }),
    );
    await until(() => lines('fx-dev-a').length >= 2 && lines('fx-dev-b').length >= 1);
    await mesh.idle();
    const a = lines('fx-dev-a');
    const b = lines('fx-dev-b');
    expect(a.map((l) => l['messageId']).sort()).toEqual([m1.MessageId, m2.MessageId].sort());
    expect(b.map((l) => l['messageId'])).toEqual([m2.MessageId]);
    expect(b[0]!['records']).toBe(1);
    expect(b[0]!['attributes']).toEqual({
      kind: { Type: 'String', Value: 'gold' },
      n: { Type: 'Number', Value: '42' },
      bin: { Type: 'Binary', Value: Buffer.from('hi').toString('base64') },
    });
  });

  it('publishes batches, reporting entry failures, and validates the batch', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'batch' }));
    const out = await sns.send(
      new PublishBatchCommand({
        TopicArn,
        PublishBatchRequestEntries: [
          { Id: '1', Message: 'm1' },
          { Id: '2', Message: 'm2', MessageAttributes: { k: { DataType: 'Number', StringValue: 'not-a-number' } } },
        ],
      }),
    );
    expect(out.Successful?.map((s) => s.Id)).toEqual(['1']);
    expect(out.Failed?.[0]).toMatchObject({ Id: '2', Code: 'ParameterValueInvalid', SenderFault: true });
    const many = Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, Message: 'x' }));
    const e1 = await fails(sns.send(new PublishBatchCommand({ TopicArn, PublishBatchRequestEntries: many })));
    expect(e1.name).toBe('TooManyEntriesInBatchRequestException');
    const e2 = await fails(
      sns.send(
        new PublishBatchCommand({
          TopicArn,
          PublishBatchRequestEntries: [
            { Id: 'a', Message: 'x' },
            { Id: 'a', Message: 'y' },
          ],
        }),
      ),
    );
    expect(e2.name).toBe('BatchEntryIdsNotDistinctException');
    const e3 = await fails(sns.send(new PublishBatchCommand({ TopicArn, PublishBatchRequestEntries: [] })));
    expect(e3.name).toBe('EmptyBatchRequestException');
  });

  it('rejects empty, oversized and badly attributed messages', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'limits' }));
    const empty = await fails(sns.send(new PublishCommand({ TopicArn, Message: '' })));
    expect(empty.name).toBe('InvalidParameterException');
    const big = await fails(sns.send(new PublishCommand({ TopicArn, Message: 'x'.repeat(262_145) })));
    expect(big.name).toBe('InvalidParameterException');
    expect(big.message).toBe('Invalid parameter: Message too long');
    const attr = await fails(
      sns.send(
        new PublishCommand({
          TopicArn,
          Message: 'x',
          MessageAttributes: { k: { DataType: 'String', StringValue: '' } },
        }),
      ),
    );
    expect(attr.name).toBe('InvalidParameterValueException');
    const ok = await sns.send(new PublishCommand({ TopicArn, Message: 'x'.repeat(262_144) }));
    expect(ok.MessageId).toBeTruthy();
  });

  it('retries a failing subscriber twice, then keeps a dead letter', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'failing' }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'lambda', Endpoint: fnArn('fx-dev-a') }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'lambda', Endpoint: fnArn('fx-dev-gone') }));
    const before = lines('fx-dev-a').length;
    const { MessageId } = await sns.send(new PublishCommand({ TopicArn, Message: JSON.stringify({ fail: true }) }));
    await until(() => mesh.deadLetters().filter((d) => d.messageId === MessageId).length === 2);
    await mesh.idle();
    const attempts = lines('fx-dev-a')
      .slice(before)
      .filter((l) => l['messageId'] === MessageId);
    expect(attempts).toHaveLength(3);
    const dead = mesh.deadLetters().filter((d) => d.messageId === MessageId);
    const failed = dead.find((d) => d.functionName === 'fx-dev-a')!;
    expect(failed).toMatchObject({
      source: 'sns',
      attempts: 3,
      topicArn: TopicArn,
      error: { errorType: 'Error', errorMessage: 'failing on purpose' },
    });
    expect((failed.payload as any).Records[0].Sns.MessageId).toBe(MessageId);
    const gone = dead.find((d) => d.functionName === 'fx-dev-gone')!;
    expect(gone).toMatchObject({ attempts: 1, error: { errorType: 'ResourceNotFoundException' } });
    const viaHttp = (await (await fetch(`${mesh.endpoint}/_mesh/dead-letters`)).json()) as unknown[];
    expect(viaHttp.length).toBe(mesh.deadLetters().length);
    // Also on disk, so they survive a restart.
    const onDisk = readFileSync(join(dir, 'dead.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    expect(onDisk.map((d: { id: string }) => d.id)).toEqual(mesh.deadLetters().map((d) => d.id));
  });

  it('unsubscribes and deletes topics', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'temp' }));
    const { SubscriptionArn } = await sns.send(
      new SubscribeCommand({ TopicArn, Protocol: 'lambda', Endpoint: fnArn('fx-dev-a') }),
    );
    await sns.send(new UnsubscribeCommand({ SubscriptionArn }));
    expect((await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }))).Subscriptions).toEqual([]);
    await sns.send(new DeleteTopicCommand({ TopicArn }));
    const e = await fails(sns.send(new GetTopicAttributesCommand({ TopicArn })));
    expect(e.name).toBe('NotFoundException');
  });
});
