import { ROOT_CONTEXT, TraceFlags, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  extractTraceContext,
  formatTraceparent,
  injectTraceContext,
  parseTraceparent,
  parseXRayTraceHeader,
  snsAttributesToCarrier,
} from '../../../src/tracing/propagation.js';

const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));

describe('Function: parseTraceparent', () => {
  it('round-trips every valid traceparent', () => {
    fc.assert(
      fc.property(hex(32), hex(16), fc.boolean(), (traceId, spanId, sampled) => {
        fc.pre(!/^0+$/.test(traceId) && !/^0+$/.test(spanId));
        const tp = `00-${traceId}-${spanId}-0${sampled ? 1 : 0}`;
        const sc = parseTraceparent(tp);
        expect(sc).toMatchObject({
          traceId,
          spanId,
          traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
          isRemote: true,
        });
        expect(formatTraceparent(sc!)).toBe(tp);
      }),
    );
  });

  it('never throws and rejects malformed input', () => {
    fc.assert(fc.property(fc.anything(), (v) => void parseTraceparent(v)));
    fc.assert(fc.property(fc.string(), (s) => void parseTraceparent(s, s)));
    for (const bad of [
      '',
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331',
      '00-00000000000000000000000000000000-b7ad6b7169203331-01',
      '00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01',
      'ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      '00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01',
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra',
    ])
      expect(parseTraceparent(bad)).toBeUndefined();
  });
});

describe('Function: parseXRayTraceHeader', () => {
  it('maps Root/Parent/Sampled to a span context (aws-wire.md §6 example)', () => {
    const sc = parseXRayTraceHeader('Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1');
    expect(formatTraceparent(sc!)).toBe('00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01');
    const lineage = parseXRayTraceHeader(
      'Root=1-64d38018-6a56d23a731e0cbe6ed85687;Parent=1e4dbd311c45e826;Sampled=0;Lineage=037bed70:0',
    );
    expect(lineage?.traceFlags).toBe(TraceFlags.NONE);
  });

  it('rejects headers without Parent, with Sampled=? or a bad Root', () => {
    expect(parseXRayTraceHeader('Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1')).toBeUndefined();
    expect(
      parseXRayTraceHeader('Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=?'),
    ).toBeUndefined();
    expect(
      parseXRayTraceHeader('Root=1-5759e988-bd862e3fe1be46a99427279;Parent=53995c3f42cd8ad8;Sampled=1'),
    ).toBeUndefined();
    expect(
      parseXRayTraceHeader('Root=2-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1'),
    ).toBeUndefined();
    fc.assert(fc.property(fc.anything(), (v) => void parseXRayTraceHeader(v)));
  });
});

describe('Function: extractTraceContext / injectTraceContext', () => {
  afterEach(() => propagation.disable());
  const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  const xray = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';

  it('passes traceparent/tracestate through when no propagator is registered', () => {
    const ctx = extractTraceContext({ traceparent: tp, tracestate: 'a=1,b=2' }, undefined);
    const carrier: Record<string, string> = {};
    injectTraceContext(ctx, carrier);
    expect(carrier).toEqual({ traceparent: tp, tracestate: 'a=1,b=2' });
  });

  it('uses the registered propagator when there is one', () => {
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    const ctx = extractTraceContext({ traceparent: tp }, undefined);
    expect(trace.getSpanContext(ctx)?.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    const carrier: Record<string, string> = {};
    injectTraceContext(ctx, carrier);
    expect(carrier['traceparent']).toBe(tp);
  });

  it('falls back to the X-Ray header, and starts a new trace on garbage', () => {
    expect(trace.getSpanContext(extractTraceContext({ traceparent: 'garbage' }, xray))?.traceId).toBe(
      '5759e988bd862e3fe1be46a994272793',
    );
    expect(trace.getSpanContext(extractTraceContext({ traceparent: tp }, xray))?.spanId).toBe('b7ad6b7169203331');
    expect(extractTraceContext({ traceparent: 'garbage' }, 'also garbage')).toBe(ROOT_CONTEXT);
    // Lambda without active tracing says Sampled=0: not a parent (it would unsample everything).
    expect(extractTraceContext(undefined, xray.replace('Sampled=1', 'Sampled=0'))).toBe(ROOT_CONTEXT);
    const c: Record<string, string> = {};
    injectTraceContext(ROOT_CONTEXT, c);
    expect(c).toEqual({});
  });

  it('reads SNS Lambda-event attributes', () => {
    expect(
      snsAttributesToCarrier({ traceparent: { Type: 'String', Value: tp }, n: { Type: 'Number', Value: 1 } }),
    ).toEqual({
      traceparent: tp,
    });
  });
});
