/**
 * Tracing inside a mesh worker, bundled into the worker's tracing bootstrap (see build.ts):
 *
 * - Spans leave over the worker's IPC channel instead of an HTTP request to the collector: a
 *   sandbox here is never frozen, and the channel is ordered, so every span a handler flushed
 *   before returning reaches the mesh with or before its `done` message. They go as the OTLP/JSON
 *   request object (the library's own transform), so the channel's JSON is their only encoding.
 * - The invocation's own span takes the ids the mesh chose for it ({@link setInvocationIds}):
 *   the first span started in an invocation (defineFunction's SERVER span, defineSubscriber's
 *   CONSUMER span) is the very span the mesh records when the handler records none (a plain
 *   handler, a timeout, a crash). One invocation, one span, whichever side writes it.
 * @internal
 */
// The library's OTLP/JSON transform, without its stringify + UTF-8 encode (the IPC channel encodes).
import { JSON_ENCODER } from '@opentelemetry/otlp-transformer/build/src/common/utils.js';
import { createExportTraceServiceRequest } from '@opentelemetry/otlp-transformer/build/src/trace/internal.js';
import { TraceFlags } from '@opentelemetry/api';
import {
  type IdGenerator,
  RandomIdGenerator,
  type ReadableSpan,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';

/**
 * During an invocation the worker bootstrap puts an empty list here; the exporter appends its
 * OTLP/JSON texts to it and the bootstrap sends them in the invocation's `done` message (one IPC
 * message per invocation, not two). Outside an invocation (a timer flush) spans go at once.
 */
export const PENDING_SPANS_KEY = Symbol.for('svc-mesh.local.pendingSpans');
/** Past this many pending spans in one invocation, they go at once (bounded memory). */
const PENDING_MAX_SPANS = 2_048;
/**
 * Spans still pending this long after a flush go on their own: a flush in the middle of a long
 * invocation (the batch timer) reaches the mesh even if the invocation then times out or crashes.
 */
const PENDING_MAX_MS = 50;

type Pending = object[] & { count?: number; timer?: NodeJS.Timeout | undefined };

/** Sends the pending spans now, in order (each still ahead of the invocation's `done`). */
function drain(pending: Pending): void {
  if (pending.timer !== undefined) clearTimeout(pending.timer);
  pending.timer = undefined;
  pending.count = 0;
  if (typeof process.send !== 'function' || !process.connected) return;
  for (const body of pending.splice(0)) process.send({ t: 'spans', body });
}

/** Where the worker bootstrap leaves the ids of the invocation about to run (a separate bundle). */
export const INVOCATION_IDS_KEY = Symbol.for('svc-mesh.local.invocationIds');

interface PendingIds {
  traceId: string;
  spanId: string;
}
type Holder = {
  [INVOCATION_IDS_KEY]?: PendingIds | undefined;
  [PENDING_SPANS_KEY]?: Pending | undefined;
};

/** Hands the next invocation's span ids to the id generator (the worker bootstrap calls this). */
export function setInvocationIds(ids: PendingIds | undefined): void {
  (globalThis as Holder)[INVOCATION_IDS_KEY] = ids;
}

/**
 * Random ids, except that the first span of an invocation gets the ids the mesh chose. The SDK
 * asks for the span id first, then (for a root span only) the trace id, in the same call: the
 * trace id of the span that just took the mesh's span id is kept for that one question.
 */
export class MeshIdGenerator implements IdGenerator {
  private readonly random = new RandomIdGenerator();
  /** The mesh's trace id, for the root span that has just taken the mesh's span id. */
  private justTaken: string | undefined;
  generateTraceId(): string {
    const taken = this.justTaken;
    if (taken !== undefined) {
      this.justTaken = undefined;
      return taken;
    }
    const ids = (globalThis as Holder)[INVOCATION_IDS_KEY];
    return ids === undefined ? this.random.generateTraceId() : ids.traceId;
  }
  generateSpanId(): string {
    this.justTaken = undefined;
    const holder = globalThis as Holder;
    const ids = holder[INVOCATION_IDS_KEY];
    if (ids === undefined) return this.random.generateSpanId();
    holder[INVOCATION_IDS_KEY] = undefined;
    this.justTaken = ids.traceId;
    queueMicrotask(() => {
      this.justTaken = undefined;
    });
    return ids.spanId;
  }
}

/** Sends finished spans to the mesh over the IPC channel. */
export class IpcSpanExporter implements SpanExporter {
  export(spans: ReadableSpan[], done: (r: { code: number; error?: Error }) => void): void {
    if (spans.length === 0 || typeof process.send !== 'function' || !process.connected) {
      done({ code: spans.length === 0 ? 0 : 1 });
      return;
    }
    try {
      const body = createExportTraceServiceRequest(spans, JSON_ENCODER);
      const pending = (globalThis as Holder)[PENDING_SPANS_KEY];
      if (pending === undefined) {
        process.send({ t: 'spans', body });
      } else {
        pending.push(body);
        pending.count = (pending.count ?? 0) + spans.length;
        if (pending.count > PENDING_MAX_SPANS) drain(pending);
        else if (pending.timer === undefined) {
          pending.timer = setTimeout(() => drain(pending), PENDING_MAX_MS);
          pending.timer.unref?.();
        }
      }
      done({ code: 0 });
    } catch (err) {
      done({ code: 1, error: err as Error });
    }
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

/** Past this many ended spans, they are exported at once (bounded memory between flushes). */
const PROCESSOR_MAX_SPANS = 512;
/** How often spans ended outside any flush (a plain handler's, a background timer's) are exported. */
const PROCESSOR_INTERVAL_MS = 1_000;

/**
 * The worker's span processor: keeps ended spans and hands them to the IPC exporter in one
 * request on `forceFlush` (which `defineFunction` calls as every invocation ends), when 512 are
 * waiting, or once a second (a timer that stops after a second with nothing to send, so an idle
 * sandbox is not woken). The SDK's BatchSpanProcessor does the same for a network exporter, with
 * a timer armed and cleared, an export timeout and two context switches per flush; the IPC
 * exporter is synchronous and cannot hang, so none of that is needed here.
 */
export class IpcSpanProcessor implements SpanProcessor {
  private spans: ReadableSpan[] = [];
  private interval: NodeJS.Timeout | undefined;
  private stopped = false;
  constructor(private readonly exporter: SpanExporter) {}
  onStart(): void {}
  onEnd(span: ReadableSpan): void {
    if (this.stopped || (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    this.spans.push(span);
    if (this.spans.length >= PROCESSOR_MAX_SPANS) this.exportNow();
    else if (this.interval === undefined) {
      this.interval = setInterval(() => this.tick(), PROCESSOR_INTERVAL_MS);
      this.interval.unref();
    }
  }
  forceFlush(): Promise<void> {
    this.exportNow();
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    this.exportNow();
    this.stopped = true;
    if (this.interval !== undefined) clearInterval(this.interval);
    this.interval = undefined;
    return this.exporter.shutdown();
  }
  /** The once-a-second export; an idle sandbox's timer stops (the next span starts it again). */
  private tick(): void {
    if (this.spans.length > 0) this.exportNow();
    else {
      clearInterval(this.interval);
      this.interval = undefined;
    }
  }
  private exportNow(): void {
    if (this.spans.length === 0) return;
    const spans = this.spans;
    this.spans = [];
    this.exporter.export(spans, () => undefined);
  }
}
