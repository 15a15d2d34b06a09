/**
 * Tracing inside a mesh worker, bundled into the worker's tracing bootstrap (see build.ts):
 *
 * - Spans leave over the worker's IPC channel (`{ t: 'spans', body }`, OTLP/JSON text) instead of
 *   an HTTP request to the collector: a sandbox here is never frozen, and the channel is ordered,
 *   so every span a handler flushed before returning reaches the mesh before its `done` message.
 * - The invocation's own span takes the ids the mesh chose for it ({@link setInvocationIds}):
 *   the first span started in an invocation (defineFunction's SERVER span, defineSubscriber's
 *   CONSUMER span) is the very span the mesh records when the handler records none (a plain
 *   handler, a timeout, a crash). One invocation, one span, whichever side writes it.
 * @internal
 */
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import {
  type IdGenerator,
  RandomIdGenerator,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-node';

/** Where the worker bootstrap leaves the ids of the invocation about to run (a separate bundle). */
export const INVOCATION_IDS_KEY = Symbol.for('svc-mesh.local.invocationIds');

interface PendingIds {
  traceId: string;
  spanId: string;
}
type Holder = { [INVOCATION_IDS_KEY]?: PendingIds | undefined };

/** Hands the next invocation's span ids to the id generator (the worker bootstrap calls this). */
export function setInvocationIds(ids: PendingIds | undefined): void {
  (globalThis as Holder)[INVOCATION_IDS_KEY] = ids;
}

/** Random ids, except that the first span of an invocation gets the ids the mesh chose. */
export class MeshIdGenerator implements IdGenerator {
  private readonly random = new RandomIdGenerator();
  generateTraceId(): string {
    const ids = (globalThis as Holder)[INVOCATION_IDS_KEY];
    return ids === undefined ? this.random.generateTraceId() : ids.traceId;
  }
  generateSpanId(): string {
    const holder = globalThis as Holder;
    const ids = holder[INVOCATION_IDS_KEY];
    if (ids === undefined) return this.random.generateSpanId();
    holder[INVOCATION_IDS_KEY] = undefined;
    return ids.spanId;
  }
}

const decoder = new TextDecoder();

/** Sends finished spans to the mesh over the IPC channel. */
export class IpcSpanExporter implements SpanExporter {
  export(spans: ReadableSpan[], done: (r: { code: number; error?: Error }) => void): void {
    if (spans.length === 0 || typeof process.send !== 'function' || !process.connected) {
      done({ code: spans.length === 0 ? 0 : 1 });
      return;
    }
    try {
      const body = decoder.decode(JsonTraceSerializer.serializeRequest(spans));
      process.send({ t: 'spans', body });
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
