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
