/**
 * A minimal server speaking the AWS wire protocols svc-mesh's runtime uses (Lambda Invoke,
 * SSM GetParameters, CloudFormation ListExports, SNS Publish), for integration tests with the
 * REAL @aws-sdk/client-* clients over HTTP on 127.0.0.1. Not the local mesh (tools/local): no
 * workers, no IAM — handlers run in-process.
 */
import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeLambdaContext {
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  awsRequestId: string;
  logGroupName: string;
  logStreamName: string;
  clientContext?: { custom?: any } | undefined;
  getRemainingTimeInMillis(): number;
}

export type FakeHandler = (event: any, context: FakeLambdaContext) => unknown;

export interface FakeFunction {
  handler: FakeHandler;
  /** Seconds (default 3). */
  timeout?: number;
  /** Send the handler's result (a string) as the response body as is, not as JSON (a custom runtime can). */
  rawBody?: boolean;
}

/** An injected failure: answer with this AWS error instead of handling the request. */
export interface InjectedError {
  status: number;
  type: string;
  message?: string;
  headers?: Record<string, string>;
  /** More fields of the JSON error body (e.g. Lambda's `Reason` on TooManyRequestsException). */
  body?: Record<string, unknown>;
}

export interface WireServerOptions {
  functions?: Record<string, FakeHandler | FakeFunction>;
  parameters?: Record<string, string>;
  exports?: Record<string, string>;
  /** Page size of ListExports (default 100). */
  exportsPageSize?: number;
  /** ListExports ends with an empty `<NextToken/>` instead of none (default false). */
  exportsEmptyLastToken?: boolean;
  /** SNS topic ARN → function names subscribed to it (delivered as SNS events, async). */
  subscriptions?: Record<string, string[]>;
  /** Called for each Lambda invoke before handling; return an error to inject it. */
  onInvoke?: (name: string, attempt: number) => InjectedError | undefined;
  onSsm?: (names: string[], attempt: number) => InjectedError | undefined;
  onPublish?: (topicArn: string, attempt: number) => InjectedError | undefined;
  /** Called for each ListExports page request; return an error to inject it. */
  onExports?: (attempt: number) => InjectedError | undefined;
  account?: string;
  region?: string;
}

export interface InvokeRecord {
  functionName: string;
  invocationType: string;
  clientContext: unknown;
  payload: string;
  headers: IncomingMessage['headers'];
}

export interface PublishRecord {
  topicArn: string;
  message: string;
  attributes: Record<string, { DataType: string; StringValue?: string }>;
}

export interface WireServer {
  endpoint: string;
  invokes: InvokeRecord[];
  ssmRequests: string[][];
  exportsRequests: number;
  published: PublishRecord[];
  /** Completed async (Event/SNS) deliveries, for awaiting. */
  asyncDone: Promise<unknown>[];
  functions: Map<string, FakeFunction>;
  parameters: Map<string, string>;
  exports: Map<string, string>;
  arn(name: string): string;
  topicArn(name: string): string;
  /** Waits for every async delivery started so far (and those they start). */
  settle(): Promise<void>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJsonError(res: ServerResponse, e: InjectedError, contentType = 'application/json'): void {
  res.writeHead(e.status, {
    'content-type': contentType,
    'x-amzn-errortype': e.type,
    'x-amzn-requestid': randomUUID(),
    ...(e.headers ?? {}),
  });
  res.end(JSON.stringify({ __type: e.type, message: e.message ?? e.type, Type: 'User', ...e.body }));
}

function sendXmlError(res: ServerResponse, e: InjectedError): void {
  res.writeHead(e.status, { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() });
  res.end(
    `<ErrorResponse><Error><Type>Sender</Type><Code>${e.type}</Code><Message>${e.message ?? e.type}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  );
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Starts the server on 127.0.0.1 with an ephemeral port. */
export async function startWireServer(opts: WireServerOptions = {}): Promise<WireServer> {
  const account = opts.account ?? '000000000000';
  const region = opts.region ?? 'us-east-1';
  const functions = new Map<string, FakeFunction>();
  for (const [k, v] of Object.entries(opts.functions ?? {}))
    functions.set(k, typeof v === 'function' ? { handler: v } : v);
  const parameters = new Map(Object.entries(opts.parameters ?? {}));
  const exportsMap = new Map(Object.entries(opts.exports ?? {}));
  const invokes: InvokeRecord[] = [];
  const ssmRequests: string[][] = [];
  const published: PublishRecord[] = [];
  const asyncDone: Promise<unknown>[] = [];
  let invokeAttempts = 0;
  let ssmAttempts = 0;
  let publishAttempts = 0;
  const state = { exportsRequests: 0 };
  const arn = (name: string) => `arn:aws:lambda:${region}:${account}:function:${name}`;
  const topicArn = (name: string) => `arn:aws:sns:${region}:${account}:${name}`;

  async function runFunction(
    name: string,
    fn: FakeFunction,
    event: unknown,
    clientContext: unknown,
  ): Promise<{ ok: true; result: unknown } | { ok: false; body: unknown }> {
    const timeoutMs = (fn.timeout ?? 3) * 1000;
    const deadline = Date.now() + timeoutMs;
    const requestId = randomUUID();
    const ctx: FakeLambdaContext = {
      functionName: name,
      functionVersion: '$LATEST',
      invokedFunctionArn: arn(name),
      memoryLimitInMB: '128',
      awsRequestId: requestId,
      logGroupName: `/aws/lambda/${name}`,
      logStreamName: 'local',
      clientContext: clientContext as FakeLambdaContext['clientContext'],
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => {
      timer = setTimeout(() => r('timeout'), timeoutMs);
    });
    try {
      const out = await Promise.race([Promise.resolve().then(() => fn.handler(event, ctx)), timeout]);
      if (out === 'timeout')
        return {
          ok: false,
          body: {
            errorType: 'Sandbox.Timedout',
            errorMessage: `RequestId: ${requestId} Error: Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
          },
        };
      return { ok: true, result: out };
    } catch (err) {
      if (err instanceof Error)
        return {
          ok: false,
          body: { errorType: err.name, errorMessage: err.message, trace: (err.stack ?? '').split('\n') },
        };
      return { ok: false, body: { errorType: typeof err, errorMessage: String(err), trace: [] } };
    } finally {
      clearTimeout(timer);
    }
  }

  async function lambda(req: IncomingMessage, res: ServerResponse, rawName: string): Promise<void> {
    const body = await readBody(req);
    const decoded = decodeURIComponent(rawName);
    const name = decoded.startsWith('arn:') ? (decoded.split(':')[6] ?? decoded) : (decoded.split(':')[0] ?? decoded);
    const type = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    const ccHeader = req.headers['x-amz-client-context'];
    let clientContext: unknown;
    if (typeof ccHeader === 'string') clientContext = JSON.parse(Buffer.from(ccHeader, 'base64').toString('utf8'));
    invokes.push({ functionName: name, invocationType: type, clientContext, payload: body, headers: req.headers });
    const injected = opts.onInvoke?.(name, ++invokeAttempts);
    if (injected) return sendJsonError(res, injected);
    const fn = functions.get(name);
    if (!fn)
      return sendJsonError(res, {
        status: 404,
        type: 'ResourceNotFoundException',
        message: `Function not found: ${arn(name)}`,
      });
    const event = body.length ? JSON.parse(body) : {};
    const rid = randomUUID();
    if (type === 'Event') {
      asyncDone.push(runFunction(name, fn, event, undefined));
      res.writeHead(202, { 'x-amzn-requestid': rid, 'content-length': '0' });
      return void res.end();
    }
    const out = await runFunction(name, fn, event, clientContext);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-amzn-requestid': rid,
      'x-amz-executed-version': '$LATEST',
    };
    if (!out.ok) headers['x-amz-function-error'] = 'Unhandled';
    res.writeHead(200, headers);
    res.end(out.ok && fn.rawBody ? String(out.result) : JSON.stringify(out.ok ? (out.result ?? null) : out.body));
  }

  async function ssm(req: IncomingMessage, res: ServerResponse, target: string): Promise<void> {
    const body = JSON.parse((await readBody(req)) || '{}') as { Names?: string[] };
    if (target !== 'AmazonSSM.GetParameters')
      return sendJsonError(res, { status: 400, type: 'InvalidAction', message: target }, 'application/x-amz-json-1.1');
    const names = body.Names ?? [];
    ssmRequests.push(names);
    const injected = opts.onSsm?.(names, ++ssmAttempts);
    if (injected) return sendJsonError(res, injected, 'application/x-amz-json-1.1');
    if (names.length > 10)
      return sendJsonError(
        res,
        { status: 400, type: 'ValidationException', message: 'Member must have length less than or equal to 10' },
        'application/x-amz-json-1.1',
      );
    const found = names.filter((n) => parameters.has(n)).sort();
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
    res.end(
      JSON.stringify({
        Parameters: found.map((n) => ({
          Name: n,
          Type: 'String',
          Value: parameters.get(n),
          Version: 1,
          DataType: 'text',
        })),
        InvalidParameters: names.filter((n) => !parameters.has(n)),
      }),
    );
  }

  function deliver(topic: string, message: string, attrs: PublishRecord['attributes'], messageId: string): void {
    for (const fnName of opts.subscriptions?.[topic] ?? []) {
      const fn = functions.get(fnName);
      if (!fn) continue;
      const MessageAttributes: Record<string, { Type: string; Value: string }> = {};
      for (const [k, v] of Object.entries(attrs))
        MessageAttributes[k] = { Type: v.DataType, Value: v.StringValue ?? '' };
      const event = {
        Records: [
          {
            EventVersion: '1.0',
            EventSubscriptionArn: `${topic}:${randomUUID()}`,
            EventSource: 'aws:sns',
            Sns: {
              Type: 'Notification',
              MessageId: messageId,
              TopicArn: topic,
              Message: message,
              Timestamp: new Date().toISOString(),
              SignatureVersion: '1',
              MessageAttributes,
            },
          },
        ],
      };
      asyncDone.push(runFunction(fnName, fn, event, undefined));
    }
  }

  async function form(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const params = new URLSearchParams(await readBody(req));
    const action = params.get('Action');
    if (action === 'ListExports') {
      state.exportsRequests++;
      const injected = opts.onExports?.(state.exportsRequests);
      if (injected) return sendXmlError(res, injected);
      const page = opts.exportsPageSize ?? 100;
      const start = Number(params.get('NextToken') ?? '0');
      const all = [...exportsMap.entries()];
      const slice = all.slice(start, start + page);
      const last = opts.exportsEmptyLastToken ? '<NextToken></NextToken>' : '';
      const next = start + page < all.length ? `<NextToken>${start + page}</NextToken>` : last;
      res.writeHead(200, { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() });
      return void res.end(
        `<ListExportsResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><ListExportsResult><Exports>${slice
          .map(
            ([n, v]) =>
              `<member><ExportingStackId>arn:aws:cloudformation:${region}:${account}:stack/s/1</ExportingStackId><Name>${esc(n)}</Name><Value>${esc(v)}</Value></member>`,
          )
          .join(
            '',
          )}</Exports>${next}</ListExportsResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></ListExportsResponse>`,
      );
    }
    if (action === 'Publish') {
      const topic = params.get('TopicArn') ?? '';
      const injected = opts.onPublish?.(topic, ++publishAttempts);
      if (injected) return sendXmlError(res, injected);
      const attributes: PublishRecord['attributes'] = {};
      for (let i = 1; params.has(`MessageAttributes.entry.${i}.Name`); i++) {
        const name = params.get(`MessageAttributes.entry.${i}.Name`)!;
        const v: { DataType: string; StringValue?: string } = {
          DataType: params.get(`MessageAttributes.entry.${i}.Value.DataType`) ?? 'String',
        };
        const sv = params.get(`MessageAttributes.entry.${i}.Value.StringValue`);
        if (sv !== null) v.StringValue = sv;
        attributes[name] = v;
      }
      const message = params.get('Message') ?? '';
      published.push({ topicArn: topic, message, attributes });
      const id = randomUUID();
      deliver(topic, message, attributes, id);
      res.writeHead(200, { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() });
      return void res.end(
        `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${id}</MessageId></PublishResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
      );
    }
    sendXmlError(res, { status: 400, type: 'InvalidAction', message: `unsupported ${action}` });
  }

  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    const m = /^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(url);
    const target = req.headers['x-amz-target'];
    const p = m ? lambda(req, res, m[1]!) : typeof target === 'string' ? ssm(req, res, target) : form(req, res);
    p.catch((err: unknown) => {
      if (!res.headersSent) sendJsonError(res, { status: 500, type: 'ServiceException', message: String(err) });
      else res.end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;

  const ws: WireServer = {
    endpoint: `http://127.0.0.1:${port}`,
    invokes,
    ssmRequests,
    get exportsRequests() {
      return state.exportsRequests;
    },
    published,
    asyncDone,
    functions,
    parameters,
    exports: exportsMap,
    arn,
    topicArn,
    async settle() {
      let n = 0;
      while (n < asyncDone.length) {
        const batch = asyncDone.slice(n);
        n = asyncDone.length;
        await Promise.allSettled(batch);
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    [Symbol.asyncDispose]() {
      return this.close();
    },
  };
  return ws;
}
