/** A trace service on its own node:http server on 127.0.0.1, port 0 (what `svc-mesh traces --serve` does). */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTraceService, type TraceService, type TraceServiceOptions } from '../../../tools/local/traces/index.js';

export interface TraceServer extends AsyncDisposable {
  url: string;
  traces: TraceService;
  close(): Promise<void>;
}

export async function startTraceServer(opts: TraceServiceOptions = {}): Promise<TraceServer> {
  const traces = createTraceService(opts);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    traces.handle(req, res, url).then((mine) => {
      if (!mine) {
        res.statusCode = 418; // "not the trace service's": lets tests check handle() said false
        res.end('not mine');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = async () => {
    await traces.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { url, traces, close, [Symbol.asyncDispose]: close };
}
