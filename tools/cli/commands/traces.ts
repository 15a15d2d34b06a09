/**
 * `svc-mesh traces`: read traces from a running local mesh (or any svc-mesh trace service)
 * and print them as a terminal waterfall, or `--serve` a standalone collector and viewer.
 *
 *   svc-mesh traces                 the 20 most recent traces
 *   svc-mesh traces --last          the most recent trace as a waterfall
 *   svc-mesh traces <traceId>       one trace as a waterfall
 *   svc-mesh traces --serve         OTLP/HTTP collector + viewer on 127.0.0.1:4318
 */
import { createServer } from 'node:http';
import pc from 'picocolors';
import type { TraceDetail, TraceList, TraceSpan, TraceSummary } from '../../local/traces/TraceStore.js';
import { spanTree } from '../../local/traces/tree.js';
import { meshEndpoint } from '../lib/meshState.js';
import { terminalSafeDeep } from '../../local/terminal.js';

export interface TracesOptions {
  last?: boolean;
  endpoint?: string;
  serve?: boolean;
  port?: number | string;
  persist?: string;
  maxTraces?: number | string;
  json?: boolean;
  limit?: number | string;
  service?: string;
  errors?: boolean;
  /** Output width in columns (default: the terminal's, else 120). */
  width?: number;
  /** Force colours on or off (default: picocolors' detection). */
  color?: boolean;
  /** Where to print (tests). */
  out?: (text: string) => void;
  /** Print each new trace as a waterfall as it completes, until Ctrl-C. */
  follow?: boolean;
  /** --follow: a trace is printed once no span of it arrived for this long (default 800 ms). */
  settleMs?: number;
  /** Stops --follow and --serve (tests); Ctrl-C otherwise. */
  signal?: AbortSignal;
}

/** A failure of the `traces` command with a stable code (printed as `[code] message`). */
export class TracesCommandError extends Error {
  override readonly name = 'TracesCommandError';
  constructor(
    readonly code: 'TRACE_NOT_FOUND' | 'MESH_UNREACHABLE' | 'INVALID_ARGUMENT' | 'PORT_IN_USE',
    message: string,
  ) {
    super(message);
  }
}

const SERVICE_COLORS = ['blue', 'green', 'yellow', 'magenta', 'cyan', 'red'] as const;

export async function run(traceId: string | undefined, opts: TracesOptions = {}): Promise<void> {
  const out = opts.out ?? ((t: string) => process.stdout.write(t));
  if (opts.serve) return serve(opts, out);
  const endpoint = meshEndpoint(opts.endpoint).replace(/\/+$/, '');
  if (opts.follow) return follow(endpoint, opts, out);
  if (traceId !== undefined) {
    const id = await resolveTraceId(endpoint, traceId);
    const detail = await getJson<TraceDetail>(endpoint, `/api/traces/${id}`);
    return out(opts.json ? `${JSON.stringify(detail, null, 2)}\n` : formatWaterfall(detail, opts));
  }
  if (opts.last) {
    const list = await getJson<TraceList>(endpoint, '/api/traces?limit=1');
    const first = list.traces[0];
    if (!first) {
      throw new TracesCommandError('TRACE_NOT_FOUND', `no traces stored at ${endpoint} yet; invoke a function first`);
    }
    const detail = await getJson<TraceDetail>(endpoint, `/api/traces/${first.traceId}`);
    return out(opts.json ? `${JSON.stringify(detail, null, 2)}\n` : formatWaterfall(detail, opts));
  }
  const qs = new URLSearchParams({ limit: String(opts.limit ?? 20) });
  if (opts.service) qs.set('service', opts.service);
  if (opts.errors) qs.set('error', 'true');
  const list = await getJson<TraceList>(endpoint, `/api/traces?${qs}`);
  out(opts.json ? `${JSON.stringify(list, null, 2)}\n` : formatList(list, endpoint, opts));
}

/** A full trace id, or the one stored trace whose id starts with the given prefix (at least 4 hex digits). */
export async function resolveTraceId(endpoint: string, given: string): Promise<string> {
  if (!/^[0-9a-fA-F]{4,32}$/.test(given)) {
    throw new TracesCommandError(
      'INVALID_ARGUMENT',
      `${JSON.stringify(given)} is not a trace id: give its 32 hex digits, or a prefix of at least 4`,
    );
  }
  const prefix = given.toLowerCase();
  if (prefix.length === 32) return prefix;
  const list = await getJson<TraceList>(endpoint, `/api/traces?${new URLSearchParams({ q: prefix, limit: '10000' })}`);
  const ids = [...new Set(list.traces.map((t) => t.traceId).filter((t) => t.startsWith(prefix)))];
  if (ids.length === 1) return ids[0]!;
  if (ids.length === 0) {
    throw new TracesCommandError('TRACE_NOT_FOUND', `no stored trace id starts with ${prefix} at ${endpoint}`);
  }
  throw new TracesCommandError(
    'INVALID_ARGUMENT',
    `${prefix} matches ${ids.length} traces (${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', …' : ''}); give more digits`,
  );
}

async function getJson<T>(endpoint: string, path: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${endpoint}${path}`, { headers: { accept: 'application/json' } });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new TracesCommandError(
      'MESH_UNREACHABLE',
      `cannot reach a trace service at ${endpoint} (${cause}); start \`svc-mesh dev\` or \`svc-mesh traces --serve\`, or pass --endpoint`,
    );
  }
  const body = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
  if (res.status === 404) {
    throw new TracesCommandError('TRACE_NOT_FOUND', body.error?.message ?? `${path} was not found at ${endpoint}`);
  }
  if (!res.ok) {
    throw new TracesCommandError(
      'MESH_UNREACHABLE',
      `${endpoint}${path} answered ${res.status}: ${body.error?.message ?? ''}`,
    );
  }
  return body as T;
}

function fmtDur(ms: number): string {
  if (ms < 1) return `${Math.round(ms * 1000)} µs`;
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

function colors(opts: TracesOptions) {
  return pc.createColors(opts.color ?? pc.isColorSupported);
}

/** `1 span`, `2 spans`. */
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function pad(s: string, n: number): string {
  const len = [...s].length;
  return len >= n ? `${[...s].slice(0, Math.max(0, n - 1)).join('')}…` : s + ' '.repeat(n - len);
}

function errorText(s: TraceSpan): string {
  const ev = s.events.find((e) => e.name === 'exception');
  const stack = ev?.attributes['exception.stacktrace'];
  // OpenTelemetry JS reports an error's `code` as exception.type; the class name heads the stack
  const named = typeof stack === 'string' ? /^([A-Za-z_$][\w$.]*)(?::|$)/.exec(stack)?.[1] : undefined;
  const type = named ?? ev?.attributes['exception.type'];
  const code = s.attributes['svcmesh.error.code'];
  const msg = ev?.attributes['exception.message'] ?? s.status.message;
  const head = [type, typeof code === 'string' && code !== '' ? `[${code}]` : undefined]
    .filter((x) => typeof x === 'string' && x !== '')
    .join(' ');
  return [head, msg].filter((x) => typeof x === 'string' && x !== '').join(': ');
}

/** The failure's cause, printed in full under the header (the rows only have room for its start). */
function causeLine(detail: TraceDetail): string | undefined {
  const id = detail.summary.firstError?.spanId;
  const s = id === undefined ? undefined : detail.spans.find((x) => x.spanId === id);
  return s === undefined ? undefined : `cause: ${s.name} (${s.service}): ${errorText(s)}`;
}

/** Renders one trace as a terminal waterfall: tree, service, bar, duration, error marker. */
export function formatWaterfall(untrusted: TraceDetail, opts: TracesOptions = {}): string {
  // span names, services and error texts come from any process that posts spans
  const detail = terminalSafeDeep(untrusted);
  const c = colors(opts);
  const width = Math.max(80, opts.width ?? process.stdout.columns ?? 120);
  const sum = detail.summary;
  const services = [...new Set(detail.spans.map((s) => s.service))].sort();
  const paint = (svc: string, text: string) => {
    const name = SERVICE_COLORS[services.indexOf(svc) % SERVICE_COLORS.length] ?? 'blue';
    return c[name](text);
  };
  const rows = spanTree(detail.spans);
  const labelW = Math.min(
    56,
    Math.max(
      24,
      ...rows.map((r) => r.depth * 3 + [...r.span.name].length + (r.span.hop && r.span.hop !== 'sync' ? 8 : 0) + 2),
    ),
  );
  const svcW = Math.max(8, ...services.map((s) => s.length)) + 2;
  // leave room for error messages when there are any
  // (the bars shrink, down to 16 columns, before an error is cut; the cause is printed in full above)
  const errRoom = Math.max(
    0,
    ...detail.spans.filter((s) => s.status.code === 'error').map((s) => errorText(s).length + 3),
  );
  const barW = Math.max(16, Math.min(60, width - labelW - svcW - 14 - errRoom));
  const t0 = sum.startMs;
  const total = Math.max(sum.durationMs, 1e-3);
  const col = (ms: number) => Math.min(barW, Math.max(0, Math.round(((ms - t0) / total) * barW)));

  const lines: string[] = [];
  const errs = sum.errorCount > 0 ? c.red(`✗ ${plural(sum.errorCount, 'error')}`) : c.green('✓ no errors');
  lines.push(
    `${c.bold(sum.rootName || '(unnamed)')}  ${c.dim('·')}  ${fmtDur(sum.durationMs)}  ${c.dim('·')}  ${plural(sum.spanCount, 'span')}  ${c.dim('·')}  ${plural(sum.services.length, 'service')}  ${c.dim('·')}  ${errs}`,
  );
  lines.push(c.dim(`trace ${sum.traceId}  started ${new Date(sum.startMs).toISOString()}`));
  const cause = causeLine(detail);
  if (cause !== undefined) lines.push(c.red(cause));
  lines.push('');
  for (const r of rows) {
    const s = r.span;
    const prefix =
      r.depth === 0 ? '' : `${r.rails.map((on) => (on ? '│  ' : '   ')).join('')}${r.last ? '└─ ' : '├─ '}`;
    const hop = s.hop === 'async' || s.hop === 'event' ? ` [${s.hop}]` : '';
    const label = pad(`${prefix}${s.name}${hop}`, labelW);
    // every span gets at least one cell, also one that starts at the very end of the trace
    const start = Math.min(barW - 1, col(s.startMs));
    const end = Math.min(barW, Math.max(start + 1, col(s.startMs + s.durationMs)));
    const gapFrom =
      (s.hop === 'async' || s.hop === 'event') && r.parent && (s.kind === 'server' || s.kind === 'consumer')
        ? Math.min(col(r.parent.startMs), start)
        : start;
    const bar =
      ' '.repeat(gapFrom) +
      c.dim((s.hop === 'event' ? '·' : '┄').repeat(start - gapFrom)) +
      paint(s.service, (s.hop === 'async' ? '▓' : s.hop === 'event' ? '▒' : '█').repeat(end - start)) +
      ' '.repeat(barW - end);
    const isErr = s.status.code === 'error';
    const room = Math.max(40, width - labelW - svcW - barW - 14);
    const mark = isErr ? c.red(`✗ ${pad(errorText(s), room).trimEnd()}`) : '';
    const orphan = r.missingParent ? c.dim(' (remote parent)') : '';
    lines.push(
      `${isErr ? c.red(label) : label} ${paint(s.service, pad(s.service, svcW))}${bar} ${pad(fmtDur(s.durationMs), 10)}${mark}${orphan}`,
    );
  }
  lines.push('');
  lines.push(c.dim(`█ sync   ▓ async (Event) invoke   ▒ lifecycle event (SNS)   ┄ waiting in queue   ✗ error`));
  return `${lines.join('\n')}\n`;
}

function formatList(untrusted: TraceList, endpoint: string, opts: TracesOptions): string {
  const list = terminalSafeDeep(untrusted);
  const c = colors(opts);
  if (list.traces.length === 0) return `No traces at ${endpoint} yet. Invoke a function and run this again.\n`;
  const lines = [
    c.dim(
      `${pad('started', 10)}${pad('duration', 11)}${pad('spans', 7)}${pad('trace id', 34)}root operation / services`,
    ),
  ];
  for (const t of list.traces as TraceSummary[]) {
    const time = new Date(t.startMs).toTimeString().slice(0, 8);
    const fe = t.firstError;
    const cause = fe ? ` ${fe.name}: ${fe.code ? `[${fe.code}] ` : ''}${fe.message}` : '';
    const mark = t.hasError ? c.red(` ✗${cause.length > 100 ? `${cause.slice(0, 99)}…` : cause}`) : '';
    lines.push(
      `${pad(time, 10)}${pad(fmtDur(t.durationMs), 11)}${pad(String(t.spanCount), 7)}${pad(t.traceId, 34)}${c.bold(t.rootName)}${mark} ${c.dim(t.services.join(', '))}`,
    );
  }
  lines.push(
    c.dim(
      `${list.matched} matching of ${list.total} stored · svc-mesh traces <traceId> for a waterfall · viewer: ${endpoint}/`,
    ),
  );
  return `${lines.join('\n')}\n`;
}

/**
 * `--follow`: listens to the trace service's live stream and prints each trace once it has
 * settled (no new span for `settleMs`); a trace that grows later is printed again.
 */
async function follow(endpoint: string, opts: TracesOptions, out: (t: string) => void): Promise<void> {
  const settle = opts.settleMs ?? 800;
  const ac = new AbortController();
  const stop = () => ac.abort();
  opts.signal?.addEventListener('abort', stop, { once: true });
  process.once('SIGINT', stop);
  const timers = new Map<string, NodeJS.Timeout>();
  const printed = new Map<string, number>();
  const print = async (id: string) => {
    timers.delete(id);
    try {
      const d = await getJson<TraceDetail>(endpoint, `/api/traces/${id}`);
      if (printed.get(id) === d.summary.spanCount) return;
      printed.set(id, d.summary.spanCount);
      out(`${opts.json ? JSON.stringify(d) : formatWaterfall(d, opts)}\n`);
    } catch {
      // evicted or cleared in the meantime: nothing to print
    }
  };
  let res: Response;
  try {
    res = await fetch(`${endpoint}/api/stream`, { signal: ac.signal, headers: { accept: 'text/event-stream' } });
  } catch (err) {
    process.removeListener('SIGINT', stop);
    if (ac.signal.aborted) return;
    throw new TracesCommandError(
      'MESH_UNREACHABLE',
      `cannot reach a trace service at ${endpoint} (${(err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message}); start \`svc-mesh dev\` or pass --endpoint`,
    );
  }
  if (!res.ok || !res.body)
    throw new TracesCommandError('MESH_UNREACHABLE', `${endpoint}/api/stream answered ${res.status}`);
  if (!opts.json) out(colors(opts).dim(`Following ${endpoint} — each trace prints once it settles. Ctrl-C to stop.\n`));
  const decoder = new TextDecoder();
  let buf = '';
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      let sep = buf.indexOf('\n\n');
      while (sep >= 0) {
        const block = buf.slice(0, sep);
        buf = buf.slice(sep + 2);
        sep = buf.indexOf('\n\n');
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event !== 'traces' || data === undefined) continue;
        let ids: string[] = [];
        try {
          ids = (JSON.parse(data) as { traceIds?: string[] }).traceIds ?? [];
        } catch {
          continue;
        }
        for (const id of ids) {
          clearTimeout(timers.get(id));
          timers.set(
            id,
            setTimeout(() => void print(id), settle),
          );
        }
      }
    }
  } catch (err) {
    if (!ac.signal.aborted) throw err;
  } finally {
    process.removeListener('SIGINT', stop);
    for (const t of timers.values()) clearTimeout(t);
  }
}

async function serve(opts: TracesOptions, out: (t: string) => void): Promise<void> {
  const { createTraceService } = await import('../../local/traces/TraceService.js');
  const port = Number(opts.port ?? 4318);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TracesCommandError('INVALID_ARGUMENT', `--port ${JSON.stringify(opts.port)} is not a port number`);
  }
  const svcOpts: { persistPath?: string; maxTraces?: number } = {};
  if (opts.persist) svcOpts.persistPath = opts.persist;
  if (opts.maxTraces !== undefined) svcOpts.maxTraces = Number(opts.maxTraces);
  const traces = createTraceService(svcOpts);
  const { checkBrowser, checkHost } = await import('../../local/guard.js');
  let listening = port;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    // DNS rebinding and other sites' pages (docs/security.md), as in the mesh
    const refused = checkHost(req, listening) ?? checkBrowser(req, listening);
    if (refused !== undefined) {
      req.resume();
      res.writeHead(refused.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'FORBIDDEN', message: refused.message } }));
      return;
    }
    traces.handle(req, res, url).then(
      (mine) => {
        if (!mine) {
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { code: 'NOT_FOUND', message: `nothing at ${url.pathname}` } }));
        }
      },
      () => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new TracesCommandError('PORT_IN_USE', `port ${port} is in use; pass --port <n> (0 = any free port)`)
          : err,
      ),
    );
    server.listen(port, '127.0.0.1', resolve);
  });
  const addr = server.address();
  listening = typeof addr === 'object' && addr ? addr.port : port;
  const url = `http://127.0.0.1:${listening}`;
  out(
    `svc-mesh traces: viewer ${url}/  ·  OTLP/HTTP ${url}/v1/traces (JSON or protobuf)${opts.persist ? `  ·  persisting to ${opts.persist}` : ''}\n` +
      `Point exporters at it: OTEL_EXPORTER_OTLP_ENDPOINT=${url}\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    opts.signal?.addEventListener('abort', stop, { once: true });
  });
  await traces.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
