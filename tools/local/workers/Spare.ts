/**
 * One spare sandbox for the whole mesh: a worker process already started (Node booted, the worker
 * bootstrap and the tracing SDK loaded) that no function owns yet. A function's cold start adopts
 * it — the function's environment and folder are applied, tracing starts, the handler loads — so
 * the fork and the SDK's load are not on that call's path. A new spare is started once the
 * adopted one is ready. Like Lambda's own pre-started execution environments, the function code
 * runs only after adoption, with only its own environment.
 * @internal
 */
import type { ChildProcess } from 'node:child_process';
import { forkSandbox, killGroup } from './Worker.js';
import type { PreloadMessage } from './types.js';

export interface SpareOptions {
  bootstrap: () => Promise<string>;
  /** The tracing bootstrap, or undefined when tracing is off. */
  tracing: () => Promise<string | undefined>;
  /** The environment a spare starts with (no function's variables: those come at adoption). */
  env: Record<string, string>;
  cwd: string;
  /** The heap limit is fixed when Node starts: only a function with this memory size adopts. */
  memorySize: number;
}

interface Held {
  proc: ChildProcess;
  received: [number, number];
  /** Its preload is done: an adopter pays only for its own init. */
  warm: boolean;
  /** Drops its output (a spare runs no user code; anything it prints is the bootstrap's). */
  readonly drains: [(b: Buffer) => void, (b: Buffer) => void];
}

export class Spare {
  private held: Held | undefined;
  private starting = false;
  private closed = false;

  constructor(private readonly opts: SpareOptions) {}

  /** The process id of the spare that is up, warm and not yet adopted (shown at /_mesh/health). */
  get pid(): number | undefined {
    return this.held?.warm === true ? this.held.proc.pid : undefined;
  }

  /** Starts a spare unless one is held or starting. Never throws. */
  replenish(): void {
    if (this.closed || this.held !== undefined || this.starting) return;
    this.starting = true;
    void this.start()
      .catch(() => undefined)
      .finally(() => {
        this.starting = false;
      });
  }

  private async start(): Promise<void> {
    const [bootstrap, tracing] = await Promise.all([this.opts.bootstrap(), this.opts.tracing()]);
    if (this.closed) return;
    const proc = forkSandbox(bootstrap, this.opts.env, this.opts.cwd, this.opts.memorySize);
    const received: [number, number] = [0, 0];
    const drains: Held['drains'] = [(b) => (received[0] += b.length), (b) => (received[1] += b.length)];
    proc.stdout?.on('data', drains[0]);
    proc.stderr?.on('data', drains[1]);
    const held: Held = { proc, received, warm: false, drains };
    proc.on('message', (m: { t?: string }) => {
      if (m?.t === 'preloaded') held.warm = true;
    });
    proc.on('error', () => undefined);
    // A spare that exits (killed, crashed) is no longer held; the next cold start forks.
    proc.once('exit', () => {
      if (this.held === held) this.held = undefined;
    });
    const msg: PreloadMessage = tracing === undefined ? { t: 'preload' } : { t: 'preload', tracing };
    try {
      proc.send(msg);
    } catch {
      killGroup(proc);
      return;
    }
    this.held = held;
  }

  /**
   * Hands the spare to a function (undefined if there is none, it died, or it cannot serve this
   * function: another memory size, or a NODE_OPTIONS only a fresh process can apply).
   */
  take(fn: {
    memorySize: number;
    env: Record<string, string>;
  }): { proc: ChildProcess; received: [number, number] } | undefined {
    const h = this.held;
    if (h === undefined || h.proc.exitCode !== null || h.proc.signalCode !== null) return undefined;
    if (fn.memorySize !== this.opts.memorySize || fn.env['NODE_OPTIONS'] !== undefined) return undefined;
    this.held = undefined;
    h.proc.stdout?.off('data', h.drains[0]);
    h.proc.stderr?.off('data', h.drains[1]);
    return { proc: h.proc, received: h.received };
  }

  close(): void {
    this.closed = true;
    const h = this.held;
    this.held = undefined;
    if (h !== undefined) killGroup(h.proc);
  }
}
