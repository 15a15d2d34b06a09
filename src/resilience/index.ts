/**
 * Per-edge resiliency at run time (docs/resiliency.md): a circuit breaker and a bulkhead per
 * target per execution environment (cockatiel), the edge's timeout and retry budget handed to the
 * ordinary call path, fallbacks, and caller-side fault injection (SVC_MESH_FAULTS).
 *
 * Loaded by the Sdk on the first call only when a policy, a fault spec or a `fallback` option
 * exists: without them nothing here is imported and a call costs what it cost before.
 * @internal
 */
import { type Attributes, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { BulkheadPolicy, CircuitBreakerPolicy, ConsecutiveBreaker } from 'cockatiel';
import { AbortedError } from '../errors/AbortedError.js';
import { BulkheadRejectedError } from '../errors/BulkheadRejectedError.js';
import { CircuitOpenError } from '../errors/CircuitOpenError.js';
import { InvalidConfigError } from '../errors/InvalidConfigError.js';
import { InvokeTimeoutError } from '../errors/InvokeTimeoutError.js';
import { RemoteFunctionError } from '../errors/RemoteFunctionError.js';
import { ThrottledError } from '../errors/ThrottledError.js';
import { ENV } from '../internal/env.js';
import { sleep } from '../internal/retry.js';
import { currentScope } from '../internal/scope.js';
import { RETRIES_OPTION } from '../invoke/constants.js';
import type { InvokeOptions } from '../invoke/types.js';
import { ATTR_CALLER, ATTR_ERROR_CODE, ATTR_TARGET, TRACER_NAME } from '../tracing/constants.js';
import { FaultSpecProblem, type FaultRule, matchFault, parseFaultSpec } from './faultSpec.js';
import { type RuntimePolicy, checkPolicy } from './policy.js';

export type { RuntimePolicy } from './policy.js';
export type { FaultRule } from './faultSpec.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

/** One target's breaker, as `sdk.health()` reports it. */
export interface BreakerHealth {
  state: BreakerState;
  /** Consecutive counted failures so far (resets on success). */
  failures: number;
  /** Failures that open it. */
  threshold: number;
  /** Times it opened since this environment started. */
  opens: number;
  openedAt?: number;
  /** When an open breaker lets its probe call through. */
  nextProbeAt?: number;
  /** Code of the last counted failure, e.g. `INVOKE_TIMEOUT`. */
  lastFailure?: string;
}

export interface BulkheadHealth {
  maxConcurrent: number;
  queue: number;
  active: number;
  queued: number;
  rejected: number;
}

/** What `sdk.health()` returns. */
export interface MeshHealth {
  breakers: Record<string, BreakerHealth>;
  bulkheads: Record<string, BulkheadHealth>;
  /** Caller-side fault injection (SVC_MESH_FAULTS), when set: each rule and how often it fired. */
  faults: { spec: string; injected: number }[];
}

/** A structured resiliency event (breaker state changes, injected faults). */
export interface ResilienceEvent {
  type: 'breaker' | 'fault';
  target: string;
  caller?: string;
  state?: BreakerState;
  failures?: number;
  lastFailure?: string;
  nextProbeAt?: number;
  fault?: string;
}

/** What a sync call with `fallback: event` resolves to when it was queued as an Event invocation. */
export interface QueuedFallback {
  svcmesh: 'queued';
  target: string;
  requestId?: string;
  /** Why the sync call was not made: `CIRCUIT_OPEN`, `BULKHEAD_REJECTED` or `THROTTLED`. */
  reason: string;
}

type Hop = 'sync' | 'async';
export type CallFn = (hop: Hop, target: string, input: unknown, o: InvokeOptions) => Promise<unknown>;

export interface ResilienceOptions {
  policies: Readonly<Record<string, unknown>> | undefined;
  faults: string | undefined;
  self: string | undefined;
  calling: ReadonlySet<string> | undefined;
  defaultTimeoutMs: number;
  deadlineMarginMs: number;
  onEvent: ((e: ResilienceEvent) => void) | undefined;
  call: CallFn;
}

const tracer = trace.getTracer(TRACER_NAME);
type Cockatiel = typeof import('cockatiel');
/** cockatiel's CircuitState values (a numeric enum): Closed 0, Open 1, HalfOpen 2. */
const OPEN = 1;
const HALF_OPEN = 2;
const CLOSED = 0;

/**
 * Builds the resiliency layer, loading cockatiel (a dynamic import, so that bundlers keep it out
 * of the runtime's import path until a policy exists).
 */
export async function createResilience(o: ResilienceOptions): Promise<Resilience> {
  return new Resilience(o, await import('cockatiel'));
}
const NO_REQUEST = new Set(['CIRCUIT_OPEN', 'BULKHEAD_REJECTED', 'THROTTLED']);

/**
 * Whether an error counts against the callee's breaker. Counted: timeouts (client or remote),
 * throttles, Lambda 5xx and network failures (`INVOKE_FAILED` marked retryable), and function
 * errors without a code (crashes, uncaught exceptions). Not counted: the callee's coded business
 * errors (`CARD_DECLINED`) unless listed in `tripOn`, and the caller's own problems (aborts, IAM,
 * payloads, discovery, a call with no time left).
 */
export function countsAsFailure(err: unknown, tripOn: ReadonlySet<string> | undefined): boolean {
  const e = err as { code?: unknown; remoteCode?: unknown; phase?: unknown; retryable?: unknown } | null;
  if (e === null || typeof e !== 'object') return false;
  switch (e.code) {
    case 'REMOTE_FUNCTION_ERROR':
      return typeof e.remoteCode !== 'string' || tripOn?.has(e.remoteCode) === true;
    case 'INVOKE_TIMEOUT':
      return e.phase !== 'budget';
    case 'THROTTLED':
      return true;
    case 'INVOKE_FAILED':
      return e.retryable === true;
    default:
      return false;
  }
}

function codeOf(err: unknown): string {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : err instanceof Error ? err.name : 'Error';
}

class Edge {
  readonly policy: RuntimePolicy;
  readonly breaker: CircuitBreakerPolicy | undefined;
  readonly counter: ConsecutiveBreaker | undefined;
  readonly bulkhead: BulkheadPolicy | undefined;
  readonly tripOn: ReadonlySet<string> | undefined;
  /** The options added to a call that gives none (no per-call allocation on the usual path). */
  readonly baseOptions: InvokeOptions;
  openedAt = 0;
  nextProbeAt = 0;
  opens = 0;
  rejected = 0;
  lastFailure: string | undefined;

  constructor(
    readonly target: string,
    policy: RuntimePolicy,
    report: (e: Edge, s: BreakerState) => void,
    lib: Cockatiel,
  ) {
    this.policy = policy;
    this.tripOn = policy.breaker?.tripOn === undefined ? undefined : new Set(policy.breaker.tripOn);
    const base: InvokeOptions & { [RETRIES_OPTION]?: number } = {};
    if (policy.timeoutMs !== undefined) base.timeoutMs = policy.timeoutMs;
    if (policy.retries !== undefined) base[RETRIES_OPTION] = policy.retries;
    this.baseOptions = base;
    if (policy.breaker !== undefined) {
      const b = policy.breaker;
      this.counter = new lib.ConsecutiveBreaker(b.failures);
      // (no onSuccess/onFailure listeners: with one, cockatiel times every call)
      const breaker = lib.circuitBreaker(
        lib.handleWhen((err) => {
          const counted = countsAsFailure(err, this.tripOn);
          if (counted) this.lastFailure = codeOf(err);
          return counted;
        }),
        { halfOpenAfter: b.halfOpenMs, breaker: this.counter },
      );
      breaker.onStateChange((s) => {
        if (s === OPEN) {
          const own = (breaker.toJSON() as { ownState?: { openedAt?: number } }).ownState ?? {};
          this.openedAt = typeof own.openedAt === 'number' && own.openedAt > 0 ? own.openedAt : Date.now();
          this.nextProbeAt = this.openedAt + b.halfOpenMs;
          this.opens++;
          report(this, 'open');
        } else if (s === HALF_OPEN) report(this, 'half-open');
        else if (s === CLOSED) {
          // A probe answered by a business error closes the breaker without cockatiel resetting its
          // count; closed always starts from zero, so it opens again only after `failures` more.
          if (this.counter !== undefined) this.counter.state = 0;
          report(this, 'closed');
        }
      });
      this.breaker = breaker;
    }
    if (policy.maxConcurrent !== undefined) this.bulkhead = lib.bulkhead(policy.maxConcurrent, policy.queue ?? 0);
  }

  state(): BreakerState {
    const s = this.breaker?.state;
    return s === OPEN ? 'open' : s === HALF_OPEN ? 'half-open' : 'closed';
  }

  health(): BreakerHealth {
    const state = this.state();
    const h: BreakerHealth = {
      state,
      failures: this.counter?.state ?? 0,
      threshold: this.policy.breaker?.failures ?? 0,
      opens: this.opens,
    };
    if (state !== 'closed') {
      h.openedAt = this.openedAt;
      h.nextProbeAt = this.nextProbeAt;
    }
    if (this.lastFailure !== undefined) h.lastFailure = this.lastFailure;
    return h;
  }
}

/** The resiliency layer of one Sdk. */
export class Resilience {
  readonly #edges = new Map<string, Edge>();
  readonly #faults: FaultRule[] | undefined;
  readonly #injected = new Map<FaultRule, number>();
  readonly #o: ResilienceOptions;

  /** Use {@link createResilience}, which loads cockatiel. */
  constructor(o: ResilienceOptions, lib: Cockatiel) {
    this.#o = o;
    const report = (e: Edge, s: BreakerState) => this.#reportBreaker(e, s);
    for (const [target, raw] of Object.entries(o.policies ?? {})) {
      this.#edges.set(target, new Edge(target, checkPolicy(ENV.POLICIES, target, raw), report, lib));
    }
    if (o.faults !== undefined) {
      try {
        this.#faults = parseFaultSpec(o.faults);
      } catch (err) {
        if (err instanceof FaultSpecProblem) throw new InvalidConfigError(ENV.FAULTS, `${ENV.FAULTS}: ${err.message}.`);
        throw err;
      }
      for (const r of this.#faults) {
        if (o.calling !== undefined && !o.calling.has(r.target))
          throw new InvalidConfigError(
            ENV.FAULTS,
            `${ENV.FAULTS}: fault '${r.spec}' names '${r.target}', which this function does not call (calling: ${[...o.calling].join(', ') || 'nothing'}).`,
          );
        this.#injected.set(r, 0);
      }
    }
  }

  /** Runs one `invoke` / `invokeAsync` under the target's policy. */
  run(hop: Hop, target: string, input: unknown, options: InvokeOptions): Promise<unknown> {
    let o = options;
    let fallback: ((err: unknown) => unknown) | undefined;
    if ((o as { fallback?: unknown }).fallback !== undefined) {
      const { fallback: f, ...rest } = o as InvokeOptions & { fallback?: unknown };
      if (typeof f !== 'function')
        return Promise.reject(
          new InvalidConfigError('fallback', 'The fallback option must be a function (err) => value.'),
        );
      if (hop === 'async')
        return Promise.reject(
          new InvalidConfigError(
            'fallback',
            'invokeAsync() takes no fallback option: only a sync invoke() has a result to replace.',
          ),
        );
      fallback = f as (err: unknown) => unknown;
      o = rest;
    }
    const e = this.#edges.get(target);
    const p = this.#guarded(e, hop, target, input, o);
    if (hop === 'async' || (fallback === undefined && e?.policy.fallback !== 'event')) return p;
    return p.catch((err: unknown) => this.#fallback(e, target, input, o, err, fallback));
  }

  #guarded(e: Edge | undefined, hop: Hop, target: string, input: unknown, o: InvokeOptions): Promise<unknown> {
    if (e === undefined) return this.#attempt(hop, target, input, o);
    const breaker = e.breaker;
    if (breaker !== undefined) {
      const s = breaker.state;
      // Open and not yet due, or half-open with its probe in flight: fail fast, no request.
      if (s === OPEN && Date.now() < e.nextProbeAt)
        return Promise.reject(new CircuitOpenError(target, e.nextProbeAt, e.lastFailure));
      if (s === HALF_OPEN)
        return Promise.reject(new CircuitOpenError(target, e.nextProbeAt, e.lastFailure, { state: 'half-open' }));
    }
    let opts = e.baseOptions;
    for (const _ in o) {
      opts = { ...e.baseOptions, ...o };
      break;
    }
    if (o.timeoutMs === undefined && e.policy.timeoutMs !== undefined && opts !== e.baseOptions)
      opts.timeoutMs = e.policy.timeoutMs;
    const bh = e.bulkhead;
    // The bulkhead's own test, made here so that a rejection needs no catch on every call.
    if (bh !== undefined && bh.executionSlots <= 0 && bh.queueSlots <= 0) {
      e.rejected++;
      return Promise.reject(new BulkheadRejectedError(target, e.policy.maxConcurrent ?? 0, e.policy.queue ?? 0));
    }
    // (cockatiel's BrokenCircuitError cannot arise: open-and-not-due and half-open are answered above.)
    const run = () => this.#attempt(hop, target, input, opts);
    if (breaker === undefined) return bh === undefined ? run() : bh.execute(run);
    return bh === undefined ? breaker.execute(run) : bh.execute(() => breaker.execute(run));
  }

  #attempt(hop: Hop, target: string, input: unknown, o: InvokeOptions): Promise<unknown> {
    const faults = this.#faults;
    if (faults !== undefined) {
      const rule = matchFault(faults, this.#o.self, target);
      // An Event invoke only sees what happens before Lambda queues it: a throttle or a delay.
      const applies = rule !== undefined && (hop === 'sync' || rule.kind === 'throttle' || rule.kind === 'latency');
      if (applies && Math.random() * 100 < rule.percent) return this.#inject(rule, hop, target, input, o);
    }
    return this.#o.call(hop, target, input, o);
  }

  async #fallback(
    e: Edge | undefined,
    target: string,
    input: unknown,
    o: InvokeOptions,
    err: unknown,
    fn: ((err: unknown) => unknown) | undefined,
  ): Promise<unknown> {
    const code = codeOf(err);
    if (fn !== undefined) {
      if (NO_REQUEST.has(code) || countsAsFailure(err, e?.tripOn)) return fn(err);
      throw err;
    }
    // fallback: event — only when no request reached the callee, so it never runs twice.
    if (!NO_REQUEST.has(code)) throw err;
    const ao: InvokeOptions = {};
    if (o.stage !== undefined) ao.stage = o.stage;
    if (o.raw !== undefined) ao.raw = o.raw;
    if (o.signal !== undefined) ao.signal = o.signal;
    const r = (await this.#o.call('async', target, input, ao)) as { requestId?: string };
    const q: QueuedFallback = { svcmesh: 'queued', target, reason: code };
    if (r.requestId !== undefined) q.requestId = r.requestId;
    return q;
  }

  /** Caller-side fault injection: the call fails (or waits) here, and is marked in the trace. */
  async #inject(rule: FaultRule, hop: Hop, target: string, input: unknown, o: InvokeOptions): Promise<unknown> {
    this.#injected.set(rule, (this.#injected.get(rule) ?? 0) + 1);
    this.#emit({ type: 'fault', target, ...(this.#o.self ? { caller: this.#o.self } : {}), fault: rule.spec });
    const scope = currentScope();
    const now = Date.now();
    let deadline = now + (o.timeoutMs ?? (scope ? Number.POSITIVE_INFINITY : this.#o.defaultTimeoutMs));
    if (scope) deadline = Math.min(deadline, scope.deadline - this.#o.deadlineMarginMs);
    const budget = Math.max(0, Math.floor(deadline - now));
    const attrs: Attributes = {
      [ATTR_TARGET]: target,
      'svcmesh.fault.injected': true,
      'svcmesh.fault.kind': rule.kind,
      'svcmesh.fault.spec': rule.spec,
      'svcmesh.fault.side': 'caller',
    };
    if (this.#o.self !== undefined) attrs[ATTR_CALLER] = this.#o.self;
    const parent = scope?.trace;
    const span = tracer.startSpan(`invoke ${target}`, { kind: SpanKind.CLIENT, attributes: attrs }, parent);
    const fail = (err: Error & { code?: string }) => {
      span.setAttribute(ATTR_ERROR_CODE, err.code ?? 'Error');
      span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
      span.end();
      throw err;
    };
    const marker = `fault injected by ${ENV.FAULTS} (${rule.spec})`;
    // Aborted while the fault waits: the same typed error as an aborted call (nothing was sent).
    const wait = (ms: number) =>
      sleep(ms, o.signal).catch((err: unknown) =>
        fail(o.signal?.aborted ? new AbortedError(target, 0, { cause: o.signal.reason }) : (err as Error)),
      );
    switch (rule.kind) {
      case 'error':
        return fail(
          new RemoteFunctionError({ target, errorType: 'InjectedFault', errorMessage: marker, remoteTrace: [] }),
        );
      case 'crash':
        return fail(
          new RemoteFunctionError({
            target,
            errorType: 'Runtime.ExitError',
            errorMessage: `Runtime exited with error: exit status 1 (${marker})`,
            remoteTrace: [],
          }),
        );
      case 'throttle':
        return fail(new ThrottledError(target, 1, `TooManyRequestsException (${marker})`));
      case 'timeout':
        await wait(budget);
        return fail(new InvokeTimeoutError(target, 'client', budget, marker));
      case 'latency': {
        const ms = rule.latencyMs ?? 0;
        if (ms >= budget) {
          await wait(budget);
          return fail(new InvokeTimeoutError(target, 'client', budget, marker));
        }
        await wait(ms);
        span.addEvent('svcmesh.fault.latency', { 'svcmesh.fault.latency_ms': ms });
        span.end();
        const left = budget - ms;
        return this.#o.call(hop, target, input, Number.isFinite(left) ? { ...o, timeoutMs: Math.max(1, left) } : o);
      }
    }
  }

  #reportBreaker(e: Edge, state: BreakerState): void {
    const ev: ResilienceEvent = { type: 'breaker', target: e.target, state, failures: e.counter?.state ?? 0 };
    if (this.#o.self !== undefined) ev.caller = this.#o.self;
    if (e.lastFailure !== undefined) ev.lastFailure = e.lastFailure;
    if (state === 'open') ev.nextProbeAt = e.nextProbeAt;
    this.#emit(ev);
  }

  #emit(ev: ResilienceEvent): void {
    // A span event on the invocation's span, and a structured log line (or the user's hook).
    const scope = currentScope();
    const span = trace.getActiveSpan() ?? (scope === undefined ? undefined : trace.getSpan(scope.trace));
    if (span?.isRecording()) {
      const a: Attributes = { [ATTR_TARGET]: ev.target };
      if (ev.caller !== undefined) a[ATTR_CALLER] = ev.caller;
      if (ev.state !== undefined) a['svcmesh.breaker.state'] = ev.state;
      if (ev.failures !== undefined) a['svcmesh.breaker.failures'] = ev.failures;
      if (ev.lastFailure !== undefined) a['svcmesh.breaker.last_failure'] = ev.lastFailure;
      if (ev.nextProbeAt !== undefined) a['svcmesh.breaker.next_probe_at'] = new Date(ev.nextProbeAt).toISOString();
      if (ev.fault !== undefined) a['svcmesh.fault.spec'] = ev.fault;
      span.addEvent(ev.type === 'breaker' ? `svcmesh.breaker.${ev.state}` : 'svcmesh.fault.injected', a);
    }
    if (this.#o.onEvent !== undefined) {
      try {
        this.#o.onEvent(ev);
      } catch {
        // a listener's bug never breaks a call
      }
      return;
    }
    if (ev.type !== 'breaker') return;
    const line: Record<string, unknown> = {
      level: ev.state === 'closed' ? 'INFO' : 'WARN',
      message: `svc-mesh: circuit breaker for ${ev.target} is ${ev.state}`,
      ...ev,
    };
    if (ev.nextProbeAt !== undefined) line['nextProbeAt'] = new Date(ev.nextProbeAt).toISOString();
    process.stderr.write(`${JSON.stringify(line)}\n`);
  }

  health(): MeshHealth {
    const h: MeshHealth = { breakers: {}, bulkheads: {}, faults: [] };
    for (const [t, e] of this.#edges) {
      if (e.breaker !== undefined) h.breakers[t] = e.health();
      const bh = e.bulkhead;
      if (bh !== undefined) {
        const max = e.policy.maxConcurrent ?? 0;
        const queue = e.policy.queue ?? 0;
        h.bulkheads[t] = {
          maxConcurrent: max,
          queue,
          active: max - bh.executionSlots,
          queued: queue - bh.queueSlots,
          rejected: e.rejected,
        };
      }
    }
    for (const [r, n] of this.#injected) h.faults.push({ spec: r.spec, injected: n });
    return h;
  }
}
