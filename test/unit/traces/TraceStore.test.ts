import { describe, expect, it } from 'vitest';
import { normaliseRequest } from '../../../tools/local/traces/otlp.js';
import { TraceStore } from '../../../tools/local/traces/TraceStore.js';
import { spanTree } from '../../../tools/local/traces/tree.js';
import { hex, otlpRequest, scenarioSpans } from './otlpFixtures.js';

const ingest = (store: TraceStore, body: unknown) => store.ingest(normaliseRequest(body).request);

describe('Class: TraceStore', () => {
  it('files deferred spans after the current I/O, yet every read sees them, in order; clear drops them', async () => {
    const store = new TraceStore();
    const sc = scenarioSpans(1_700_000_000_000);
    const changes: (string[] | null)[] = [];
    store.subscribe((ids) => changes.push(ids));
    for (const s of sc.spans) store.later(() => ingest(store, otlpRequest(sc.traceId, [s])));
    // nothing filed yet: no listener has heard of it
    expect(changes).toEqual([]);
    // a read files what is pending first
    expect(store.get(sc.traceId)?.summary.spanCount).toBe(7);
    expect(changes).toHaveLength(7);
    // the same for every other read
    const other = new TraceStore();
    other.later(() => ingest(other, otlpRequest(sc.traceId, sc.spans)));
    expect(other.size).toBe(1);
    const third = new TraceStore();
    third.later(() => ingest(third, otlpRequest(sc.traceId, sc.spans)));
    expect(third.list().total).toBe(1);
    // and, read or not, the work is done after the current I/O
    const fourth = new TraceStore();
    fourth.later(() => ingest(fourth, otlpRequest(sc.traceId, sc.spans)));
    const heard: unknown[] = [];
    fourth.subscribe((ids) => heard.push(ids));
    await new Promise((r) => setImmediate(r));
    expect(heard).toEqual([[sc.traceId]]);
    // clear() drops what is not filed yet
    const fifth = new TraceStore();
    fifth.later(() => ingest(fifth, otlpRequest(sc.traceId, sc.spans)));
    fifth.clear();
    await new Promise((r) => setImmediate(r));
    expect(fifth.size).toBe(0);
  });

  it('builds the summary of a trace whose spans arrive child first, one span per request', () => {
    // Prepare
    const store = new TraceStore();
    const sc = scenarioSpans(1_700_000_000_000);
    // Act: reverse order, each span alone
    for (const s of [...sc.spans].reverse()) ingest(store, otlpRequest(sc.traceId, [s]));
    // Assess
    const d = store.get(sc.traceId)!;
    expect(d.summary.rootName).toBe('orders:placeOrder');
    expect(d.summary.services).toEqual(['orders', 'payments', 'ledger', 'alerts']);
    expect(d.summary.spanCount).toBe(7);
    // one failure (the declined charge), counted once: its callers only pass it on
    expect(d.summary.errorCount).toBe(1);
    expect(d.summary.orphanCount).toBe(1); // the root's remote parent (the test's caller)
    expect(d.summary.durationMs).toBeCloseTo(61, 3);
    expect(d.summary.hops).toEqual({ sync: 1, async: 1, event: 1 });
    // the cause (payments:charge), not the caller spans that only echo it
    expect(d.summary.firstError).toEqual({
      spanId: sc.ids['charge'],
      service: 'payments',
      name: 'payments:charge',
      message: 'card declined',
      code: 'CARD_DECLINED',
      type: 'CardDeclinedError',
    });
    const tree = spanTree(d.spans);
    expect(tree.map((r) => [r.span.name, r.depth])).toEqual([
      ['orders:placeOrder', 0],
      ['invoke payments:charge', 1],
      ['payments:charge', 2],
      ['invoke ledger:record', 3],
      ['ledger:record', 4],
      ['publish payments:charge failed', 3],
      ['alerts:onPaymentFailed <- payments:charge failed', 4],
    ]);
    expect(d.graph.edges).toEqual(
      expect.arrayContaining([
        { from: 'orders', to: 'payments', hop: 'sync', count: 1, errorCount: 1 },
        { from: 'payments', to: 'ledger', hop: 'async', count: 1, errorCount: 0 },
        { from: 'payments', to: 'alerts', hop: 'event', count: 1, errorCount: 0 },
      ]),
    );
    expect(d.graph.edges).toHaveLength(3);
  });

  it('renders a child whose parent never arrives at the top, and hangs a consumer under its linked producer', () => {
    const store = new TraceStore();
    const sc = scenarioSpans(1_700_000_000_000);
    // without payments' spans: ledger:record's parent and the consumer's parent are missing
    ingest(
      store,
      otlpRequest(
        sc.traceId,
        sc.spans.filter((s) => s.name !== 'invoke ledger:record' && s.name !== 'publish payments:charge failed'),
      ),
    );
    const rows = spanTree(store.get(sc.traceId)!.spans);
    const rec = rows.find((r) => r.span.name === 'ledger:record')!;
    expect(rec.depth).toBe(0);
    expect(rec.missingParent).toBe(true);
    expect(rows).toHaveLength(5);
    // now a consumer whose parent is missing but whose link points at a present producer
    const t = hex(16);
    const prod = hex(8);
    ingest(
      store,
      otlpRequest(t, [
        { service: 'payments', spanId: prod, name: 'publish', kind: 4, startMs: 1, durationMs: 1 },
        {
          service: 'alerts',
          spanId: hex(8),
          parentSpanId: hex(8),
          name: 'consume',
          kind: 5,
          startMs: 3,
          durationMs: 1,
          links: [prod],
        },
      ]),
    );
    const r2 = spanTree(store.get(t)!.spans);
    expect(r2.map((r) => [r.span.name, r.depth, r.via])).toEqual([
      ['publish', 0, null],
      ['consume', 1, 'link'],
    ]);
  });

  it('evicts the least recently updated trace past maxTraces, and caps spans per trace', () => {
    const store = new TraceStore({ maxTraces: 3, maxSpansPerTrace: 2 });
    const ids = [hex(16), hex(16), hex(16), hex(16)];
    const one = (t: string, n = 1) =>
      otlpRequest(
        t,
        Array.from({ length: n }, (_, i) => ({
          service: 's',
          spanId: hex(8),
          name: `op${i}`,
          kind: 2 as const,
          startMs: 1000 + i,
          durationMs: 1,
        })),
      );
    ingest(store, one(ids[0]!));
    ingest(store, one(ids[1]!));
    ingest(store, one(ids[2]!));
    ingest(store, one(ids[0]!)); // touches the first: now the second is the oldest
    ingest(store, one(ids[3]!));
    expect(store.size).toBe(3);
    expect(store.has(ids[1]!)).toBe(false);
    expect(store.has(ids[0]!)).toBe(true);
    expect(store.spanCount).toBe(4);
    ingest(store, one(ids[3]!, 5));
    const s = store.summary(ids[3]!)!;
    expect(s.spanCount).toBe(2);
    expect(s.droppedSpans).toBe(4);
  });

  it('keeps one copy of a span delivered twice (exporter retry)', () => {
    const store = new TraceStore();
    const sc = scenarioSpans();
    ingest(store, otlpRequest(sc.traceId, sc.spans));
    ingest(store, otlpRequest(sc.traceId, sc.spans));
    expect(store.summary(sc.traceId)?.spanCount).toBe(7);
    expect(store.spanCount).toBe(7);
  });

  it('filters by service, error, minimum duration and text, newest first, with a limit', () => {
    const store = new TraceStore();
    const a = scenarioSpans(1_700_000_000_000);
    ingest(store, otlpRequest(a.traceId, a.spans));
    const b = hex(16);
    ingest(
      store,
      otlpRequest(b, [
        { service: 'ledger', spanId: hex(8), name: 'ledger:audit', kind: 2, startMs: 1_700_000_001_000, durationMs: 5 },
      ]),
    );
    expect(store.list().traces.map((t) => t.traceId)).toEqual([b, a.traceId]);
    expect(store.list({ service: 'alerts' }).traces.map((t) => t.traceId)).toEqual([a.traceId]);
    expect(store.list({ error: true }).traces.map((t) => t.traceId)).toEqual([a.traceId]);
    expect(store.list({ error: false }).traces.map((t) => t.traceId)).toEqual([b]);
    expect(store.list({ minDurationMs: 10 }).traces.map((t) => t.traceId)).toEqual([a.traceId]);
    expect(store.list({ q: 'AUDIT' }).traces.map((t) => t.traceId)).toEqual([b]);
    expect(store.list({ q: a.traceId.slice(0, 8) }).traces.map((t) => t.traceId)).toEqual([a.traceId]);
    // deep text search: span names, attribute values and event attributes (exception messages)
    expect(store.list({ q: 'publish payments' }).traces.map((t) => t.traceId)).toEqual([a.traceId]);
    expect(store.list({ q: 'payments-dev-charge-failed' }).traces.map((t) => t.traceId)).toEqual([a.traceId]);
    expect(store.list({ q: 'CARD DECLINED' }).traces.map((t) => t.traceId)).toEqual([a.traceId]);
    expect(store.list({ q: 'no such text anywhere' }).traces).toEqual([]);
    const limited = store.list({ limit: 1 });
    expect(limited.traces).toHaveLength(1);
    expect(limited.matched).toBe(2);
    expect(limited.total).toBe(2);
    expect(store.services()).toEqual(['alerts', 'ledger', 'orders', 'payments']);
  });

  it('summarises root operations: count, errors and duration percentiles', () => {
    const store = new TraceStore();
    for (let i = 1; i <= 20; i++) {
      const t = hex(16);
      ingest(
        store,
        otlpRequest(t, [
          {
            service: 'orders',
            spanId: hex(8),
            name: 'orders:placeOrder',
            kind: 2,
            startMs: 1000 * i,
            durationMs: i,
            ...(i % 5 === 0 ? { error: { type: 'E', message: 'x' } } : {}),
          },
        ]),
      );
    }
    ingest(
      store,
      otlpRequest(hex(16), [
        { service: 'ledger', spanId: hex(8), name: 'ledger:audit', kind: 2, startMs: 5, durationMs: 3 },
      ]),
    );
    expect(store.operations()).toEqual([
      {
        service: 'orders',
        name: 'orders:placeOrder',
        count: 20,
        errorCount: 4,
        p50Ms: 10,
        p95Ms: 19,
        maxMs: 20,
        lastMs: 20_000,
      },
      { service: 'ledger', name: 'ledger:audit', count: 1, errorCount: 0, p50Ms: 3, p95Ms: 3, maxMs: 3, lastMs: 5 },
    ]);
  });

  it('tells subscribers which traces changed, and about clear()', () => {
    const store = new TraceStore();
    const seen: (string[] | null)[] = [];
    const off = store.subscribe((ids) => seen.push(ids));
    const sc = scenarioSpans();
    ingest(store, otlpRequest(sc.traceId, sc.spans));
    store.clear();
    off();
    ingest(store, otlpRequest(sc.traceId, sc.spans));
    expect(seen).toEqual([[sc.traceId], null]);
    expect(() => new TraceStore({ maxTraces: 0 })).toThrow(/maxTraces/);
  });
});
