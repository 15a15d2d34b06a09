/**
 * The mesh worker's span processor (tools/local/workers/tracingIpc.ts): ended spans go to the
 * exporter in one request on forceFlush, at 512 waiting, or within a second; never unsampled ones.
 * Real OpenTelemetry SDK provider and in-memory exporter.
 */
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  type Sampler,
  SamplingDecision,
} from '@opentelemetry/sdk-trace-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IpcSpanProcessor } from '../../../tools/local/workers/tracingIpc.js';

/** An exporter that remembers each export call's batch (InMemorySpanExporter keeps only the spans). */
class Batches extends InMemorySpanExporter {
  readonly batches: string[][] = [];
  override export(spans: ReadableSpan[], done: Parameters<InMemorySpanExporter['export']>[1]): void {
    this.batches.push(spans.map((s) => s.name));
    super.export(spans, done);
  }
}

function setUp(sampler?: Sampler) {
  const exporter = new Batches();
  const processor = new IpcSpanProcessor(exporter);
  const provider = new BasicTracerProvider({ spanProcessors: [processor], ...(sampler ? { sampler } : {}) });
  const tracer = provider.getTracer('t');
  const end = (name: string) => tracer.startSpan(name).end();
  return { exporter, processor, provider, end };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('IpcSpanProcessor', () => {
  it('exports the spans ended so far in one request on forceFlush, in order, and nothing before', async () => {
    const { exporter, provider, end } = setUp();
    end('a');
    end('b');
    expect(exporter.batches).toEqual([]);
    await provider.forceFlush();
    expect(exporter.batches).toEqual([['a', 'b']]);
    await provider.forceFlush();
    expect(exporter.batches).toEqual([['a', 'b']]);
    end('c');
    await provider.forceFlush();
    expect(exporter.batches).toEqual([['a', 'b'], ['c']]);
  });

  it('never exports a span that is recorded but not sampled', async () => {
    const recordOnly: Sampler = {
      shouldSample: () => ({ decision: SamplingDecision.RECORD }),
      toString: () => 'record-only',
    };
    const { exporter, provider, end } = setUp(recordOnly);
    end('recorded');
    await provider.forceFlush();
    expect(exporter.batches).toEqual([]);
  });

  it('exports at once when 512 spans are waiting (bounded memory between flushes)', () => {
    const { exporter, end } = setUp();
    for (let i = 0; i < 511; i++) end(`s${i}`);
    expect(exporter.batches).toEqual([]);
    end('s511');
    expect(exporter.batches).toHaveLength(1);
    expect(exporter.batches[0]).toHaveLength(512);
    expect(exporter.batches[0]![511]).toBe('s511');
  });

  it('exports spans nobody flushes within a second (a plain handler, a background timer)', () => {
    vi.useFakeTimers();
    const { exporter, end } = setUp();
    end('late');
    vi.advanceTimersByTime(999);
    expect(exporter.batches).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(exporter.batches).toEqual([['late']]);
    end('later');
    vi.advanceTimersByTime(1_000);
    expect(exporter.batches).toEqual([['late'], ['later']]);
  });

  it('stops its timer after a second with nothing to send (an idle sandbox is not woken), and starts it again', async () => {
    vi.useFakeTimers();
    const { exporter, processor, end } = setUp();
    end('a');
    await processor.forceFlush();
    vi.advanceTimersByTime(0); // InMemorySpanExporter answers on a 0 ms timer
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(1_000);
    expect(vi.getTimerCount()).toBe(0);
    end('b');
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(1_000);
    expect(exporter.batches).toEqual([['a'], ['b']]);
  });

  it('exports what is left on shutdown, then takes no more spans', async () => {
    const { exporter, processor, provider, end } = setUp();
    const tracer = provider.getTracer('t');
    const open = tracer.startSpan('open');
    end('done');
    await processor.shutdown();
    expect(exporter.batches).toEqual([['done']]);
    open.end();
    await processor.forceFlush();
    expect(exporter.batches).toEqual([['done']]);
  });
});
