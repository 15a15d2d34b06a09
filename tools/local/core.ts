/**
 * The mesh's shared state and the two ways a function runs: synchronously for a caller,
 * or asynchronously (Lambda's Event queue: retries, then a dead letter). The protocol
 * handlers (lambda/, sns/, ssm/, cloudformation/) read and change this state.
 * @internal
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CredentialScope, Principal } from './iam/index.js';
import { authorize, type Denial } from './iam/index.js';
import { ASYNC_MAX_RETRIES, DEVELOPER_ACCESS_KEY_ID } from './constants.js';
import { failureLine } from './failureLine.js';
import type { AuthFailure } from './guard.js';
import {
  type Carrier,
  type InvocationHop,
  type InvocationSpan,
  type InvocationSpans,
  readFailure,
  newTraceId,
  parentOf,
} from './invocationSpans.js';
import { terminalSafe } from './terminal.js';
import type { DeadLetter, InvocationRecord, LocalFunction } from './types.js';
import type { RunOutcome, RunRequest, WorkerPool } from './workers/WorkerPool.js';

export interface AsyncMeta {
  requestId: string;
  /** The caller's `X-Amzn-Trace-Id`, if any. */
  traceId?: string;
  /** The caller's trace context (Event envelope `meta`, SNS message attributes). */
  carrier?: Carrier;
  /** `async` for an svc-mesh Event envelope, `event` for SNS, `direct` otherwise. */
  hop?: InvocationHop;
  source: 'lambda' | 'sns';
  topicArn?: string;
  subscriptionArn?: string;
  messageId?: string;
}

/** A sync invocation as the Lambda API hands it to the core. */
export interface SyncRequest extends Omit<RunRequest, 'span'> {
  /** ClientContext `custom` (the caller's trace context). */
  carrier?: Carrier;
  hop?: InvocationHop;
}

export interface MeshCoreOptions {
  region: string;
  account: string;
  iam: boolean;
  tracing: boolean;
  asyncRetryDelaysMs: readonly number[];
  log: (line: string) => void;
  deadLetterFile?: string;
  /** Where the one-line report of each failed invocation goes (undefined: nowhere, `--quiet`). */
  failures?: ((line: string) => void) | undefined;
}

export class MeshCore {
  readonly region: string;
  readonly account: string;
  iam: boolean;
  readonly tracing: boolean;
  readonly byName = new Map<string, LocalFunction>();
  readonly byAccessKey = new Map<string, LocalFunction>();
  readonly pools = new Map<string, WorkerPool>();
  readonly dead: DeadLetter[] = [];
  readonly listeners = new Set<(r: InvocationRecord) => void>();
  readonly deadListeners = new Set<(d: DeadLetter) => void>();
  private readonly opts: MeshCoreOptions;
  /** Sync invocations and queued/retrying async ones not yet finished. */
  private pending = 0;
  private readonly retryTimers = new Set<PendingRetry>();
  private idleWaiters: (() => void)[] = [];
  /** `traceId target` of the newest failure lines printed (bounded), so a cause is said once per trace. */
  private readonly failedInTrace = new Set<string>();
  stopping = false;
  /** Set when stop() begins: a retry scheduled from now on runs at once instead of after its delay. */
  draining = false;
  /** Records a span for every invocation (tracing on, trace service present). */
  spans: InvocationSpans | undefined;

  constructor(opts: MeshCoreOptions) {
    this.opts = opts;
    this.region = opts.region;
    this.account = opts.account;
    this.iam = opts.iam;
    this.tracing = opts.tracing;
  }

  principalOf(scope: CredentialScope | undefined): Principal {
    const fn = scope === undefined ? undefined : this.byAccessKey.get(scope.accessKeyId);
    if (fn === undefined) return { kind: 'admin' };
    return { kind: 'function', target: fn.target, functionName: fn.name, roleName: fn.roleName, policies: fn.policies };
  }

  /**
   * Who signed an AWS API call: a function (its own key), the developer (the documented
   * developer key), or nobody the mesh knows ('missing' / 'unknown', refused as AWS does).
   */
  authenticate(scope: CredentialScope | undefined): Principal | AuthFailure {
    if (scope === undefined) return 'missing';
    if (scope.accessKeyId === DEVELOPER_ACCESS_KEY_ID) return { kind: 'admin' };
    const p = this.principalOf(scope);
    return p.kind === 'function' ? p : 'unknown';
  }

  authorize(principal: Principal, action: string, resource: string): Denial | undefined {
    return authorize(principal, action, resource, this.iam, this.account);
  }

  private begin(): void {
    this.pending++;
  }
  private end(): void {
    this.pending--;
    if (this.pending === 0) for (const w of this.idleWaiters.splice(0)) w();
  }
  /** Resolves once no invocation is running, queued or waiting for a retry. */
  whenIdle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }
  get inFlight(): number {
    return this.pending;
  }

  private emit(r: InvocationRecord): void {
    for (const l of this.listeners) {
      try {
        l(r);
      } catch {
        // a listener's bug never breaks an invocation
      }
    }
  }

  /** Begins the invocation's span and gives the worker its ids and X-Ray header; without tracing, only the header. */
  private traceInvocation(
    pool: WorkerPool,
    run: RunRequest,
    info: {
      requestId: string;
      type: 'RequestResponse' | 'Event';
      hop: InvocationHop;
      attempt: number;
      carrier: Carrier | undefined;
      topicArn?: string | undefined;
    },
  ): InvocationSpan | undefined {
    const incoming = run.traceId;
    if (this.spans === undefined) {
      run.traceId = incoming ?? newTraceHeader(this.tracing);
      return undefined;
    }
    const span = this.spans.begin({
      fn: pool.fn,
      requestId: info.requestId,
      invocationType: info.type,
      hop: info.hop,
      attempt: info.attempt,
      parent: parentOf(info.carrier, incoming),
      ...(info.topicArn === undefined ? {} : { topicArn: info.topicArn }),
    });
    run.traceId = span.xrayHeader;
    run.span = { traceId: span.traceId, spanId: span.spanId };
    return span;
  }

  /** Ends the span (unless the handler recorded it) and prints the failure line. */
  private finishInvocation(
    pool: WorkerPool,
    span: InvocationSpan | undefined,
    run: RunRequest,
    out: RunOutcome,
    attempt: number,
  ): void {
    const failure = out.error === undefined ? undefined : readFailure(pool.fn.target, out.error);
    if (span !== undefined)
      this.spans?.end(span, {
        failure,
        coldStart: out.coldStart,
        recorded: out.spanRecorded === true,
        logs: out.logs,
      });
    if (failure !== undefined && this.opts.failures !== undefined) {
      const { error, code, root } = failure;
      const traceId = span?.traceId ?? rootOf(run.traceId);
      this.opts.failures(
        failureLine({
          fn: pool.fn,
          error,
          code,
          requestId: run.id,
          traceId,
          attempt,
          root,
          rootShown: root !== undefined && traceId !== undefined && this.failedInTrace.has(`${traceId} ${root.target}`),
        }),
      );
      if (traceId !== undefined) {
        // bounded: the newest failures' trace and function, to say a cause once per trace
        this.failedInTrace.add(`${traceId} ${pool.fn.target}`);
        if (this.failedInTrace.size > 256) this.failedInTrace.delete(this.failedInTrace.values().next().value!);
      }
    }
  }

  /** Runs an invocation now (the caller checked capacity). */
  async runSync(pool: WorkerPool, sync: SyncRequest): Promise<RunOutcome> {
    this.begin();
    pool.inFlight++;
    const { carrier, hop, ...req } = sync as SyncRequest & RunRequest;
    try {
      const span = this.traceInvocation(pool, req, {
        requestId: req.id,
        type: 'RequestResponse',
        hop: hop ?? 'direct',
        attempt: 1,
        carrier,
      });
      const out = await pool.run(req);
      this.finishInvocation(pool, span, req, out, 1);
      // No record is built when nobody listens (the common `svc-mesh dev --quiet` case).
      if (this.listeners.size > 0)
        this.emit({
          requestId: req.id,
          functionName: pool.fn.name,
          target: pool.fn.target,
          type: 'RequestResponse',
          source: 'lambda',
          attempt: 1,
          ...(out.error ? { errorType: out.error.errorType } : {}),
          durationMs: out.durationMs,
          coldStart: out.coldStart,
        });
      return out;
    } finally {
      pool.inFlight--;
      this.end();
    }
  }

  /**
   * Queues an Event invocation: Lambda runs it in the background, retries a function
   * error twice, then keeps it as a dead letter. Nothing is dropped silently.
   */
  enqueueAsync(pool: WorkerPool, payload: string, meta: AsyncMeta): void {
    this.begin();
    // Without a caller's context, every attempt and the dead letter still share one (new) trace.
    if (this.spans !== undefined && parentOf(meta.carrier, meta.traceId) === undefined) {
      const id = newTraceId();
      meta = { ...meta, traceId: `Root=1-${id.slice(0, 8)}-${id.slice(8)};Sampled=0` };
    }
    void this.attemptAsync(pool, payload, meta, 1);
  }

  private async attemptAsync(first: WorkerPool, payload: string, meta: AsyncMeta, attempt: number): Promise<void> {
    // A retry runs on the function's current pool (a serverless.yml reload may have replaced it).
    const pool = attempt === 1 ? first : (this.pools.get(first.fn.name) ?? first);
    pool.inFlight++;
    let out: RunOutcome;
    try {
      const run: RunRequest = {
        id: meta.requestId,
        payload,
        invokedFunctionArn: pool.fn.arn,
        ...(meta.traceId === undefined ? {} : { traceId: meta.traceId }),
        tail: false,
        attempt,
      };
      const span = this.traceInvocation(pool, run, {
        requestId: meta.requestId,
        type: 'Event',
        hop: meta.hop ?? (meta.source === 'sns' ? 'event' : 'direct'),
        attempt,
        carrier: meta.carrier,
        topicArn: meta.topicArn,
      });
      out = await pool.run(run);
      this.finishInvocation(pool, span, run, out, attempt);
    } finally {
      pool.inFlight--;
    }
    this.emit({
      requestId: meta.requestId,
      functionName: pool.fn.name,
      target: pool.fn.target,
      type: 'Event',
      source: meta.source,
      attempt,
      ...(out.error ? { errorType: out.error.errorType } : {}),
      durationMs: out.durationMs,
      coldStart: out.coldStart,
    });
    if (out.error === undefined) {
      this.end();
      return;
    }
    if (attempt <= ASYNC_MAX_RETRIES && !this.stopping) {
      this.scheduleRetry(pool, payload, meta, attempt, out.error);
      return;
    }
    this.deadLetter(pool.fn, payload, meta, attempt, out.error);
    this.end();
  }

  deadLetter(
    fn: { name: string; arn: string },
    payload: string,
    meta: AsyncMeta,
    attempts: number,
    error: { errorType: string; errorMessage: string },
  ): void {
    let parsed: unknown = payload;
    try {
      parsed = JSON.parse(payload);
    } catch {
      // keep the text
    }
    // The user's input, not svc-mesh's Event envelope; its metadata stays beside it.
    let envelopeMeta: unknown;
    const env = parsed as { svcmesh?: unknown; meta?: unknown; payload?: unknown } | null;
    if (typeof env === 'object' && env !== null && env.svcmesh === 1 && 'payload' in env) {
      envelopeMeta = env.meta;
      parsed = env.payload;
    }
    const d: DeadLetter = {
      id: randomUUID(),
      time: new Date().toISOString(),
      source: meta.source === 'sns' ? 'sns' : 'lambda:Event',
      functionName: fn.name,
      functionArn: fn.arn,
      attempts,
      error: { errorType: error.errorType, errorMessage: error.errorMessage },
      payload: parsed,
      ...(envelopeMeta === undefined ? {} : { meta: envelopeMeta }),
      requestId: meta.requestId,
      ...(meta.topicArn === undefined ? {} : { topicArn: meta.topicArn }),
      ...(meta.subscriptionArn === undefined ? {} : { subscriptionArn: meta.subscriptionArn }),
      ...(meta.messageId === undefined ? {} : { messageId: meta.messageId }),
    };
    this.dead.push(d);
    this.spans?.deadLetter(
      { ...fn, ...(this.byName.get(fn.name) ?? {}) },
      parentOf(meta.carrier, meta.traceId),
      meta.requestId,
      attempts,
      error,
    );
    const file = this.opts.deadLetterFile;
    if (file !== undefined) {
      try {
        mkdirSync(dirname(file), { recursive: true });
        appendFileSync(file, `${JSON.stringify(d)}\n`);
      } catch (err) {
        this.opts.log(`svc-mesh: could not append the dead letter to ${file}: ${(err as Error).message}`);
      }
    }
    this.opts.log(
      `dead letter: ${fn.name} (${d.source}${d.topicArn ? ` from ${d.topicArn}` : ''}) after ${attempts} attempt${attempts === 1 ? '' : 's'}: ` +
        terminalSafe(`${error.errorType}: ${error.errorMessage}`),
    );
    for (const l of this.deadListeners) {
      try {
        l(d);
      } catch {
        // ignore listener bugs
      }
    }
  }

  /**
   * Lambda retries a failed Event invocation after a delay. While the mesh drains the delay is
   * skipped (a retry scheduled in the drain window would otherwise outlive the mesh); whatever
   * is still waiting when the drain ends is dead-lettered by `deadLetterPendingRetries`.
   */
  private scheduleRetry(
    pool: WorkerPool,
    payload: string,
    meta: AsyncMeta,
    attempt: number,
    error: { errorType: string; errorMessage: string },
  ): void {
    const next = () => void this.attemptAsync(pool, payload, meta, attempt + 1);
    if (this.draining) {
      next();
      return;
    }
    const delay = this.opts.asyncRetryDelaysMs[attempt - 1] ?? this.opts.asyncRetryDelaysMs.at(-1) ?? 0;
    const entry: PendingRetry = {
      timer: setTimeout(() => {
        this.retryTimers.delete(entry);
        next();
      }, delay),
      flush: () => {
        clearTimeout(entry.timer);
        next();
      },
      abandon: () => {
        clearTimeout(entry.timer);
        this.deadLetter(pool.fn, payload, meta, attempt, error);
        this.end();
      },
    };
    this.retryTimers.add(entry);
  }

  /** At stop: run pending retries now instead of waiting for their delay, and every later one at once. */
  flushRetries(): void {
    this.draining = true;
    for (const e of [...this.retryTimers]) {
      this.retryTimers.delete(e);
      e.flush();
    }
  }

  /** After the drain: a retry still waiting is dead-lettered, never dropped. */
  deadLetterPendingRetries(): void {
    for (const e of [...this.retryTimers]) {
      this.retryTimers.delete(e);
      e.abandon();
    }
  }
}

interface PendingRetry {
  timer: NodeJS.Timeout;
  flush: () => void;
  abandon: () => void;
}

/**
 * A Lambda-style trace header for invocations that arrive without one (Lambda always sets
 * one). Sampled follows the mesh's tracing switch: with `Sampled=0` a parent-based sampler
 * in the function would drop every span, the opposite of what "tracing on" means.
 */
export function newTraceHeader(sampled: boolean): string {
  const epoch = Math.floor(Date.now() / 1000)
    .toString(16)
    .padStart(8, '0');
  // randomUUID draws from a cached entropy pool: much cheaper per call than randomBytes.
  const hex = randomUUID().replace(/-/g, '') + randomUUID().replace(/-/g, '');
  return `Root=1-${epoch}-${hex.slice(0, 24)};Parent=${hex.slice(32, 48)};Sampled=${sampled ? 1 : 0}`;
}

/** The trace id in an X-Ray header's `Root`, as W3C hex. */
function rootOf(header: string | undefined): string | undefined {
  const m = header === undefined ? null : /Root=1-([0-9a-fA-F]{8})-([0-9a-fA-F]{24})/.exec(header);
  return m === null ? undefined : `${m[1]}${m[2]}`.toLowerCase();
}
