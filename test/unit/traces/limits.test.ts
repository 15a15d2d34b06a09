/**
 * The collector's bounded memory (issue 12 item 4, docs/security.md): a byte budget with
 * eviction, caps on attributes, events, links and string sizes with dropped counts, own
 * properties for untrusted keys (`__proto__`), bounded concurrent decoding, and no CORS for
 * other origins.
 */
import { describe, expect, it } from 'vitest';
import { IngestGate, MAX_ATTRIBUTES, MAX_EVENTS, MAX_STRING_CHARS } from '../../../tools/local/traces/limits.js';
import { normaliseRequest } from '../../../tools/local/traces/otlp.js';
import { TraceStore } from '../../../tools/local/traces/TraceStore.js';
import { hex } from './otlpFixtures.js';
import { startTraceServer } from './traceServer.js';

const str = (s: string) => ({ stringValue: s });
function request(traceId: string, span: Record<string, unknown>, resource: { key: string; value: unknown }[] = []) {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: str('svc') }, ...resource] },
        scopeSpans: [
          {
            spans: [
              {
                traceId,
                spanId: hex(8),
                name: 'op',
                kind: 2,
                startTimeUnixNano: '1700000000000000000',
                endTimeUnixNano: '1700000001000000000',
                ...span,
              },
            ],
          },
        ],
      },
    ],
  };
}
const ingest = (store: TraceStore, body: unknown) => store.ingest(normaliseRequest(body).request);

describe('Collector limits', () => {
  it('keeps the store under its byte budget, evicting the least recently updated traces', () => {
    const store = new TraceStore({ maxBytes: 2_000_000 });
    const big = 'x'.repeat(10_000);
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) {
      const id = hex(16);
      ids.push(id);
      ingest(
        store,
        request(id, { attributes: Array.from({ length: 8 }, (_, k) => ({ key: `a${k}`, value: str(big) })) }),
      );
      expect(store.bytes).toBeLessThanOrEqual(2_000_000);
    }
    // 200 traces of ~160 kB cannot all fit: the oldest went, the newest stayed
    expect(store.size).toBeLessThan(200);
    expect(store.size).toBeGreaterThan(0);
    expect(store.has(ids.at(-1)!)).toBe(true);
    expect(store.has(ids[0]!)).toBe(false);
    store.clear();
    expect(store.bytes).toBe(0);
  });

  it('counts a large resource against the budget too (one span per request, all of its weight in the resource)', () => {
    const store = new TraceStore({ maxBytes: 2_000_000 });
    const big = 'x'.repeat(10_000);
    for (let i = 0; i < 100; i++) {
      const resource = Array.from({ length: 10 }, (_, k) => ({ key: `r${k}`, value: str(big) }));
      ingest(store, request(hex(16), {}, resource));
      expect(store.bytes).toBeLessThanOrEqual(2_000_000);
    }
    expect(store.size).toBeLessThan(100);
  });

  it('caps attributes, events, links and strings, and counts what it dropped', () => {
    const store = new TraceStore();
    const id = hex(16);
    ingest(
      store,
      request(id, {
        name: 'n'.repeat(MAX_STRING_CHARS + 50),
        attributes: Array.from({ length: MAX_ATTRIBUTES + 72 }, (_, k) => ({
          key: `k${k}`,
          value: str(k === 0 ? 'v'.repeat(200_000) : 'v'),
        })),
        events: Array.from({ length: MAX_EVENTS + 10 }, () => ({ name: 'e', timeUnixNano: '1700000000500000000' })),
      }),
    );
    const span = store.get(id)!.spans[0]!;
    expect(Object.keys(span.attributes)).toHaveLength(MAX_ATTRIBUTES);
    expect((span.attributes['k0'] as string).length).toBeLessThanOrEqual(MAX_STRING_CHARS + 1);
    expect(span.name.length).toBeLessThanOrEqual(MAX_STRING_CHARS + 1);
    expect(span.events).toHaveLength(MAX_EVENTS);
    expect(span.dropped).toEqual({ attributes: 72, events: 10, links: 0, truncated: 2 });
  });

  it('stores a `__proto__` key as an own property, never as the prototype', () => {
    const store = new TraceStore();
    const id = hex(16);
    const kvlist = {
      kvlistValue: {
        values: [{ key: '__proto__', value: { kvlistValue: { values: [{ key: 'polluted', value: str('yes') }] } } }],
      },
    };
    ingest(
      store,
      request(
        id,
        {
          attributes: [
            { key: 'obj', value: kvlist },
            { key: '__proto__', value: str('x') },
          ],
        },
        [{ key: '__proto__', value: str('r') }],
      ),
    );
    const span = store.get(id)!.spans[0]!;
    const obj = span.attributes['obj'] as Record<string, unknown>;
    expect(Object.getPrototypeOf(obj)).toBe(Object.prototype);
    expect((obj as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.hasOwn(obj, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(span.attributes)).toBe(Object.prototype);
    expect(Object.hasOwn(span.attributes, '__proto__')).toBe(true);
    expect(Object.hasOwn(span.resource, '__proto__')).toBe(true);
    expect(JSON.parse(JSON.stringify(span.attributes)).obj).toEqual(JSON.parse('{"__proto__":{"polluted":"yes"}}'));
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('decodes a bounded number of requests at once; the rest wait, past the queue 503', async () => {
    const gate = new IngestGate(1, 1);
    expect(await gate.acquire()).toBe(true);
    let second = false;
    const waiting = gate.acquire().then((ok) => {
      second = ok;
    });
    expect(await gate.acquire()).toBe(false); // queue full
    expect(second).toBe(false);
    gate.release();
    await waiting;
    expect(second).toBe(true);
    gate.release();
  });

  it('answers no CORS preflight for other origins (was access-control-allow-origin: *)', async () => {
    await using srv = await startTraceServer();
    const pre = await fetch(`${srv.url}/v1/traces`, {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('survives a flood of inflating requests, with the store within budget', async () => {
    await using srv = await startTraceServer({ maxStoreBytes: 4_000_000, maxBodyBytes: 2_000_000 });
    const { gzipSync } = await import('node:zlib');
    const bomb = gzipSync(Buffer.alloc(8_000_000, 0x20)); // 8 MB of spaces in ~8 kB
    const big = gzipSync(
      JSON.stringify(request(hex(16), { attributes: [{ key: 'a', value: str('y'.repeat(1_500_000)) }] })),
    );
    const statuses = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        fetch(`${srv.url}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
          body: i % 2 === 0 ? bomb : big,
        }).then((r) => r.status),
      ),
    );
    expect(new Set(statuses)).toEqual(new Set([413, 200]));
    expect(srv.traces.store.bytes).toBeLessThanOrEqual(4_000_000);
    expect((await fetch(`${srv.url}/api/traces`)).status).toBe(200);
  });
});
