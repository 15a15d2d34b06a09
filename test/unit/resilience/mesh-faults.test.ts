import { describe, expect, it } from 'vitest';
import { FaultInjector, injectedSpanRequest } from '../../../tools/local/faults.js';
import { resilienceView } from '../../../tools/local/resilienceView.js';
import type { OtlpTraceRequest } from '../../../tools/local/traces/otlp.js';
import { TraceStore } from '../../../tools/local/traces/TraceStore.js';
import { parseFaultSpec } from '../../../src/resilience/faultSpec.js';

const targets = ['orders:place', 'payments:charge'];

describe('Fault specs', () => {
  it('parses targets, edges, probabilities and latencies into a normalised spec', () => {
    expect(
      parseFaultSpec(
        'payments:charge=error:30%, orders:place->payments:charge=latency:1.5s:50% ,payments:charge=crash',
      ).map((r) => r.spec),
    ).toEqual([
      'payments:charge=error:30%',
      'orders:place->payments:charge=latency:1500ms:50%',
      'payments:charge=crash',
    ]);
  });

  it.each([
    ['payments=error', "no ':'"],
    ['payments:charge=error:101%', 'outside 0–100%'],
    ['payments:charge=error:2s', 'only latency takes a duration'],
    ['payments:charge', "must be '<target>=<fault>'"],
    ['a:b->c:d->e:f=error', "an edge is written 'caller->target'"],
  ])('refuses %j', (spec, message) => {
    expect(() => parseFaultSpec(spec)).toThrow(message);
  });
});

describe('Injected faults in the trace, and the resilience view', () => {
  it('records an injected fault as an error span of the callee under the caller’s span, and counts it', () => {
    const store = new TraceStore();
    const inj = new FaultInjector({
      targets: () => targets,
      log: () => {},
      recordSpan: (s) => store.ingest(injectedSpanRequest(s) as OtlpTraceRequest),
      random: () => 0.5,
    });
    inj.set(['payments:charge=error:60%', 'orders:place->payments:charge=throttle:40%']);
    // the edge rule wins for orders:place (0.5*100 = 50 ≥ 40: not injected); the target rule for others
    expect(inj.decide('orders:place', 'payments:charge', 'RequestResponse')).toBeUndefined();
    const a = inj.decide(undefined, 'payments:charge', 'RequestResponse');
    expect(a).toMatchObject({ kind: 'error' });
    expect(inj.view().stats).toEqual([
      { spec: 'payments:charge=error:60%', matched: 1, injected: 1 },
      { spec: 'orders:place->payments:charge=throttle:40%', matched: 1, injected: 0 },
    ]);
    const traceId = 'a'.repeat(32);
    inj.mark({
      service: 'payments',
      target: 'payments:charge',
      caller: 'orders:place',
      clientContext: JSON.stringify({ custom: { traceparent: `00-${traceId}-${'b'.repeat(16)}-01` } }),
      traceHeader: undefined,
      kind: 'error',
      spec: 'payments:charge=error:60%',
      startMs: Date.now(),
      error: 'InjectedFault',
    });
    const span = store.get(traceId)!.spans[0]!;
    expect(span).toMatchObject({
      name: 'fault error payments:charge',
      service: 'payments',
      parentSpanId: 'b'.repeat(16),
      kind: 'server',
      status: { code: 'error' },
    });
    expect(span.attributes).toMatchObject({ 'svcmesh.fault.injected': true, 'svcmesh.fault.kind': 'error' });
    expect(span.events.map((e) => e.name)).toEqual(['svcmesh.fault.injected']);
  });

  it('refuses a spec for a function the mesh does not run, keeping the old rules', () => {
    const inj = new FaultInjector({ targets: () => targets, log: () => {} });
    inj.set(['payments:charge=timeout']);
    expect(() => inj.set(['payments:refund=error'])).toThrow("the local mesh runs no function 'payments:refund'");
    expect(inj.view().rules).toEqual(['payments:charge=timeout']);
  });

  it('shows each edge’s policy and its breaker’s latest state from span events', () => {
    const store = new TraceStore();
    const ev = (state: string, t: number) => ({
      timeUnixNano: `${t}000000`,
      name: `svcmesh.breaker.${state}`,
      attributes: [
        { key: 'svcmesh.target', value: { stringValue: 'payments:charge' } },
        { key: 'svcmesh.caller', value: { stringValue: 'orders:place' } },
        { key: 'svcmesh.breaker.state', value: { stringValue: state } },
        { key: 'svcmesh.breaker.failures', value: { intValue: '3' } },
        { key: 'svcmesh.breaker.last_failure', value: { stringValue: 'INVOKE_TIMEOUT' } },
      ],
    });
    store.ingest({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'orders' } }] },
          scopeSpans: [
            {
              spans: [
                {
                  traceId: 'c'.repeat(32),
                  spanId: 'd'.repeat(16),
                  name: 'orders:place',
                  kind: 2,
                  startTimeUnixNano: '1700000000000000000',
                  endTimeUnixNano: '1700000001000000000',
                  attributes: [],
                  events: [ev('half-open', 1_700_000_000_500), ev('open', 1_700_000_000_100)],
                  links: [],
                  status: { code: 0 },
                },
              ],
            },
          ],
        },
      ],
    } as OtlpTraceRequest);
    const v = resilienceView(
      [
        { target: 'orders:place', environment: { SVC_MESH_POLICIES: '{"payments:charge":{"timeoutMs":2000}}' } },
        { target: 'payments:charge', environment: {} },
      ],
      store,
      new FaultInjector({ targets: () => targets, log: () => {} }),
    );
    expect(v.edges).toEqual([
      {
        caller: 'orders:place',
        target: 'payments:charge',
        policy: { timeoutMs: 2000 },
        breaker: {
          state: 'half-open',
          at: 1_700_000_000_500,
          failures: 3,
          lastFailure: 'INVOKE_TIMEOUT',
          nextProbeAt: null,
        },
      },
    ]);
  });
});
