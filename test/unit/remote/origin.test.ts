/**
 * The origin marker (docs/hybrid.md): the hybrid mesh adds `svcmesh.origin=<devId>` to the
 * baggage of every hop it forwards; the runtime copies it into the `svcmesh_origin` lifecycle
 * attribute the event bridge filters on.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildLifecycleMessage, originOf } from '../../../src/events/encode.js';
import {
  withOrigin,
  withOriginInClientContext,
  withOriginInEnvelope,
} from '../../../tools/local/remote/RemoteStage.js';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');
const unb64 = (s: string) => JSON.parse(Buffer.from(s, 'base64').toString('utf8'));
const devId = fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/);
const member = fc
  .tuple(fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/), fc.stringMatching(/^[A-Za-z0-9]{0,10}$/))
  .filter(([k]) => k !== 'svcmesh')
  .map(([k, v]) => `${k}=${v}`);

describe('origin marker', () => {
  it('withOrigin then originOf gives the id back, whatever else the baggage holds', () => {
    fc.assert(
      fc.property(fc.array(member, { maxLength: 5 }), devId, devId, (others, old, id) => {
        const baggage = [...others, `svcmesh.origin=${old}`].join(',');
        const out = withOrigin(baggage, id);
        expect(originOf(out)).toBe(id);
        expect(out.split(',').filter((m) => m.startsWith('svcmesh.origin=')).length).toBe(1);
        for (const o of others) expect(out.split(',')).toContain(o);
      }),
    );
  });

  it('originOf ignores malformed or oversized origins and other keys', () => {
    expect(originOf('a=1, svcmesh.origin = alice-1;prop=x')).toBe('alice-1');
    expect(originOf('svcmesh.originX=alice')).toBeUndefined();
    expect(originOf('svcmesh.origin=al ice')).toBeUndefined();
    expect(originOf(`svcmesh.origin=${'a'.repeat(65)}`)).toBeUndefined();
    expect(originOf('svcmesh.origin=%E0%A4%A')).toBeUndefined();
    expect(originOf('')).toBeUndefined();
  });

  it('the lifecycle message carries svcmesh_origin only when the baggage names an origin (old events unchanged)', () => {
    const base = { type: 'failed' as const, stage: 'dev', service: 'payments', function: 'charge', requestId: 'r' };
    const withO = buildLifecycleMessage({ ...base, trace: { baggage: 'k=v,svcmesh.origin=alice-1' } });
    const without = buildLifecycleMessage({ ...base, trace: { baggage: 'k=v' } });
    expect(withO.MessageAttributes['svcmesh_origin']).toEqual({ DataType: 'String', StringValue: 'alice-1' });
    expect(without.MessageAttributes['svcmesh_origin']).toBeUndefined();
    expect(Object.keys(without.MessageAttributes).sort()).toEqual(['baggage', 'svcmesh_type']);
  });

  it('ClientContext: adds the origin to custom.baggage, keeps everything else, stays within 3,583 bytes', () => {
    const cc = b64({
      custom: { svcmesh: '1', caller: 'orders:placeOrder', traceparent: 'tp', baggage: 'a=1' },
      env: { x: 1 },
    });
    const out = unb64(withOriginInClientContext(cc, 'alice-1')!);
    expect(out).toEqual({
      custom: { svcmesh: '1', caller: 'orders:placeOrder', traceparent: 'tp', baggage: 'a=1,svcmesh.origin=alice-1' },
      env: { x: 1 },
    });
    expect(unb64(withOriginInClientContext(undefined, 'alice-1')!)).toEqual({
      custom: { svcmesh: '1', baggage: 'svcmesh.origin=alice-1' },
    });
    // Not JSON, or too big once marked: the caller's own context goes through unchanged.
    expect(withOriginInClientContext('!!!', 'alice-1')).toBe('!!!');
    const big = b64({ custom: { svcmesh: '1', pad: 'x'.repeat(2_650) } });
    expect(big.length).toBeLessThanOrEqual(3_583);
    expect(withOriginInClientContext(big, 'a'.repeat(64))).toBe(big);
  });

  it('Event envelope: adds the origin to meta.baggage; any other payload is left alone', () => {
    const env = JSON.stringify({ svcmesh: 1, meta: { svcmesh: '1', baggage: 'a=1' }, payload: { x: 1 } });
    expect(JSON.parse(withOriginInEnvelope(env, 'bob-2'))).toEqual({
      svcmesh: 1,
      meta: { svcmesh: '1', baggage: 'a=1,svcmesh.origin=bob-2' },
      payload: { x: 1 },
    });
    for (const p of ['{"x":1}', '{"svcmesh":1}', 'null', '{"svcmesh":1,"meta":null,"payload":1}'])
      expect(withOriginInEnvelope(p, 'bob-2')).toBe(p);
  });
});
