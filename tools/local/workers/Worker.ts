/**
 * One Lambda-like sandbox: a child process running one handler, one invocation at a time.
 * A timeout kills the process (like Lambda, `finally` blocks do not run); a crash fails
 * only the invocation in flight.
 * @internal
 */
import { type ChildProcess, fork } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import type {
  SpansBody,
  DoneMessage,
  InitMessage,
  InvokeMessage,
  RuntimeErrorPayload,
  WorkerMessage,
} from './types.js';

/** What V8 prints when the heap limit (--max-old-space-size, from memorySize) is reached. */
const OOM_RE = /heap out of memory|Allocation failed/i;

export interface InvokeOutcome {
  /** JSON text of the result, on success. */
  result?: string;
  error?: RuntimeErrorPayload;
  log?: string;
  /** The worker is gone or must not be reused. */
  retire: boolean;
  /** The invocation's span (ids from the mesh) arrived over IPC before `done`. */
  spanRecorded?: boolean;
  /** Output lines during the invocation, when asked for (`captureLogs`). */
  logs?: { line: string; stderr: boolean; timeMs: number }[];
}

export interface WorkerOptions {
  bootstrap: string;
  init: InitMessage;
  env: Record<string, string>;
  cwd: string;
  memorySize: number;
  /** Where the worker's stdout/stderr lines go (already prefixed by the pool); undefined = discard. */
  log: ((line: string) => void) | undefined;
  /** Spans the worker sends over IPC (OTLP/JSON text). */
  onSpans?: (body: SpansBody) => void;
  /** A spare sandbox to adopt instead of forking (see Spare.ts). */
  spare?: { proc: ChildProcess; received: [number, number] };
}

interface Current {
  id: string;
  resolve: (o: InvokeOutcome) => void;
  timer: NodeJS.Timeout | undefined;
  /** `"spanId":"<id>"` of the invocation's span, when tracing. */
  spanNeedle?: string;
  /** The invocation's span id, when tracing (spans that arrive as objects). */
  spanId?: string;
  spanRecorded?: boolean;
  logs?: { line: string; stderr: boolean; timeMs: number }[];
}
const MAX_CAPTURED_LINES = 100;
/** How long a `done` waits for output the worker wrote before it (DoneMessage.written). */
const DRAIN_WAIT_MS = 200;

export class Worker {
  readonly proc: ChildProcess;
  /** Resolves when the handler is loaded; rejects with the init error Lambda would report. */
  readonly ready: Promise<void>;
  readonly builtAt: number;
  coldStart = true;
  private current: Current | undefined;
  private exited = false;
  private closed = false;
  private stderrTail = '';
  /** V8 printed its out-of-memory line (seen as the output arrives: a native stack trace follows it). */
  private oomSeen = false;
  private readyDone = false;
  /** Bytes read from the worker's stdout and stderr. */
  private readonly received: [number, number] = [0, 0];
  /** A `done` whose output has not all arrived yet. */
  private pendingDone: { m: DoneMessage; timer: NodeJS.Timeout } | undefined;

  constructor(opts: WorkerOptions, builtAt: number) {
    this.builtAt = builtAt;
    const spare = opts.spare;
    this.proc = spare?.proc ?? forkSandbox(opts.bootstrap, opts.env, opts.cwd, opts.memorySize);
    if (spare !== undefined) {
      // What the spare wrote before (read and dropped by Spare) counts as received.
      this.received[0] = spare.received[0];
      this.received[1] = spare.received[1];
    }
    const pipe = (stream: NodeJS.ReadableStream | null, isErr: boolean) => {
      if (stream === null) return;
      let buf = '';
      const decoder = new StringDecoder('utf8');
      const which = isErr ? 1 : 0;
      stream.on('data', (bytes: Buffer) => {
        this.received[which] += bytes.length;
        const chunk = decoder.write(bytes);
        if (isErr) {
          // Test the joined window before trimming it: Node 22 prints over 2 KB of stack after
          // the FATAL ERROR line, so a tail kept for 'close' may no longer hold it.
          const window = this.stderrTail + chunk;
          if (!this.oomSeen && OOM_RE.test(window)) this.oomSeen = true;
          this.stderrTail = window.slice(-2048);
        }
        const captured = this.current?.logs;
        if (opts.log === undefined && captured === undefined) return;
        buf += chunk;
        let i = buf.indexOf('\n');
        while (i >= 0) {
          const line = buf.slice(0, i);
          if (line.trim() !== '') {
            opts.log?.(line);
            if (captured !== undefined && captured.length < MAX_CAPTURED_LINES)
              captured.push({ line, stderr: isErr, timeMs: Date.now() });
          }
          buf = buf.slice(i + 1);
          i = buf.indexOf('\n');
        }
        if (buf.length > 64 * 1024) {
          opts.log?.(buf);
          buf = '';
        }
        if (this.pendingDone !== undefined) this.settleWhenDrained();
      });
    };
    pipe(this.proc.stdout, false);
    pipe(this.proc.stderr, true);

    let readyResolve!: () => void;
    let readyReject!: (e: RuntimeErrorPayload) => void;
    this.ready = new Promise<void>((res, rej) => {
      readyResolve = res;
      readyReject = rej;
    });
    // Nobody may be awaiting yet; an init failure is reported through invoke().
    this.ready.catch(() => {});

    this.proc.on('message', (m: WorkerMessage) => {
      if (m.t === 'ready') {
        this.readyDone = true;
        readyResolve();
      } else if (m.t === 'initError') {
        this.readyDone = true;
        readyReject(m.error);
        this.kill();
      } else if (m.t === 'done') {
        if (Array.isArray(m.spans)) for (const body of m.spans) this.spans(body, opts.onSpans);
        this.onDone(m);
      } else if (m.t === 'spans') this.spans(m.body, opts.onSpans);
    });
    this.proc.on('error', () => {
      // spawn failures surface as 'exit' too; nothing else to do here
    });
    this.proc.on('exit', () => {
      this.exited = true;
      this.destroySandbox();
    });
    // 'close' comes after the stdio pipes are drained, so the stderr tail (an OOM message) is complete.
    this.proc.on('close', (code, signal) => {
      this.exited = true;
      this.closed = true;
      // every byte is read now: a `done` that waited for its output is answered as sent
      this.settleWhenDrained(true);
      const how = signal ? `signal: ${signal === 'SIGKILL' ? 'killed' : signal}` : `exit status ${code ?? 0}`;
      const oom = this.oomSeen;
      const type = oom ? 'Runtime.OutOfMemory' : 'Runtime.ExitError';
      if (!this.readyDone) {
        this.readyDone = true;
        readyReject({ errorType: type, errorMessage: `Error: Runtime exited with error: ${how}`, trace: [] });
      }
      const cur = this.current;
      if (cur !== undefined) {
        this.current = undefined;
        if (cur.timer) clearTimeout(cur.timer);
        cur.resolve(
          this.outcomeExtras(cur, {
            error: { errorType: type, errorMessage: `RequestId: ${cur.id} Error: Runtime exited with error: ${how}` },
            retire: true,
          }),
        );
      }
    });
    // A spare takes on the function's environment and folder before anything of the function runs.
    this.proc.send(spare === undefined ? opts.init : { ...opts.init, env: opts.env, cwd: opts.cwd });
  }

  get alive(): boolean {
    return !this.exited;
  }
  get busy(): boolean {
    return this.current !== undefined;
  }

  private spans(body: SpansBody, sink: ((body: SpansBody) => void) | undefined): void {
    const cur = this.current;
    if (cur?.spanNeedle !== undefined && !cur.spanRecorded) {
      if (typeof body === 'string' ? body.includes(cur.spanNeedle) : hasSpan(body, cur.spanId)) cur.spanRecorded = true;
    }
    sink?.(body);
  }

  private outcomeExtras(cur: Current, o: InvokeOutcome): InvokeOutcome {
    if (cur.spanRecorded) o.spanRecorded = true;
    if (cur.logs !== undefined) o.logs = cur.logs;
    return o;
  }

  /**
   * A `done` is answered once the output the worker wrote before sending it has been read (the
   * pipes and the IPC channel are read independently), so the invocation's last log lines belong
   * to it, in its span and ahead of its result in the terminal. Bounded: a worker that wrote
   * around the counters (fs.writeSync(1)) is not waited for past DRAIN_WAIT_MS.
   */
  private onDone(m: DoneMessage): void {
    const cur = this.current;
    if (cur === undefined || cur.id !== m.id) return;
    const w = m.written;
    if (w === undefined || (this.received[0] >= w[0] && this.received[1] >= w[1])) {
      this.finish(m);
      return;
    }
    if (this.pendingDone !== undefined) return;
    this.pendingDone = { m, timer: setTimeout(() => this.settleWhenDrained(true), DRAIN_WAIT_MS) };
  }

  private settleWhenDrained(force = false): void {
    const p = this.pendingDone;
    if (p === undefined) return;
    const w = p.m.written!;
    if (!force && (this.received[0] < w[0] || this.received[1] < w[1])) return;
    this.pendingDone = undefined;
    clearTimeout(p.timer);
    this.finish(p.m);
  }

  private finish(m: DoneMessage): void {
    const cur = this.current;
    if (cur === undefined || cur.id !== m.id) return;
    this.current = undefined;
    if (cur.timer) clearTimeout(cur.timer);
    const o: InvokeOutcome = { retire: m.fatal === true };
    if (m.result !== undefined) o.result = m.result;
    if (m.error !== undefined) o.error = m.error;
    if (m.log !== undefined) o.log = m.log;
    if (m.fatal) this.kill();
    cur.resolve(this.outcomeExtras(cur, o));
  }

  /** Runs one invocation. Resolves (never rejects) with the outcome. */
  invoke(msg: InvokeMessage, timeoutSeconds: number, captureLogs = false): Promise<InvokeOutcome> {
    return new Promise<InvokeOutcome>((resolve) => {
      if (this.exited) {
        resolve({
          error: { errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${msg.id} Error: Runtime exited` },
          retire: true,
        });
        return;
      }
      const ms = Math.max(0, msg.deadlineMs - Date.now());
      const timer = setTimeout(() => {
        const cur = this.current;
        if (cur?.id !== msg.id) return;
        this.current = undefined;
        this.kill();
        resolve(
          this.outcomeExtras(cur, {
            error: {
              errorType: 'Sandbox.Timedout',
              errorMessage: `RequestId: ${msg.id} Error: Task timed out after ${timeoutSeconds.toFixed(2)} seconds`,
            },
            retire: true,
          }),
        );
      }, ms);
      this.current = { id: msg.id, resolve, timer };
      if (msg.span !== undefined) {
        this.current.spanNeedle = `"spanId":"${msg.span.spanId}"`;
        this.current.spanId = msg.span.spanId;
      }
      if (captureLogs) this.current.logs = [];
      this.coldStart = false;
      try {
        this.proc.send(msg);
      } catch {
        // The exit handler answers the invocation.
      }
    });
  }

  kill(): void {
    if (!this.exited) killGroup(this.proc);
  }

  /**
   * Lambda destroys the whole sandbox: once the worker is gone, its process group goes too (a
   * background child may hold its stdout), and its pipes are closed if a survivor still holds
   * them, so 'close' (which answers the invocation in flight) comes, bounded.
   */
  private destroySandbox(): void {
    killGroup(this.proc);
    setTimeout(() => {
      if (this.closed) return;
      this.proc.stdout?.destroy();
      this.proc.stderr?.destroy();
    }, STDIO_GRACE_MS).unref();
  }

  /** Resolves when the process has exited and its pipes are closed (bounded: see destroySandbox). */
  async exit(): Promise<void> {
    if (this.closed) return;
    await new Promise<void>((r) => {
      this.proc.once('close', () => r());
      // a process that does not even exit after SIGKILL (stuck in the kernel): stop waiting
      setTimeout(r, EXIT_WAIT_MS).unref();
    });
  }
}

/** Whether an OTLP/JSON request object (from the worker: any shape) holds a span with this id. */
function hasSpan(body: unknown, spanId: string | undefined): boolean {
  const rs = (body as { resourceSpans?: unknown } | null)?.resourceSpans;
  if (spanId === undefined || !Array.isArray(rs)) return false;
  for (const r of rs) {
    const ss = (r as { scopeSpans?: unknown } | null)?.scopeSpans;
    if (!Array.isArray(ss)) continue;
    for (const s of ss) {
      const spans = (s as { spans?: unknown } | null)?.spans;
      if (!Array.isArray(spans)) continue;
      for (const span of spans) if ((span as { spanId?: unknown } | null)?.spanId === spanId) return true;
    }
  }
  return false;
}

/** Process groups exist on POSIX; on Windows a plain kill is all there is. */
const GROUPS = process.platform !== 'win32';

/** Forks a sandbox process running the worker bootstrap (not yet given a handler). */
export function forkSandbox(
  bootstrap: string,
  env: Record<string, string>,
  cwd: string,
  memorySize: number,
): ChildProcess {
  return fork(bootstrap, [], {
    env,
    cwd,
    // Source maps: stack traces (and the `trace` of function errors) point at the TypeScript lines.
    execArgv: [`--max-old-space-size=${Math.max(64, memorySize)}`, '--enable-source-maps'],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'json',
    // Its own process group: a timeout or stop kills the handler's background children too, and
    // the terminal's Ctrl-C (SIGINT to the foreground group) reaches the mesh only, which drains.
    detached: GROUPS,
  });
}
/** How long a child of the handler may keep the worker's pipes open after the worker exited. */
const STDIO_GRACE_MS = 500;
/** How long stop waits for one worker to go. */
const EXIT_WAIT_MS = 5_000;

/** SIGKILL to the worker's whole process group (the handler's children too), else to the worker. */
export function killGroup(proc: ChildProcess): void {
  const pid = proc.pid;
  if (GROUPS && pid !== undefined) {
    try {
      process.kill(-pid, 'SIGKILL');
      return;
    } catch {
      // the group is already gone
    }
  }
  if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
}
