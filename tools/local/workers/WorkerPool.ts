/**
 * The warm pool of one function: up to `maxWorkers` sandboxes, reused while warm, with
 * Lambda's reserved-concurrency throttle and a hot reload when the handler's sources
 * change (new invocations get a fresh sandbox; in-flight ones finish on the old one).
 * @internal
 */
import type { LocalFunction } from '../types.js';
import type { Spare } from './Spare.js';
import { type BuildFailed, type BuildOk, buildHandler, inputsChanged } from './build.js';
import type { RuntimeErrorPayload, SpansBody } from './types.js';
import { type InvokeOutcome, Worker } from './Worker.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SourceWatch } from './SourceWatch.js';

/** Lambda's init phase limit. */
const INIT_TIMEOUT_MS = 10_000;
/** How often a pool looks at its sources' mtimes. */
const RELOAD_CHECK_MS = 1_000;

export interface PoolShared {
  bootstrap: () => Promise<string>;
  tracing: () => Promise<string | undefined>;
  env: (fn: LocalFunction) => Record<string, string>;
  log: ((fn: LocalFunction, line: string) => void) | undefined;
  maxWorkers: number;
  /** Spans workers send over IPC (tracing on). */
  onSpans?: (body: SpansBody) => void;
  /** The mesh's spare sandbox, adopted by a cold start when it fits (Spare.ts). */
  spare?: Spare;
}

export interface RunRequest {
  id: string;
  payload: string;
  invokedFunctionArn: string;
  clientContext?: string;
  traceId?: string;
  tail: boolean;
  /** Ids of the invocation's span (tracing on). */
  span?: { traceId: string; spanId: string };
  /** Attempt of an Event invocation (1 + retries). */
  attempt?: number;
}

export interface RunOutcome extends Omit<InvokeOutcome, 'retire'> {
  coldStart: boolean;
  durationMs: number;
}

export class WorkerPool {
  readonly fn: LocalFunction;
  private readonly shared: PoolShared;
  private readonly idle: Worker[] = [];
  private readonly all = new Set<Worker>();
  private readonly waiting: ((w: Worker | undefined) => void)[] = [];
  private build: Promise<BuildOk | BuildFailed> | undefined;
  private generation = 0;
  private checkedAt = 0;
  private closed = false;
  /** Sandboxes being started: counted before the first await so concurrent calls cannot overshoot. */
  private starting = 0;
  /** Invocations admitted and not finished (running or waiting for a sandbox). */
  inFlight = 0;
  /** Tells at once when the handler's sources or the installed packages change. */
  private readonly watch: SourceWatch;

  constructor(fn: LocalFunction, shared: PoolShared) {
    this.fn = fn;
    this.shared = shared;
    this.watch = new SourceWatch(fn.dir);
  }

  get workerCount(): number {
    return this.all.size;
  }
  /** Process ids of live sandboxes (for memory measurements). */
  pids(): number[] {
    return [...this.all].map((w) => w.proc.pid).filter((p): p is number => p !== undefined);
  }

  /**
   * Bundles the handler ahead of its first call (in the background; never fails: a failing build
   * is reported by the call, and built again then).
   */
  prepare(): void {
    if (this.build === undefined) void this.ensureBuild();
  }

  /** False when reserved concurrency is exhausted (the caller answers 429). */
  hasCapacity(): boolean {
    const r = this.fn.reservedConcurrency;
    return r === undefined || this.inFlight < r;
  }

  private ensureBuild(): Promise<BuildOk | BuildFailed> {
    const now = Date.now();
    // A save that completed before this call is seen now: the watcher's event, or (if the event
    // has not been delivered yet) the mtime of the function's own files, checked on every call.
    const changed = this.build !== undefined ? this.watch.takeChange() : undefined;
    if (changed === 'packages') {
      // New or updated packages: the same bundle, but warm sandboxes cached the old resolution.
      this.checkedAt = now;
      this.build = this.build!.then((b) => (b.ok ? this.renewGeneration(b) : this.rebuild()));
    } else if (changed === 'sources') {
      this.checkedAt = now;
      const current = this.build!;
      this.build = current.then((b) => (b.ok && existsSync(b.file) && !inputsChanged(b.inputs) ? b : this.rebuild()));
    } else if (this.build !== undefined && now - this.checkedAt >= RELOAD_CHECK_MS) {
      this.checkedAt = now;
      const current = this.build;
      this.build = current.then((b) => (b.ok && existsSync(b.file) && !inputsChanged(b.inputs) ? b : this.rebuild()));
    }
    if (this.build === undefined) {
      this.checkedAt = now;
      this.build = this.rebuild();
    }
    return this.build;
  }

  private async rebuild(): Promise<BuildOk | BuildFailed> {
    const fn = this.fn;
    const b = await buildHandler({
      file: fn.handler.file,
      handlerRaw: fn.handler.raw,
      outDir: join(fn.dir, '.svc-mesh', 'build'),
      name: fn.name,
      serviceDir: fn.dir,
    });
    this.generation++;
    // A failed build is not cached for long: fixing the file fixes the next invocation.
    if (!b.ok) this.checkedAt = 0;
    else this.watch.track(b.inputs);
    return b;
  }

  private renewGeneration(b: BuildOk): BuildOk {
    this.generation++;
    return b;
  }

  private async spawn(b: BuildOk): Promise<Worker | RuntimeErrorPayload> {
    const fn = this.fn;
    this.starting++;
    let bootstrap: string;
    let tracing: string | undefined;
    try {
      [bootstrap, tracing] = await Promise.all([this.shared.bootstrap(), this.shared.tracing()]);
    } finally {
      this.starting--;
    }
    const log = this.shared.log;
    const env = this.shared.env(fn);
    const spare = this.shared.spare?.take({ memorySize: fn.memorySize, env });
    const w = new Worker(
      {
        ...(spare === undefined ? {} : { spare }),
        bootstrap,
        init: {
          t: 'init',
          module: b.file,
          export: fn.handler.export,
          handlerLabel: fn.handler.raw,
          ...(tracing === undefined ? {} : { tracing }),
        },
        env,
        cwd: fn.dir,
        memorySize: fn.memorySize,
        log: log === undefined ? undefined : (line) => log(fn, line),
        ...(this.shared.onSpans === undefined ? {} : { onSpans: this.shared.onSpans }),
      },
      this.generation,
    );
    this.all.add(w);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        w.ready,
        new Promise<never>((_, rej) => {
          timer = setTimeout(
            () =>
              rej({
                errorType: 'Sandbox.Timedout',
                errorMessage: `Error: the handler took longer than ${INIT_TIMEOUT_MS / 1000} seconds to load (Lambda's init limit)`,
              } satisfies RuntimeErrorPayload),
            INIT_TIMEOUT_MS,
          );
        }),
      ]);
      return w;
    } catch (err) {
      this.all.delete(w);
      w.kill();
      this.wakeOne(undefined);
      return err as RuntimeErrorPayload;
    } finally {
      clearTimeout(timer);
      // The next cold start (of any function) gets a spare too; started once this one is done,
      // so the two do not compete for the CPU.
      this.shared.spare?.replenish();
    }
  }

  private async acquire(): Promise<Worker | RuntimeErrorPayload> {
    for (;;) {
      if (this.closed) return { errorType: 'Runtime.ExitError', errorMessage: 'Error: the local mesh is stopping' };
      const b = await this.ensureBuild();
      if (!b.ok) return b.error;
      for (let w = this.idle.pop(); w !== undefined; w = this.idle.pop()) {
        if (w.alive && w.builtAt === this.generation) return w;
        this.all.delete(w);
        w.kill();
      }
      if (this.all.size + this.starting < this.shared.maxWorkers) return this.spawn(b);
      const handed = await new Promise<Worker | undefined>((r) => this.waiting.push(r));
      if (handed !== undefined) {
        if (handed.alive && handed.builtAt === this.generation) return handed;
        this.all.delete(handed);
        handed.kill();
      }
    }
  }

  private wakeOne(w: Worker | undefined): boolean {
    const next = this.waiting.shift();
    if (next === undefined) return false;
    next(w);
    return true;
  }

  private release(w: Worker, retire: boolean): void {
    if (retire || !w.alive || this.closed) {
      this.all.delete(w);
      w.kill();
      this.wakeOne(undefined);
      return;
    }
    if (!this.wakeOne(w)) this.idle.push(w);
  }

  /** Runs one invocation on a warm (or new) sandbox. Never rejects. */
  async run(req: RunRequest): Promise<RunOutcome> {
    const t0 = performance.now();
    const w = await this.acquire();
    if (!(w instanceof Worker)) return { error: w, coldStart: true, durationMs: performance.now() - t0 };
    const coldStart = w.coldStart;
    const deadlineMs = Date.now() + this.fn.timeout * 1000;
    const out = await w.invoke(
      {
        t: 'invoke',
        id: req.id,
        payload: req.payload,
        deadlineMs,
        invokedFunctionArn: req.invokedFunctionArn,
        ...(req.clientContext === undefined ? {} : { clientContext: req.clientContext }),
        ...(req.traceId === undefined ? {} : { traceId: req.traceId }),
        tail: req.tail,
        ...(req.span === undefined ? {} : { span: req.span }),
        ...(req.attempt === undefined ? {} : { attempt: req.attempt }),
      },
      this.fn.timeout,
      req.span !== undefined,
    );
    this.release(w, out.retire);
    const r: RunOutcome = { coldStart, durationMs: performance.now() - t0 };
    if (out.result !== undefined) r.result = out.result;
    if (out.error !== undefined) r.error = out.error;
    if (out.log !== undefined) r.log = out.log;
    if (out.spanRecorded) r.spanRecorded = true;
    if (out.logs !== undefined) r.logs = out.logs;
    return r;
  }

  /** Kills every sandbox (after the mesh drained). */
  async close(): Promise<void> {
    this.closed = true;
    this.watch.close();
    for (const wake of this.waiting.splice(0)) wake(undefined);
    const all = [...this.all];
    this.all.clear();
    this.idle.length = 0;
    for (const w of all) w.kill();
    await Promise.all(all.map((w) => w.exit()));
  }
}
