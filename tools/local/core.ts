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
import type { AuthFailure } from './guard.js';
import { terminalSafe } from './terminal.js';
import type { DeadLetter, InvocationRecord, LocalFunction } from './types.js';
import type { RunOutcome, WorkerPool } from './workers/WorkerPool.js';

export interface AsyncMeta {
  requestId: string;
  traceId?: string;
  source: 'lambda' | 'sns';
  topicArn?: string;
  subscriptionArn?: string;
  messageId?: string;
}

export interface MeshCoreOptions {
  region: string;
  account: string;
  iam: boolean;
  tracing: boolean;
  asyncRetryDelaysMs: readonly number[];
  log: (line: string) => void;
  deadLetterFile?: string;
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
  stopping = false;
  /** Set when stop() begins: a retry scheduled from now on runs at once instead of after its delay. */
  draining = false;

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

  /** Runs an invocation now (the caller checked capacity). */
  async runSync(
    pool: WorkerPool,
    req: {
      id: string;
      payload: string;
      invokedFunctionArn: string;
      clientContext?: string;
      traceId?: string;
      tail: boolean;
    },
  ): Promise<RunOutcome> {
    this.begin();
    pool.inFlight++;
    try {
      const out = await pool.run(req);
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
    void this.attemptAsync(pool, payload, meta, 1);
  }

  private async attemptAsync(pool: WorkerPool, payload: string, meta: AsyncMeta, attempt: number): Promise<void> {
    pool.inFlight++;
    let out: RunOutcome;
    try {
      out = await pool.run({
        id: attempt === 1 ? meta.requestId : meta.requestId,
        payload,
        invokedFunctionArn: pool.fn.arn,
        ...(meta.traceId === undefined ? {} : { traceId: meta.traceId }),
        tail: false,
      });
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
    const d: DeadLetter = {
      id: randomUUID(),
      time: new Date().toISOString(),
      source: meta.source === 'sns' ? 'sns' : 'lambda:Event',
      functionName: fn.name,
      functionArn: fn.arn,
      attempts,
      error: { errorType: error.errorType, errorMessage: error.errorMessage },
      payload: parsed,
      requestId: meta.requestId,
      ...(meta.topicArn === undefined ? {} : { topicArn: meta.topicArn }),
      ...(meta.subscriptionArn === undefined ? {} : { subscriptionArn: meta.subscriptionArn }),
      ...(meta.messageId === undefined ? {} : { messageId: meta.messageId }),
    };
    this.dead.push(d);
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
