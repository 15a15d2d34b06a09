import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeJsonRequest, decodeProtobufRequest, normaliseRequest } from '../../../tools/local/traces/otlp.js';
import { isTraceServiceError } from '../../../tools/local/traces/errors.js';

/** Real SDK spans (every attribute type, events, links, error status) for the serializers. */
function sdkSpans() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'payments', 'cloud.provider': 'aws' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('svc-mesh', '0.1.0');
  const parent = tracer.startSpan('payments:charge', { kind: SpanKind.SERVER, attributes: { 'svcmesh.hop': 'sync' } });
  const child = tracer.startSpan(
    'publish payments:charge failed',
    {
      kind: SpanKind.PRODUCER,
      attributes: { s: 'x', i: 42, big: 2 ** 40, d: 1.5, b: true, arr: ['a', 'b'], nums: [1, 2] },
      links: [{ context: parent.spanContext(), attributes: { why: 'producer' } }],
    },
    trace.setSpan(context.active(), parent),
  );
  child.addEvent('sent', { id: 'evt-1' });
  child.recordException(new TypeError('boom'));
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
  child.end();
  parent.end();
  return { spans: exporter.getFinishedSpans(), parent, child };
}

describe('Function: decodeProtobufRequest', () => {
  it('decodes what the OpenTelemetry protobuf serializer writes, identically to its JSON form', () => {
    // Prepare
    const { spans, parent, child } = sdkSpans();
    const proto = ProtobufTraceSerializer.serializeRequest(spans);
    const json = JsonTraceSerializer.serializeRequest(spans);
    expect(proto).toBeDefined();
    expect(json).toBeDefined();
    // Act
    const fromProto = decodeProtobufRequest(proto!);
    const fromJson = decodeJsonRequest(new TextDecoder().decode(json!));
    // Assess
    expect(fromProto.spanCount).toBe(2);
    expect(fromProto.rejectedSpans).toBe(0);
    expect(fromProto.request).toEqual(fromJson.request);
    const all = fromProto.request.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    const c = all.find((s) => s.name === 'publish payments:charge failed')!;
    expect(c.traceId).toBe(child.spanContext().traceId);
    expect(c.parentSpanId).toBe(parent.spanContext().spanId);
    expect(c.kind).toBe(4);
    expect(c.status).toEqual({ code: 2, message: 'boom' });
    expect(c.links[0]?.spanId).toBe(parent.spanContext().spanId);
    expect(c.events.map((e) => e.name)).toEqual(['sent', 'exception']);
    const attr = Object.fromEntries(c.attributes.map((a) => [a.key, a.value]));
    expect(attr['i']).toEqual({ intValue: '42' });
    expect(attr['big']).toEqual({ intValue: String(2 ** 40) });
    expect(attr['d']).toEqual({ doubleValue: 1.5 });
    expect(attr['arr']).toEqual({ arrayValue: { values: [{ stringValue: 'a' }, { stringValue: 'b' }] } });
    expect(fromProto.request.resourceSpans[0]?.resource?.attributes).toContainEqual({
      key: 'service.name',
      value: { stringValue: 'payments' },
    });
    // nanosecond timestamps survive exactly
    const sdkStart = (child as unknown as { startTime: [number, number] }).startTime;
    expect(c.startTimeUnixNano).toBe((BigInt(sdkStart[0]) * 1_000_000_000n + BigInt(sdkStart[1])).toString());
  });

  it('rejects bytes that are not a trace request with a 400 error', () => {
    for (const body of [
      Buffer.from('{"resourceSpans":[]}'),
      Buffer.from([0x0a, 0xff, 0xff, 0xff]),
      Buffer.from('hello'),
    ]) {
      let err: unknown;
      try {
        decodeProtobufRequest(body);
      } catch (e) {
        err = e;
      }
      expect(isTraceServiceError(err), body.toString('hex')).toBe(true);
      expect((err as { status: number }).status).toBe(400);
    }
  });

  it('never throws anything but a TraceServiceError, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          decodeProtobufRequest(bytes);
        } catch (e) {
          if (!isTraceServiceError(e)) throw e;
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('decodes generated SDK spans exactly, and damaged real requests into spans or a TraceServiceError', () => {
    // Generated spans: random names, kinds and attributes through the real SDK and serializer;
    // each sample decodes to exactly its one span, equal to the JSON serializer's form.
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const tracer = provider.getTracer('fuzz');
    const attrValue = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.integer(),
      fc.double({ noNaN: true, min: -1e15, max: 1e15 }),
      fc.boolean(),
      fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
    );
    let decodedSpans = 0;
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.constantFrom(SpanKind.INTERNAL, SpanKind.SERVER, SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER),
        fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), attrValue, { maxKeys: 5 }),
        (name, kind, attributes) => {
          exporter.reset();
          tracer.startSpan(name, { kind, attributes }).end();
          const spans = exporter.getFinishedSpans();
          const out = decodeProtobufRequest(ProtobufTraceSerializer.serializeRequest(spans)!);
          expect(out.spanCount).toBe(1);
          expect(out.rejectedSpans).toBe(0);
          expect(out.request).toEqual(
            decodeJsonRequest(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans)!)).request,
          );
          const span = out.request.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
          expect(span.name).toBe(name);
          expect(span.kind).toBe(kind + 1);
          // The oracle is what the SDK recorded: it keeps every generated key but `__proto__`,
          // which its plain-object attribute map cannot hold as an own key.
          const recorded = Object.keys(spans[0]!.attributes).sort();
          expect(recorded).toEqual(
            Object.keys(attributes)
              .filter((k) => k !== '__proto__')
              .sort(),
          );
          expect(span.attributes.map((a) => a.key).sort()).toEqual(recorded);
          decodedSpans += out.spanCount;
        },
      ),
      {
        numRuns: 300,
        // a key the SDK cannot hold, found by a random seed in CI; always tried first
        examples: [[' ', SpanKind.INTERNAL, Object.defineProperty({}, '__proto__', { value: 0, enumerable: true })]],
      },
    );
    expect(decodedSpans).toBe(300);

    // Damaged real requests: a few bytes overwritten or the tail cut off. Decoding either throws a
    // TraceServiceError or returns spans whose ids are well formed; some samples still produce spans.
    const base = ProtobufTraceSerializer.serializeRequest(sdkSpans().spans)!;
    let withSpans = 0;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: base.length - 1 }), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
        fc.nat({ max: base.length }),
        (edits, keep) => {
          const bytes = Uint8Array.from(base.subarray(0, base.length - (keep % 8 === 0 ? keep % 40 : 0)));
          for (const [at, b] of edits) if (at < bytes.length) bytes[at] = b;
          try {
            const out = decodeProtobufRequest(bytes);
            const spans = out.request.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((x) => x.spans));
            expect(spans).toHaveLength(out.spanCount);
            for (const sp of spans) {
              expect(sp.traceId).toMatch(/^[0-9a-f]{32}$/);
              expect(sp.spanId).toMatch(/^[0-9a-f]{16}$/);
            }
            if (out.spanCount > 0) withSpans++;
          } catch (e) {
            if (!isTraceServiceError(e)) throw e;
          }
        },
      ),
      { numRuns: 2000 },
    );
    expect(withSpans).toBeGreaterThan(200);
  });
});

describe('Function: decodeJsonRequest', () => {
  it('accepts base64 ids, numeric int64 and enum names, and normalises them', () => {
    const traceId = Buffer.alloc(16, 7);
    const spanId = Buffer.alloc(8, 9);
    const d = decodeJsonRequest(
      JSON.stringify({
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'orders' } }] },
            scopeSpans: [
              {
                spans: [
                  {
                    traceId: traceId.toString('base64'),
                    spanId: spanId.toString('base64'),
                    name: 'x',
                    kind: 'SPAN_KIND_CLIENT',
                    startTimeUnixNano: 1_700_000_000_000_000_000,
                    endTimeUnixNano: '1700000000005000000',
                    attributes: [{ key: 'n', value: { intValue: 5 } }],
                    status: { code: 'STATUS_CODE_ERROR' },
                  },
                ],
              },
            ],
          },
        ],
      }),
    );
    const s = d.request.resourceSpans[0]?.scopeSpans[0]?.spans[0];
    expect(s?.traceId).toBe(traceId.toString('hex'));
    expect(s?.spanId).toBe(spanId.toString('hex'));
    expect(s?.kind).toBe(3);
    expect(s?.status?.code).toBe(2);
    expect(s?.attributes[0]?.value).toEqual({ intValue: '5' });
    expect(s?.endTimeUnixNano).toBe('1700000000005000000');
  });

  it('rejects malformed bodies with a message, and drops only the invalid spans (partial success)', () => {
    for (const [body, msg] of [
      ['not json', /not valid JSON/],
      ['[]', /JSON object/],
      ['{"resourceSpans": 5}', /must be an array/],
      ['{"resourceSpans": [1]}', /must be an object/],
      ['{"resourceSpans": [{"scopeSpans": "x"}]}', /must be an array/],
    ] as const) {
      expect(() => decodeJsonRequest(body)).toThrow(msg);
    }
    const d = normaliseRequest({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                { traceId: 'zz', spanId: '0102030405060708', startTimeUnixNano: '1' },
                { traceId: '0'.repeat(32), spanId: '0102030405060708', startTimeUnixNano: '1' },
                { traceId: 'ab'.repeat(16), spanId: '0102030405060708' },
                { traceId: 'ab'.repeat(16), spanId: '0102030405060708', startTimeUnixNano: '10', name: 'ok' },
              ],
            },
          ],
        },
      ],
    });
    expect(d.spanCount).toBe(1);
    expect(d.rejectedSpans).toBe(3);
    expect(d.rejectReason).toMatch(/traceId/);
  });

  it('never crashes on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        try {
          normaliseRequest({ resourceSpans: [{ scopeSpans: [{ spans: [v] }] }] });
          normaliseRequest(v);
        } catch (e) {
          if (!isTraceServiceError(e)) throw e;
        }
      }),
      { numRuns: 1000 },
    );
  });
});
