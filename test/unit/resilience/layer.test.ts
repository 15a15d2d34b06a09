/**
 * The resiliency layer (src/resilience) around a recording fake call: which errors count against
 * a breaker, what its events and health() say in each state, which options reach the call,
 * fallbacks (a function, or `fallback: event`), bulkhead numbers, the default log line, and the
 * span events. Written against the survivors of the first resilience mutation run.
 */
import { type Span, context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import * as cockatiel from 'cockatiel';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AbortedError } from '../../../src/errors/AbortedError.js';
import { BulkheadRejectedError } from '../../../src/errors/BulkheadRejectedError.js';
import { CircuitOpenError } from '../../../src/errors/CircuitOpenError.js';
import { InvalidConfigError } from '../../../src/errors/InvalidConfigError.js';
import { InvokeError } from '../../../src/errors/InvokeError.js';
import { InvokeTimeoutError } from '../../../src/errors/InvokeTimeoutError.js';
import { RemoteFunctionError } from '../../../src/errors/RemoteFunctionError.js';
import { ThrottledError } from '../../../src/errors/ThrottledError.js';
import { RETRIES_OPTION } from '../../../src/invoke/constants.js';
import type { InvokeOptions } from '../../../src/invoke/types.js';
import { Resilience, type ResilienceEvent, countsAsFailure } from '../../../src/resilience/index.js';

const T = 'payments:charge';
const crash = () => new RemoteFunctionError({ target: T, errorType: 'Error', errorMessage: 'boom', remoteTrace: [] });
const declined = () =>
  new RemoteFunctionError({
    target: T,
    errorType: 'CardDeclinedError',
    errorMessage: 'no',
    remoteTrace: [],
    remoteCode: 'CARD_DECLINED',
  });

type Call = { hop: string; target: string; input: unknown; o: InvokeOptions };
function harness(
  policy: Record<string, unknown>,
  opts: { self?: string; onEvent?: boolean; calling?: string[]; faults?: string } = {},
) {
  const calls: Call[] = [];
  const events: ResilienceEvent[] = [];
  let answer: () => unknown = () => 'ok';
  const r = new Resilience(
    {
      policies: { [T]: policy },
      faults: opts.faults,
      self: opts.self,
      calling: opts.calling === undefined ? undefined : new Set(opts.calling),
      defaultTimeoutMs: 1000,
      deadlineMarginMs: 0,
      onEvent: opts.onEvent === false ? undefined : (e) => events.push(e),
      call: async (hop, target, input, o) => {
        calls.push({ hop, target, input, o });
        if (hop === 'async') return { requestId: 'req-1' };
        return answer();
      },
    },
    cockatiel,
  );
  const settle = (p: Promise<unknown>) =>
    p.then(
      (v) => ({ v }),
      (e: unknown) => ({ e }),
    );
  return {
    r,
    calls,
    events,
    answer: (f: () => unknown) => {
      answer = f;
    },
    run: (o: InvokeOptions = {}, hop: 'sync' | 'async' = 'sync') => settle(r.run(hop, T, { n: 1 }, o)),
  };
}
const fail = (e: Error) => () => {
  throw e;
};

describe('countsAsFailure', () => {
  it('counts timeouts, throttles, retryable failures and uncoded function errors; nothing else', () => {
    const tripOn = new Set(['CARD_DECLINED']);
    expect(countsAsFailure(crash(), undefined)).toBe(true);
    expect(countsAsFailure(declined(), undefined)).toBe(false);
    expect(countsAsFailure(declined(), tripOn)).toBe(true);
    expect(countsAsFailure(declined(), new Set(['OTHER']))).toBe(false);
    expect(countsAsFailure(new InvokeTimeoutError(T, 'client', 10, 'x'), undefined)).toBe(true);
    expect(countsAsFailure(new InvokeTimeoutError(T, 'remote', 10, 'x'), undefined)).toBe(true);
    expect(countsAsFailure(new InvokeTimeoutError(T, 'budget', 10, 'x'), undefined)).toBe(false);
    expect(countsAsFailure(new ThrottledError(T, 1, 'x'), undefined)).toBe(true);
    expect(countsAsFailure(new InvokeError(T, 'ServiceException', 'x', { retryable: true }), undefined)).toBe(true);
    expect(countsAsFailure(new InvokeError(T, 'ServiceException', 'x', { retryable: false }), undefined)).toBe(false);
    expect(countsAsFailure(new AbortedError(T, 1), undefined)).toBe(false);
    expect(countsAsFailure({ code: 'THROTTLED' }, undefined)).toBe(true);
    expect(countsAsFailure({ code: 'INVOKE_TIMEOUT', phase: 'client' }, undefined)).toBe(true);
    for (const v of [null, undefined, 'THROTTLED', 5, new Error('plain')])
      expect(countsAsFailure(v, undefined), String(v)).toBe(false);
  });
});

describe('Resilience: breaker events and health', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_700_000_000_000);
  });
  afterEach(() => vi.useRealTimers());

  it('reports open, half-open and closed with the counts, the last failure and the next probe', async () => {
    const h = harness({ breaker: { failures: 2, halfOpenMs: 5_000 } }, { self: 'orders:place' });
    expect(h.r.health().breakers[T]).toStrictEqual({ state: 'closed', failures: 0, threshold: 2, opens: 0 });
    h.answer(fail(new ThrottledError(T, 1, 'x')));
    await h.run();
    expect(h.r.health().breakers[T]).toStrictEqual({
      state: 'closed',
      failures: 1,
      threshold: 2,
      opens: 0,
      lastFailure: 'THROTTLED',
    });
    h.answer(fail(crash()));
    await h.run();
    const t0 = Date.now();
    expect(h.events).toStrictEqual([
      {
        type: 'breaker',
        target: T,
        caller: 'orders:place',
        state: 'open',
        failures: 2,
        lastFailure: 'REMOTE_FUNCTION_ERROR',
        nextProbeAt: t0 + 5_000,
      },
    ]);
    expect(h.r.health().breakers[T]).toStrictEqual({
      state: 'open',
      failures: 2,
      threshold: 2,
      opens: 1,
      openedAt: t0,
      nextProbeAt: t0 + 5_000,
      lastFailure: 'REMOTE_FUNCTION_ERROR',
    });
    // open and not due: no call
    const open = (await h.run()) as { e: CircuitOpenError };
    expect(open.e).toBeInstanceOf(CircuitOpenError);
    expect(open.e.nextProbeAt).toBe(t0 + 5_000);
    expect(open.e.lastFailure).toBe('REMOTE_FUNCTION_ERROR');
    expect(h.calls).toHaveLength(2);
    // due: the probe goes through, and its success closes the breaker from zero
    vi.setSystemTime(t0 + 5_000);
    h.answer(() => 'back');
    expect(await h.run()).toEqual({ v: 'back' });
    expect(h.events.map((e) => e.state)).toEqual(['open', 'half-open', 'closed']);
    expect(h.events[1]).toStrictEqual({
      type: 'breaker',
      target: T,
      caller: 'orders:place',
      state: 'half-open',
      failures: 2,
      lastFailure: 'REMOTE_FUNCTION_ERROR',
    });
    expect(h.events[2]).toMatchObject({ state: 'closed', failures: 0 });
    expect(h.events[2]).not.toHaveProperty('nextProbeAt');
    expect(h.r.health().breakers[T]).toStrictEqual({
      state: 'closed',
      failures: 0,
      threshold: 2,
      opens: 1,
      lastFailure: 'REMOTE_FUNCTION_ERROR',
    });
  });

  it('a probe answered by a business error closes the breaker, which then counts from zero', async () => {
    const h = harness({ breaker: { failures: 2, halfOpenMs: 1_000 } });
    h.answer(fail(crash()));
    await h.run();
    await h.run();
    expect(h.r.health().breakers[T]?.state).toBe('open');
    vi.setSystemTime(Date.now() + 1_000);
    h.answer(fail(declined()));
    expect(((await h.run()) as { e: Error }).e).toBeInstanceOf(RemoteFunctionError);
    expect(h.r.health().breakers[T]).toMatchObject({ state: 'closed', failures: 0 });
    // one more failure does not reopen it: two are needed again
    h.answer(fail(crash()));
    await h.run();
    expect(h.r.health().breakers[T]).toMatchObject({ state: 'closed', failures: 1 });
    await h.run();
    expect(h.r.health().breakers[T]).toMatchObject({ state: 'open', opens: 2 });
  });

  it('a business error neither counts nor sets the last failure; no caller without self', async () => {
    const h = harness({ breaker: { failures: 1, halfOpenMs: 1_000 } });
    h.answer(fail(declined()));
    await h.run();
    expect(h.r.health().breakers[T]).toStrictEqual({ state: 'closed', failures: 0, threshold: 1, opens: 0 });
    h.answer(fail(new InvokeTimeoutError(T, 'client', 10, 'x')));
    await h.run();
    expect(h.events).toStrictEqual([
      {
        type: 'breaker',
        target: T,
        state: 'open',
        failures: 1,
        lastFailure: 'INVOKE_TIMEOUT',
        nextProbeAt: Date.now() + 1_000,
      },
    ]);
  });

  it('without a hook, a state change is one JSON line: WARN when open, INFO when closed', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
      lines.push(String(s));
      return true;
    });
    try {
      const h = harness({ breaker: { failures: 1, halfOpenMs: 1_000 } }, { onEvent: false });
      h.answer(fail(crash()));
      await h.run();
      vi.setSystemTime(Date.now() + 1_000);
      h.answer(() => 'ok');
      await h.run();
    } finally {
      spy.mockRestore();
    }
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.map((p) => [p['level'], p['state']])).toEqual([
      ['WARN', 'open'],
      ['WARN', 'half-open'],
      ['INFO', 'closed'],
    ]);
    expect(parsed[0]!['message']).toBe(`svc-mesh: circuit breaker for ${T} is open`);
    expect(parsed[0]!['nextProbeAt']).toBe(new Date(1_700_000_000_000 + 1_000).toISOString());
    expect(parsed[2]).not.toHaveProperty('nextProbeAt');
  });

  it('adds each state change to the active span as an event', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const h = harness({ breaker: { failures: 1, halfOpenMs: 1_000 } }, { self: 'orders:place' });
    h.answer(fail(crash()));
    const span: Span = provider.getTracer('t').startSpan('invocation');
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    try {
      await context.with(trace.setSpan(context.active(), span), () => h.run());
    } finally {
      context.disable();
    }
    span.end();
    const [ev] = exporter.getFinishedSpans()[0]!.events;
    expect(ev?.name).toBe('svcmesh.breaker.open');
    expect(ev?.attributes).toStrictEqual({
      'svcmesh.target': T,
      'svcmesh.caller': 'orders:place',
      'svcmesh.breaker.state': 'open',
      'svcmesh.breaker.failures': 1,
      'svcmesh.breaker.last_failure': 'REMOTE_FUNCTION_ERROR',
      'svcmesh.breaker.next_probe_at': new Date(Date.now() + 1_000).toISOString(),
    });
  });
});

describe('Resilience: SVC_MESH_FAULTS checks', () => {
  it('refuses a fault for a target this function does not call, listing what it calls (or nothing)', () => {
    expect(() => harness({}, { calling: ['a:b', 'c:d'], faults: 'x:y=error' })).toThrow(
      "SVC_MESH_FAULTS: fault 'x:y=error' names 'x:y', which this function does not call (calling: a:b, c:d).",
    );
    expect(() => harness({}, { calling: [], faults: 'x:y=error' })).toThrow('(calling: nothing).');
    expect(() => harness({}, { faults: 'x:y=oops' })).toThrow(
      /^SVC_MESH_FAULTS: fault 'x:y=oops': unknown fault 'oops'/,
    );
    // no calling list (outside a function): any target
    expect(harness({}, { faults: 'x:y=error' }).r.health().faults).toEqual([{ spec: 'x:y=error', injected: 0 }]);
  });
});

describe('Resilience: options, fallbacks and bulkheads', () => {
  it('hands the edge timeout and retries to the call unless the call gives its own timeout', async () => {
    const h = harness({ timeoutMs: 500, retries: 2 });
    await h.run();
    await h.run({ stage: 'x' });
    await h.run({ stage: 'y', timeoutMs: 50 });
    const seen = h.calls.map((c) => ({
      timeoutMs: c.o.timeoutMs,
      stage: c.o.stage,
      retries: (c.o as { [RETRIES_OPTION]?: number })[RETRIES_OPTION],
    }));
    expect(seen).toEqual([
      { timeoutMs: 500, stage: undefined, retries: 2 },
      { timeoutMs: 500, stage: 'x', retries: 2 },
      { timeoutMs: 50, stage: 'y', retries: 2 },
    ]);
    // no policy value: nothing added
    const bare = harness({ maxConcurrent: 4 });
    await bare.run({ stage: 'z' });
    expect(bare.calls[0]!.o).toStrictEqual({ stage: 'z' });
  });

  it('refuses a fallback that is not a function, and any fallback on invokeAsync', async () => {
    const h = harness({});
    const bad = (await h.run({ fallback: 'cached' } as never)) as { e: InvalidConfigError };
    expect(bad.e).toBeInstanceOf(InvalidConfigError);
    expect(bad.e.message).toContain('The fallback option must be a function (err) => value.');
    const async = (await h.run({ fallback: () => 1 } as never, 'async')) as { e: InvalidConfigError };
    expect(async.e).toBeInstanceOf(InvalidConfigError);
    expect(async.e.message).toContain('invokeAsync() takes no fallback option');
    expect(h.calls).toHaveLength(0);
  });

  it('a fallback function replaces counted failures and calls that sent nothing, never business errors', async () => {
    const h = harness({ breaker: { failures: 1, halfOpenMs: 60_000 } });
    const fb = { fallback: (e: unknown) => `fallback:${(e as { code?: string }).code}` } as never;
    h.answer(fail(declined()));
    expect(((await h.run(fb)) as { e: Error }).e).toBeInstanceOf(RemoteFunctionError);
    h.answer(fail(crash()));
    expect(await h.run(fb)).toEqual({ v: 'fallback:REMOTE_FUNCTION_ERROR' });
    // now open: no request, the fallback answers
    expect(await h.run(fb)).toEqual({ v: 'fallback:CIRCUIT_OPEN' });
    expect(h.calls).toHaveLength(2);
    // the function is not passed on to the call
    expect(h.calls.every((c) => !('fallback' in c.o))).toBe(true);
  });

  it('fallback: event queues an Event invocation only when no request was made, with stage, raw and signal', async () => {
    const h = harness({ breaker: { failures: 1, halfOpenMs: 60_000 }, fallback: 'event' });
    h.answer(fail(crash()));
    // the failure reached the callee: not queued (it would run twice)
    expect(((await h.run()) as { e: Error }).e).toBeInstanceOf(RemoteFunctionError);
    const signal = new AbortController().signal;
    expect(await h.run({ stage: 'dev', raw: true, signal, timeoutMs: 9 })).toEqual({
      v: { svcmesh: 'queued', target: T, reason: 'CIRCUIT_OPEN', requestId: 'req-1' },
    });
    const queued = h.calls.at(-1)!;
    expect(queued.hop).toBe('async');
    expect(queued.input).toEqual({ n: 1 });
    expect(queued.o).toStrictEqual({ stage: 'dev', raw: true, signal });
    // an Event call while open is refused, not queued again
    const n = h.calls.length;
    expect(((await h.run({}, 'async')) as { e: Error }).e).toBeInstanceOf(CircuitOpenError);
    expect(h.calls).toHaveLength(n);
    // throttled: queued too, with only the options the call gave (none)
    const t = harness({ fallback: 'event' });
    t.answer(fail(new ThrottledError(T, 1, 'x')));
    expect(await t.run()).toEqual({ v: { svcmesh: 'queued', target: T, reason: 'THROTTLED', requestId: 'req-1' } });
    expect(t.calls.at(-1)!.o).toStrictEqual({});
  });

  it('a full bulkhead rejects with its numbers and counts; health shows active, queued and rejected', async () => {
    const h = harness({ maxConcurrent: 1, queue: 1 });
    let release!: () => void;
    h.answer(() => new Promise((r) => (release = () => r('done'))));
    const first = h.run();
    const second = h.run();
    await Promise.resolve();
    const third = (await h.run()) as { e: BulkheadRejectedError };
    expect(third.e).toBeInstanceOf(BulkheadRejectedError);
    expect(third.e.maxConcurrent).toBe(1);
    expect(third.e.queue).toBe(1);
    expect(h.r.health().bulkheads[T]).toStrictEqual({ maxConcurrent: 1, queue: 1, active: 1, queued: 1, rejected: 1 });
    expect(h.r.health().breakers).toStrictEqual({});
    release();
    await first;
    release();
    await second;
    expect(h.r.health().bulkheads[T]).toMatchObject({ active: 0, queued: 0, rejected: 1 });
    // a rejected call is one a fallback may answer (nothing was sent), or queue as an Event
    const fb = harness({ maxConcurrent: 1 });
    fb.answer(() => new Promise(() => undefined));
    void fb.run();
    expect(await fb.run({ fallback: (e: unknown) => (e as { code: string }).code } as never)).toEqual({
      v: 'BULKHEAD_REJECTED',
    });
    const ev = harness({ maxConcurrent: 1, fallback: 'event' });
    ev.answer(() => new Promise(() => undefined));
    void ev.run();
    expect(await ev.run()).toEqual({
      v: { svcmesh: 'queued', target: T, reason: 'BULKHEAD_REJECTED', requestId: 'req-1' },
    });
    // without a queue the message and numbers say 0
    const solo = harness({ maxConcurrent: 1 });
    solo.answer(() => new Promise(() => undefined));
    void solo.run();
    const rej = (await solo.run()) as { e: BulkheadRejectedError };
    expect(rej.e.queue).toBe(0);
  });
});
