/**
 * An HTTP proxy in front of a stand-in "deployed stage" endpoint that counts what reaches it:
 * the independent witness of what a hybrid mesh sent out (its own counters are not trusted).
 */
import { createServer, request } from 'node:http';

export interface Seen {
  kind: 'ssm' | 'lambda' | 'sqs' | 'sns' | 'sts' | 'other';
  op: string;
  /** Lambda: the function name in the path; SSM/SQS: the request body. */
  detail: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface CountingProxy extends AsyncDisposable {
  endpoint: string;
  seen: Seen[];
  count(kind: Seen['kind'], op?: string): number;
  /** Stop forwarding: connections are refused from now on (the endpoint "goes away"). */
  close(): Promise<void>;
}

/** `delayMs`: wait this long before forwarding each request (a simulated network round trip; benches). */
export async function startCountingProxy(target: string, delayMs = 0): Promise<CountingProxy> {
  const t = new URL(target);
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const amzTarget = String(req.headers['x-amz-target'] ?? '');
      const path = req.url ?? '/';
      const text = body.toString('utf8');
      let s: Seen;
      const m = /^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(path);
      if (m) s = { kind: 'lambda', op: 'Invoke', detail: decodeURIComponent(m[1]!), headers: req.headers };
      else if (amzTarget.startsWith('AmazonSSM.'))
        s = { kind: 'ssm', op: amzTarget.slice(10), detail: text, headers: req.headers };
      else if (amzTarget.startsWith('AmazonSQS.'))
        s = { kind: 'sqs', op: amzTarget.slice(10), detail: text, headers: req.headers };
      else if (/Action=GetCallerIdentity/.test(text))
        s = { kind: 'sts', op: 'GetCallerIdentity', detail: '', headers: req.headers };
      else if (/Version=2010-03-31/.test(text))
        s = { kind: 'sns', op: /Action=(\w+)/.exec(text)?.[1] ?? '?', detail: text, headers: req.headers };
      else s = { kind: 'other', op: `${req.method} ${path}`, detail: text, headers: req.headers };
      seen.push(s);
      const forward = () => {
        const headers = { ...req.headers, host: t.host };
        const up = request({ host: t.hostname, port: t.port, method: req.method, path, headers }, (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        });
        up.on('error', () => {
          res.writeHead(502);
          res.end();
        });
        up.end(body);
      };
      if (delayMs > 0) setTimeout(forward, delayMs);
      else forward();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
    return closed;
  };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    seen,
    count: (kind, op) => seen.filter((s) => s.kind === kind && (op === undefined || s.op === op)).length,
    close,
    [Symbol.asyncDispose]: close,
  };
}
