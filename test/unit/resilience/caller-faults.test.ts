/**
 * Caller-side fault injection (SVC_MESH_FAULTS, docs/resiliency.md) through the real Sdk and the
 * real @aws-sdk/client-lambda against the wire server: each fault kind fails (or delays) the call
 * the way its real counterpart would, before any request unless it is a delay; Event invocations
 * see only throttles and delays; edge rules match only their caller; every injection is counted
 * in health(), reported to the event hook and recorded as a CLIENT span marked as injected.
 */
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { AbortedError } from '../../../src/errors/AbortedError.js';
import { InvokeTimeoutError } from '../../../src/errors/InvokeTimeoutError.js';
import { RemoteFunctionError } from '../../../src/errors/RemoteFunctionError.js';
import { ThrottledError } from '../../../src/errors/ThrottledError.js';
import type { SdkConfig } from '../../../src/internal/config.js';
import type { ResilienceEvent } from '../../../src/resilience/index.js';
import { type WireServerOptions, startWireServer } from '../../helpers/wire-server.js';
import { failure, wireSdk } from '../../helpers/sdk.js';

async function setup(faults: string, cfg: SdkConfig = {}, opts: WireServerOptions = {}) {
  const ws = await startWireServer({ functions: { f: async (e: unknown) => ({ got: e }) }, ...opts });
  const events: ResilienceEvent[] = [];
  const sdk = wireSdk(ws, {
    routes: { 'a:f': 'f' },
    retryBaseMs: 1,
    calling: ['a:f'],
    faults,
    onResilienceEvent: (e) => events.push(e),
    ...cfg,
  });
  return { ws, sdk, events };
}

describe('SVC_MESH_FAULTS: caller-side fault kinds', () => {
  it('error: an uncoded function error named InjectedFault, no request, counted and reported', async () => {
    const { ws, sdk, events } = await setup('a:f=error', { service: 'o', function: 'p' });
    await using _ = ws;
    const err = (await failure(sdk.invoke('a:f', { n: 1 }))) as RemoteFunctionError;
    expect(err).toBeInstanceOf(RemoteFunctionError);
    expect(err.errorType).toBe('InjectedFault');
    expect(err.message).toContain('fault injected by SVC_MESH_FAULTS (a:f=error)');
    expect(ws.invokes).toHaveLength(0);
    expect(sdk.health().faults).toEqual([{ spec: 'a:f=error', injected: 1 }]);
    expect(events).toEqual([{ type: 'fault', target: 'a:f', caller: 'o:p', fault: 'a:f=error' }]);
  });

  it('crash: Runtime.ExitError, as Lambda reports a process that exited', async () => {
    const { ws, sdk } = await setup('a:f=crash');
    await using _ = ws;
    const err = (await failure(sdk.invoke('a:f', {}))) as RemoteFunctionError;
    expect(err).toBeInstanceOf(RemoteFunctionError);
    expect(err.errorType).toBe('Runtime.ExitError');
    expect(err.message).toContain('Runtime exited with error: exit status 1 (fault injected by SVC_MESH_FAULTS');
    expect(ws.invokes).toHaveLength(0);
  });

  it('throttle: a ThrottledError (TooManyRequestsException), for sync and Event calls alike', async () => {
    const { ws, sdk } = await setup('a:f=throttle');
    await using _ = ws;
    for (const call of [() => sdk.invoke('a:f', {}), () => sdk.invokeAsync('a:f', {})]) {
      const err = (await failure(call())) as ThrottledError;
      expect(err).toBeInstanceOf(ThrottledError);
      expect(err.code).toBe('THROTTLED');
      expect(err.message).toContain('TooManyRequestsException (fault injected by SVC_MESH_FAULTS (a:f=throttle))');
    }
    expect(ws.invokes).toHaveLength(0);
    expect(sdk.health().faults).toEqual([{ spec: 'a:f=throttle', injected: 2 }]);
  });

  it('error, crash and timeout do not touch Event invocations (Lambda queued them already)', async () => {
    for (const kind of ['error', 'crash', 'timeout']) {
      const { ws, sdk } = await setup(`a:f=${kind}`);
      await using _ = ws;
      const r = (await sdk.invokeAsync('a:f', { kind })) as { requestId?: string };
      expect(typeof r.requestId, kind).toBe('string');
      expect(ws.invokes, kind).toHaveLength(1);
      expect(sdk.health().faults, kind).toEqual([{ spec: `a:f=${kind}`, injected: 0 }]);
    }
  });

  it('timeout: waits out the call’s own timeout, then an InvokeTimeoutError, no request', async () => {
    const { ws, sdk } = await setup('a:f=timeout');
    await using _ = ws;
    const t0 = Date.now();
    const err = (await failure(sdk.invoke('a:f', {}, { timeoutMs: 60 }))) as InvokeTimeoutError;
    const took = Date.now() - t0;
    expect(err).toBeInstanceOf(InvokeTimeoutError);
    expect(err.message).toContain('fault injected by SVC_MESH_FAULTS (a:f=timeout)');
    expect(took).toBeGreaterThanOrEqual(55);
    expect(ws.invokes).toHaveLength(0);
  });

  it('latency: the call goes through after the delay, with what is left of its timeout', async () => {
    const slow = async (e: unknown) => {
      await new Promise((r) => setTimeout(r, 100));
      return { got: e };
    };
    const { ws, sdk } = await setup('a:f=latency:40ms', {}, { functions: { f: slow } });
    await using _ = ws;
    // A 120 ms timeout: the 40 ms delay leaves 80 ms, too little for the callee's 100 ms. Were the
    // delay not taken off the call's timeout, the callee would answer within 120 ms and succeed.
    const t0 = Date.now();
    const err = (await failure(sdk.invoke('a:f', {}, { timeoutMs: 120 }))) as InvokeTimeoutError;
    expect(err).toBeInstanceOf(InvokeTimeoutError);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(110);
    // the request was made: a delay, not a failure
    expect(ws.invokes).toHaveLength(1);
  });

  it('latency: a delay at least as long as the time left is a timeout, without a request', async () => {
    const { ws, sdk } = await setup('a:f=latency:5s');
    await using _ = ws;
    const err = (await failure(sdk.invoke('a:f', {}, { timeoutMs: 50 }))) as InvokeTimeoutError;
    expect(err).toBeInstanceOf(InvokeTimeoutError);
    expect(ws.invokes).toHaveLength(0);
  });

  it('latency: the delay is cut short by the caller’s signal (AbortedError)', async () => {
    const { ws, sdk } = await setup('a:f=latency:5s');
    await using _ = ws;
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 20);
    const t0 = Date.now();
    const err = await failure(sdk.invoke('a:f', {}, { signal: ac.signal }));
    expect(err).toBeInstanceOf(AbortedError);
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(ws.invokes).toHaveLength(0);
  });

  it('an edge rule applies only to calls from its caller; 0% never fires', async () => {
    const from = async (self: { service?: string; function?: string }, faults: string) => {
      const { ws, sdk } = await setup(faults, self);
      await using _ = ws;
      const out = await sdk.invoke('a:f', { x: 1 }).then(
        (v) => ({ ok: v }),
        (e: unknown) => ({ err: e }),
      );
      return { out, requests: ws.invokes.length };
    };
    const hit = await from({ service: 'o', function: 'p' }, 'o:p->a:f=error');
    expect(hit.requests).toBe(0);
    expect((hit.out as { err?: RemoteFunctionError }).err?.errorType).toBe('InjectedFault');
    const miss = await from({ service: 'x', function: 'y' }, 'o:p->a:f=error');
    expect(miss).toEqual({ out: { ok: { got: { x: 1 } } }, requests: 1 });
    const never = await from({}, 'a:f=error:0%');
    expect(never).toEqual({ out: { ok: { got: { x: 1 } } }, requests: 1 });
  });

  it('records each injected fault as a CLIENT span marked injected, with the error', async () => {
    const exporter = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    try {
      const { ws, sdk } = await setup('a:f=error', { service: 'o', function: 'p' });
      await using _ = ws;
      await failure(sdk.invoke('a:f', {}));
    } finally {
      trace.disable();
    }
    const span = exporter.getFinishedSpans().find((s) => s.attributes['svcmesh.fault.injected'] === true);
    expect(span?.name).toBe('invoke a:f');
    expect(span?.attributes).toMatchObject({
      'svcmesh.fault.kind': 'error',
      'svcmesh.fault.spec': 'a:f=error',
      'svcmesh.fault.side': 'caller',
    });
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
  });
});
