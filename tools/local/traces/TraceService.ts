/**
 * The trace service: OTLP/HTTP collector (`POST /v1/traces`), JSON API (`/api/*`), live
 * updates (`GET /api/stream`, server-sent events) and the viewer (`GET /`, `/traces/:id`,
 * `/map`, `/assets/*`). It is mounted by the local mesh's single HTTP server and by
 * `svc-mesh traces --serve`; `handle()` answers false for any request that is not its own.
 */
import { createReadStream, createWriteStream, existsSync, readFileSync, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gunzip, inflate } from 'node:zlib';
import { isTraceServiceError, TraceServiceError } from './errors.js';
import {
  type DecodedRequest,
  decodeJsonRequest,
  decodeProtobufRequest,
  encodeExportResponse,
  encodeRpcStatus,
  normaliseRequest,
} from './otlp.js';
import { spansToOtlp } from './toOtlp.js';
import { IngestGate } from './limits.js';
import { MAX_LIST_LIMIT, type TraceQuery, TraceStore } from './TraceStore.js';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

export interface TraceServiceOptions {
  /** Traces kept in memory (least recently updated evicted first). Default 5,000. */
  maxTraces?: number;
  /** Spans kept per trace. Default 2,000. */
  maxSpansPerTrace?: number;
  /**
   * Append every accepted request to this file as one OTLP/JSON `ExportTraceServiceRequest`
   * per line, and load it back at start. The file can be replayed into any OTLP backend.
   */
  persistPath?: string;
  /** Largest accepted request body (after decompression). Default 16 MiB. */
  maxBodyBytes?: number;
  /** Estimated bytes the store keeps (least recently updated traces evicted first). Default 256 MiB. */
  maxStoreBytes?: number;
  /** OTLP requests read and decoded at once (default 2); up to 64 more wait, then 503. */
  maxConcurrentIngests?: number;
}

export interface TraceService {
  /** Answers the request if it is the trace service's; resolves false (untouched) otherwise. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
  readonly store: TraceStore;
  /** Ends live-update streams and flushes persistence. */
  close(): Promise<void>;
}

const TRACE_ID_RE = /^[0-9a-fA-F]{32}$/;
const VIEWER_ASSETS: Record<string, string> = {
  '/assets/viewer.js': 'text/javascript; charset=utf-8',
  '/assets/viewer.css': 'text/css; charset=utf-8',
  '/assets/favicon.svg': 'image/svg+xml',
};
const VIEWER_PAGES = /^\/(?:|index\.html|map|traces\/?|traces\/[^/]+)$/;

/** The viewer's folder, next to this file (the build copies it into dist/: tools/scripts/copy-assets.mjs). */
function viewerDir(): string {
  return fileURLToPath(new URL('./viewer/', import.meta.url));
}

/**
 * Creates the trace service. Mount it by calling `handle()` first for every request.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { createTraceService } from 'svc-mesh-tools/local';
 * const traces = createTraceService({ maxTraces: 1000 });
 * createServer(async (req, res) => {
 *   const url = new URL(req.url ?? '/', 'http://localhost');
 *   if (!(await traces.handle(req, res, url))) { res.statusCode = 404; res.end(); }
 * }).listen(4318, '127.0.0.1');
 * ```
 */
export function createTraceService(opts: TraceServiceOptions = {}): TraceService {
  const storeOpts: { maxTraces?: number; maxSpansPerTrace?: number; maxBytes?: number } = {};
  if (opts.maxTraces !== undefined) storeOpts.maxTraces = opts.maxTraces;
  if (opts.maxSpansPerTrace !== undefined) storeOpts.maxSpansPerTrace = opts.maxSpansPerTrace;
  if (opts.maxStoreBytes !== undefined) storeOpts.maxBytes = opts.maxStoreBytes;
  const store = new TraceStore(storeOpts);
  const maxBody = opts.maxBodyBytes ?? 16 * 1024 * 1024;
  // Bounded memory under a flood: at most this many bodies are read and decoded at once.
  const gate = new IngestGate(opts.maxConcurrentIngests);
  const dir = viewerDir();
  const assetCache = new Map<string, Buffer>();

  // --- persistence ---------------------------------------------------------------------------
  let persist: WriteStream | undefined;
  let loaded: Promise<void> = Promise.resolve();
  if (opts.persistPath !== undefined) {
    const path = opts.persistPath;
    loaded = existsSync(path) ? loadPersisted(path, store) : Promise.resolve();
    persist = createWriteStream(path, { flags: 'a' });
    persist.on('error', (err) => {
      process.stderr.write(`svc-mesh traces: cannot write ${path}: ${err.message}; persistence is off\n`);
      persist = undefined;
    });
  }

  // --- live updates (server-sent events) -----------------------------------------------------
  const streams = new Set<ServerResponse>();
  let pending: Set<string> | null = new Set();
  let cleared = false;
  let timer: NodeJS.Timeout | undefined;
  const flushLive = () => {
    timer = undefined;
    const ids = pending ? [...pending] : [];
    pending = new Set();
    const msg = cleared
      ? `event: clear\ndata: {}\n\n`
      : `event: traces\ndata: ${JSON.stringify({ traceIds: ids, total: store.size })}\n\n`;
    cleared = false;
    for (const s of streams) s.write(msg);
  };
  const unsubscribe = store.subscribe((ids) => {
    if (streams.size === 0) return;
    if (ids === null) cleared = true;
    else for (const id of ids) pending?.add(id);
    // coalesce bursts (a batch exporter sends many requests at once) into one message
    timer ??= setTimeout(flushLive, 100);
  });
  const heartbeat = setInterval(() => {
    for (const s of streams) s.write(': ping\n\n');
  }, 15_000);
  heartbeat.unref();

  // --- request handling ----------------------------------------------------------------------
  async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const path = url.pathname;
    const method = req.method ?? 'GET';
    try {
      if (path === '/v1/traces') {
        if (method === 'OPTIONS') return preflight(res);
        if (method !== 'POST') throw new TraceServiceError('METHOD_NOT_ALLOWED', `use POST for ${path}`);
        await loaded;
        if (!(await gate.acquire())) {
          req.resume();
          res.setHeader('retry-after', '1');
          throw new TraceServiceError(
            'OTLP_BUSY',
            'the collector is decoding as many requests as it accepts at once; retry later (OTLP exporters retry 503 by themselves)',
          );
        }
        try {
          await collect(req, res);
        } finally {
          gate.release();
        }
        return true;
      }
      if (path.startsWith('/api/')) {
        await loaded;
        await api(req, res, url, method);
        return true;
      }
      if (method !== 'GET' && method !== 'HEAD') return false;
      if (path in VIEWER_ASSETS) {
        await asset(res, path);
        return true;
      }
      if (VIEWER_PAGES.test(path)) {
        await loaded;
        let status = 200;
        const m = /^\/traces\/([^/]+)$/.exec(path);
        if (m && !(TRACE_ID_RE.test(m[1] ?? '') && store.has(m[1] ?? ''))) status = 404;
        await page(res, status);
        return true;
      }
      return false;
    } catch (err) {
      sendError(req, res, err);
      return true;
    }
  }

  async function collect(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    const isJson = type === 'application/json';
    const isProto = type === 'application/x-protobuf' || type === 'application/protobuf';
    if (!isJson && !isProto) {
      throw new TraceServiceError(
        'OTLP_UNSUPPORTED_MEDIA_TYPE',
        `Content-Type ${JSON.stringify(type || '(none)')} is not supported; send OTLP as application/json or application/x-protobuf`,
      );
    }
    const body = await readBody(req, maxBody);
    const decoded: DecodedRequest = isJson ? decodeJsonRequest(body.toString('utf8')) : decodeProtobufRequest(body);
    if (decoded.spanCount > 0) {
      store.ingest(decoded.request);
      persist?.write(`${JSON.stringify(decoded.request)}\n`);
    }
    const msg =
      decoded.rejectedSpans > 0 ? `${decoded.rejectedSpans} span(s) rejected: ${decoded.rejectReason}` : undefined;
    res.statusCode = 200;
    if (isJson) {
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify(
          decoded.rejectedSpans > 0
            ? { partialSuccess: { rejectedSpans: decoded.rejectedSpans, errorMessage: msg } }
            : {},
        ),
      );
    } else {
      res.setHeader('content-type', 'application/x-protobuf');
      res.end(encodeExportResponse(decoded.rejectedSpans, msg));
    }
  }

  async function api(req: IncomingMessage, res: ServerResponse, url: URL, method: string): Promise<void> {
    const path = url.pathname;
    if (path === '/api/traces') {
      if (method === 'DELETE') {
        store.clear();
        return sendJson(res, 200, { cleared: true });
      }
      if (method !== 'GET' && method !== 'HEAD')
        throw new TraceServiceError('METHOD_NOT_ALLOWED', `use GET for ${path}`);
      return sendJson(res, 200, store.list(parseQuery(url.searchParams)));
    }
    const m = /^\/api\/traces\/([^/]+?)(\/otlp)?$/.exec(path);
    if (m) {
      if (method !== 'GET' && method !== 'HEAD')
        throw new TraceServiceError('METHOD_NOT_ALLOWED', `use GET for ${path}`);
      const id = decodeURIComponent(m[1] ?? '');
      if (!TRACE_ID_RE.test(id)) {
        throw new TraceServiceError('TRACE_NOT_FOUND', `${JSON.stringify(id)} is not a trace id (32 hex digits)`);
      }
      const detail = store.get(id);
      if (!detail) {
        throw new TraceServiceError(
          'TRACE_NOT_FOUND',
          `trace ${id.toLowerCase()} is not stored: it was never received, or it was evicted (the store keeps the ${store.maxTraces} most recently updated traces)`,
        );
      }
      if (m[2]) {
        // the trace as OTLP/JSON, ready for any OTLP/HTTP receiver
        res.setHeader('content-disposition', `attachment; filename="trace-${id.toLowerCase()}.otlp.json"`);
        return sendJson(res, 200, spansToOtlp(detail.spans));
      }
      return sendJson(res, 200, detail);
    }
    if (method !== 'GET' && method !== 'HEAD') throw new TraceServiceError('METHOD_NOT_ALLOWED', `use GET for ${path}`);
    if (path === '/api/services') return sendJson(res, 200, { services: store.services() });
    if (path === '/api/graph') return sendJson(res, 200, store.graph());
    if (path === '/api/operations') return sendJson(res, 200, { operations: store.operations() });
    if (path === '/api/stream') return openStream(req, res);
    throw new TraceServiceError(
      'TRACE_NOT_FOUND',
      `no API at ${path}; try /api/traces, /api/traces/:traceId, /api/services, /api/operations, /api/graph or /api/stream`,
    );
  }

  function openStream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    res.write(`retry: 2000\nevent: hello\ndata: ${JSON.stringify({ total: store.size })}\n\n`);
    streams.add(res);
    const drop = () => streams.delete(res);
    req.on('close', drop);
    res.on('close', drop);
  }

  async function asset(res: ServerResponse, path: string): Promise<void> {
    let buf = assetCache.get(path);
    if (!buf) {
      buf = await readFile(`${dir}${path.slice('/assets/'.length)}`);
      assetCache.set(path, buf);
    }
    res.writeHead(200, {
      'content-type': VIEWER_ASSETS[path] ?? 'application/octet-stream',
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    res.end(buf);
  }

  async function page(res: ServerResponse, status: number): Promise<void> {
    let buf = assetCache.get('/index.html');
    if (!buf) {
      buf = await readFile(`${dir}index.html`);
      assetCache.set('/index.html', buf);
    }
    res.writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      ...VIEWER_SECURITY_HEADERS,
    });
    res.end(buf);
  }

  async function close(): Promise<void> {
    unsubscribe();
    clearInterval(heartbeat);
    if (timer) clearTimeout(timer);
    for (const s of streams) s.end();
    streams.clear();
    await loaded.catch(() => undefined);
    const p = persist;
    persist = undefined;
    if (p) await new Promise<void>((resolve) => p.end(resolve));
  }

  return { handle, store, close };
}

/**
 * The viewer's page: only its own scripts, styles and API (it builds the DOM as text, never
 * HTML), and no page of another origin may frame it (the Clear button could be clickjacked).
 */
export const VIEWER_SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
} as const;

/**
 * CORS preflight of /v1/traces: no `access-control-allow-origin`, so no page of another origin
 * may post spans (a page of the collector's own origin needs no CORS). It was `*`.
 */
function preflight(res: ServerResponse): true {
  res.writeHead(204, {
    'access-control-allow-methods': 'POST, OPTIONS',
    'access-control-allow-headers': 'content-type, content-encoding',
    'access-control-max-age': '86400',
  });
  res.end();
  return true;
}

function parseQuery(p: URLSearchParams): TraceQuery {
  const q: TraceQuery = {};
  const service = p.get('service');
  if (service) q.service = service;
  const error = p.get('error');
  if (error !== null && error !== '') {
    if (error === 'true' || error === '1') q.error = true;
    else if (error === 'false' || error === '0') q.error = false;
    else throw new TraceServiceError('INVALID_QUERY', `error=${JSON.stringify(error)}: use error=true or error=false`);
  }
  const min = p.get('minDurationMs');
  if (min !== null && min !== '') {
    const n = Number(min);
    if (!Number.isFinite(n) || n < 0) {
      throw new TraceServiceError('INVALID_QUERY', `minDurationMs=${JSON.stringify(min)}: use a number ≥ 0`);
    }
    q.minDurationMs = n;
  }
  const limit = p.get('limit');
  if (limit !== null && limit !== '') {
    const n = Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > MAX_LIST_LIMIT) {
      throw new TraceServiceError(
        'INVALID_QUERY',
        `limit=${JSON.stringify(limit)}: use an integer from 1 to ${MAX_LIST_LIMIT}`,
      );
    }
    q.limit = n;
  }
  const text = p.get('q');
  if (text) q.q = text;
  return q;
}

async function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) {
      req.resume(); // drain the rest so the connection can answer
      throw new TraceServiceError('OTLP_BODY_TOO_LARGE', `the body is larger than ${max} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  const raw = Buffer.concat(chunks);
  const enc = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  try {
    if (enc === 'gzip') return await gunzipAsync(raw, { maxOutputLength: max });
    if (enc === 'deflate') return await inflateAsync(raw, { maxOutputLength: max });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
      throw new TraceServiceError('OTLP_BODY_TOO_LARGE', `the body is larger than ${max} bytes once decompressed`);
    throw new TraceServiceError(
      'OTLP_INVALID_BODY',
      `the ${enc} body cannot be decompressed: ${(err as Error).message}`,
    );
  }
  if (enc !== 'identity') {
    throw new TraceServiceError(
      'OTLP_UNSUPPORTED_MEDIA_TYPE',
      `Content-Encoding ${JSON.stringify(enc)} is not supported (use gzip or none)`,
    );
  }
  return raw;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-cache',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function sendError(req: IncomingMessage, res: ServerResponse, err: unknown): void {
  const e = isTraceServiceError(err)
    ? err
    : new TraceServiceError('OTLP_INVALID_BODY', `internal error: ${(err as Error)?.message ?? String(err)}`);
  const status = isTraceServiceError(err) ? e.status : 500;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (req.url?.startsWith('/v1/traces') && type.includes('protobuf')) {
    // OTLP/HTTP: errors use google.rpc.Status in the request's encoding (3 = INVALID_ARGUMENT)
    res.writeHead(status, { 'content-type': 'application/x-protobuf' });
    res.end(encodeRpcStatus(status === 400 ? 3 : 2, e.message));
    return;
  }
  sendJson(res, status, { error: e.toJSON() });
}

/** Loads a persistence file (OTLP JSON lines) into the store; malformed lines are skipped and counted. */
async function loadPersisted(path: string, store: TraceStore): Promise<void> {
  let bad = 0;
  const rl = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of rl) {
    if (line.trim() === '') continue;
    try {
      store.ingest(normaliseRequest(JSON.parse(line)).request);
    } catch {
      bad++;
    }
  }
  if (bad > 0) process.stderr.write(`svc-mesh traces: skipped ${bad} malformed line(s) in ${path}\n`);
}

/** Reads a persistence file synchronously (for tools): every request in it. */
export function readPersisted(path: string): DecodedRequest[] {
  const out: DecodedRequest[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(normaliseRequest(JSON.parse(line)));
    } catch {
      // skipped, as at load
    }
  }
  return out;
}
