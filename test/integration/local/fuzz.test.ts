/**
 * Protocol fuzzing: 5,000 malformed or random requests (paths, methods, headers, bodies,
 * encodings). Each gets an answer in its protocol's error shape; the mesh keeps serving.
 */
import { InvokeCommand } from '@aws-sdk/client-lambda';
import fc from 'fast-check';
import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalMesh, startLocalMesh } from '../../../tools/local/index.js';
import { clients, decode, spec } from './helpers.js';

let mesh: LocalMesh;
beforeAll(async () => {
  mesh = await startLocalMesh({ quiet: true, functions: [spec('echo', 'echo.ts', 'handler')] });
});
afterAll(async () => {
  await mesh?.stop();
});

const agent = new Agent({ keepAlive: true, maxSockets: 16 });
function send(method: string, path: string, headers: Record<string, string>, body: Buffer) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = request(
      mesh.endpoint + path,
      { method, headers: { ...headers, 'content-length': String(body.length) }, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(15_000, () => req.destroy(new Error(`no answer to ${method} ${path}`)));
    req.on('error', reject);
    req.end(body);
  });
}

const printable = fc.string({ unit: fc.constantFrom(...'abcXYZ019-_.:/%?&=+;,$*~ {}"[]#@!'.split('')), maxLength: 40 });
const pathArb = fc.oneof(
  fc.constantFrom(
    '/',
    '/2015-03-31/functions/fx-dev-echo/invocations',
    '/2015-03-31/functions/',
    '/v1/traces',
    '/api/traces',
    '/_mesh/health',
  ),
  printable.map((s) => `/2015-03-31/functions/${encodeURIComponent(s)}/invocations`),
  printable.map((s) => `/2015-03-31/functions/${s.replace(/[?#]/g, '')}/invocations`),
  fc.constantFrom('/2015-03-31/functions/%E0%A4%A/invocations', '/2015-03-31/functions/%/invocations', '//', '/%00'),
  printable.map((s) => `/${s.replace(/[?#]/g, '')}`),
  printable.map((s) => `/?${s}`),
);
const headerValue = fc.string({ unit: fc.constantFrom(...'abcAZ09+/=-_.:; {}"[],'.split('')), maxLength: 60 });
const headersArb = fc.record(
  {
    'content-type': fc.constantFrom(
      'application/x-www-form-urlencoded',
      'application/x-amz-json-1.1',
      'application/json',
      'application/octet-stream',
      'text/plain',
      '',
    ),
    'x-amz-target': fc.oneof(
      fc.constantFrom(
        'AmazonSSM.GetParameter',
        'AmazonSSM.PutParameter',
        'AmazonSSM.GetParametersByPath',
        'AmazonSSM.Nope',
        'Other.Thing',
      ),
      headerValue,
    ),
    'x-amz-invocation-type': fc.oneof(fc.constantFrom('RequestResponse', 'Event', 'DryRun'), headerValue),
    'x-amz-client-context': fc.oneof(
      headerValue,
      fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v)).toString('base64')),
    ),
    'x-amz-log-type': fc.constantFrom('None', 'Tail', 'Bogus'),
    authorization: fc.oneof(
      headerValue,
      fc.constantFrom(
        'AWS4-HMAC-SHA256 Credential=LOCALDEADBEEF/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=00',
        // the developer key: past authentication, into the protocols
        'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=00',
        'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sns/aws4_request, SignedHeaders=host, Signature=00',
      ),
    ),
  },
  { requiredKeys: [] },
);
const formArb = fc
  .array(
    fc.tuple(
      fc.constantFrom(
        'Action',
        'Version',
        'Name',
        'TopicArn',
        'Message',
        'Protocol',
        'Endpoint',
        'NextToken',
        'MessageAttributes.entry.1.Name',
        'MessageAttributes.entry.1.Value.DataType',
        'PublishBatchRequestEntries.member.1.Id',
        'Attributes.entry.1.key',
        'Attributes.entry.1.value',
      ),
      fc.oneof(
        fc.constantFrom(
          'Publish',
          'CreateTopic',
          'Subscribe',
          'ListTopics',
          'PublishBatch',
          'ListExports',
          '2010-03-31',
          '2010-05-15',
          'FilterPolicy',
          '{"a":[1]}',
          'lambda',
          'arn:aws:sns:us-east-1:000000000000:t',
          'String',
          'Number',
        ),
        printable,
      ),
    ),
    { maxLength: 8 },
  )
  .map((pairs) => Buffer.from(pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')));
const bodyArb = fc.oneof(
  formArb,
  fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v))),
  fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a)),
  fc.constantFrom(Buffer.from('{"Name":'), Buffer.from('%zz=%'), Buffer.from([0xff, 0xfe, 0x00]), Buffer.alloc(0)),
);
const reqArb = fc.record({
  method: fc.constantFrom('GET', 'POST', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD'),
  path: pathArb,
  headers: headersArb,
  body: bodyArb,
});

function protocolShaped(
  r: { status: number; headers: Record<string, unknown>; body: string },
  method: string,
): string | undefined {
  if (r.status < 100 || r.status > 599) return `status ${r.status}`;
  if (r.status < 400 || method === 'HEAD') return undefined;
  const ct = String(r.headers['content-type'] ?? '');
  if (ct.includes('xml')) {
    return /^<ErrorResponse xmlns="[^"]+"><Error><Type>(Sender|Receiver)<\/Type><Code>[A-Za-z.]+<\/Code><Message>[^<]*<\/Message><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/.test(
      r.body,
    )
      ? undefined
      : `bad XML error ${r.body.slice(0, 200)}`;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.body);
  } catch {
    return `error body is not JSON: ${r.status} ${ct} ${r.body.slice(0, 200)}`;
  }
  const o = parsed as Record<string, unknown>;
  if (typeof o['__type'] === 'string' && typeof r.headers['x-amzn-errortype'] === 'string') return undefined;
  // The trace service's own API errors (engineer D's), for its paths.
  const e = o['error'] as { code?: unknown; message?: unknown } | undefined;
  if (e !== null && typeof e === 'object' && typeof e.code === 'string' && typeof e.message === 'string')
    return undefined;
  return `JSON error without __type: ${r.body.slice(0, 200)}`;
}

describe('Local mesh: protocol fuzzing', () => {
  it('answers 5,000 malformed requests with protocol-shaped errors and keeps serving', async () => {
    const samples = fc.sample(reqArb, { numRuns: 5000, seed: 42 });
    let next = 0;
    const problems: string[] = [];
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let i = next++; i < samples.length; i = next++) {
          const s = samples[i]!;
          const r = await send(s.method, s.path, s.headers as Record<string, string>, s.body);
          const p = protocolShaped(r, s.method);
          if (p) problems.push(`${s.method} ${s.path}: ${p}`);
        }
      }),
    );
    expect(problems.slice(0, 10)).toEqual([]);
    const { lambda } = clients(mesh.endpoint);
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'fx-dev-echo', Payload: '{"still":"alive"}' }));
    expect((decode(out.Payload) as { event: unknown }).event).toEqual({ still: 'alive' });
    agent.destroy();
  }, 120_000);
});
