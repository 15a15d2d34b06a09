/**
 * A running mesh follows its serverless.yml files: on a change it loads and validates them
 * again; if they are valid it applies the new graph (functions, `calling` and IAM policies,
 * environment, topics, subscriptions, discovery records, exports) without dropping in-flight
 * work, and prints what changed; if not, it keeps the running graph and prints the diagnostics
 * with their positions.
 * @internal
 */
import { type FSWatcher, watch } from 'node:fs';
import type { SeedPlan } from '../../codegen/model.js';
import { parseExportName } from 'svc-mesh/internal';
import type { CloudFormationService } from './cloudformation/CloudFormationService.js';
import type { MeshCore } from './core.js';
import type { SnsService } from './sns/SnsService.js';
import type { SsmService } from './ssm/SsmService.js';
import type { LocalFunction } from './types.js';
import type { WorkerPool } from './workers/WorkerPool.js';

/** What one load of every deployment produced. */
export interface LoadedGraph {
  functions: LocalFunction[];
  seeds: SeedPlan[];
  /** Every serverless.yml that went into it (watched). */
  files: string[];
}

export interface ReloadTarget {
  core: MeshCore;
  sns: SnsService;
  ssm: SsmService;
  cfn: CloudFormationService;
  /** The mesh's function list (changed in place: `mesh.functions` is this array). */
  functions: LocalFunction[];
  /** Functions given directly (not from serverless.yml): never removed by a reload. */
  fixed: ReadonlySet<string>;
  makePool(f: LocalFunction): WorkerPool;
  /** Loads and validates every deployment again; throws like startLocalMesh (with `diagnostics`). */
  load(): Promise<LoadedGraph>;
  log(line: string): void;
}

/** Waits this long after the last file event before reloading (editors write in several steps). */
const SETTLE_MS = 100;

/** What a change of these fields needs: a new sandbox (all of them are read when it starts). */
function signature(f: LocalFunction): string {
  return JSON.stringify([
    f.handler,
    f.dir,
    f.timeout,
    f.memorySize,
    f.reservedConcurrency ?? null,
    f.environment,
    f.policies,
    f.accessKeyId,
  ]);
}

function changedFields(a: LocalFunction, b: LocalFunction): string[] {
  const out: string[] = [];
  if (JSON.stringify(a.handler) !== JSON.stringify(b.handler) || a.dir !== b.dir) out.push('handler');
  if (a.timeout !== b.timeout) out.push('timeout');
  if (a.memorySize !== b.memorySize) out.push('memorySize');
  if ((a.reservedConcurrency ?? null) !== (b.reservedConcurrency ?? null)) out.push('reservedConcurrency');
  if (JSON.stringify(a.environment) !== JSON.stringify(b.environment)) out.push('environment');
  if (JSON.stringify(a.policies) !== JSON.stringify(b.policies)) out.push('calling/IAM');
  return out;
}

const subKey = (s: SeedPlan['subscriptions'][number]) =>
  `${s.topicArn}\n${s.functionArn}\n${JSON.stringify(s.filterPolicy ?? null)}`;

export class ConfigWatcher {
  private watchers = new Map<string, FSWatcher>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly retiring = new Set<WorkerPool>();

  constructor(
    private readonly t: ReloadTarget,
    private current: LoadedGraph,
  ) {
    this.watchFiles(current.files);
  }

  /** Applies the files as they are now (also what a file event triggers). Resolves when done. */
  reload(): Promise<void> {
    this.running = this.running.then(() => this.reloadNow());
    return this.running;
  }

  /** Stops following the files (pools being retired still finish their calls). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    await this.running.catch(() => undefined);
  }

  /** After the mesh drained: closes the pools replaced by reloads. */
  async closePools(): Promise<void> {
    await Promise.all([...this.retiring].map((p) => p.close()));
    this.retiring.clear();
  }

  private watchFiles(files: string[]): void {
    const want = new Set(files);
    for (const [f, w] of this.watchers) {
      if (!want.has(f)) {
        w.close();
        this.watchers.delete(f);
      }
    }
    for (const f of want) {
      if (this.watchers.has(f)) continue;
      try {
        const w = watch(f, { persistent: false }, () => this.schedule(f));
        w.on('error', () => this.schedule(f));
        this.watchers.set(f, w);
      } catch {
        // gone between load and watch: the next reload sees it
      }
    }
  }

  private schedule(file: string): void {
    if (this.closed) return;
    // Editors that save by rename leave the watcher on the old file: watch the path again.
    this.watchers.get(file)?.close();
    this.watchers.delete(file);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.reload(), SETTLE_MS);
    this.timer.unref?.();
  }

  private async reloadNow(): Promise<void> {
    if (this.closed) return;
    let next: LoadedGraph;
    try {
      next = await this.t.load();
    } catch (err) {
      const diags = (err as { diagnostics?: readonly string[] }).diagnostics ?? [];
      const errors = diags.filter((d) => /: error: /.test(d)).length;
      this.t.log(
        `svc-mesh: serverless.yml changed, but it is not valid (${errors || 'an'} error${errors === 1 ? '' : 's'}); ` +
          'the running services are unchanged:\n' +
          (diags.length > 0 ? diags.map((d) => `  ${d}`).join('\n') : `  ${(err as Error)?.message ?? String(err)}`),
      );
      // keep following the files the running graph came from, plus any new ones
      this.watchFiles([...new Set([...this.current.files, ...this.watchers.keys()])]);
      return;
    }
    if (this.closed) return;
    const summary = this.apply(next);
    this.current = next;
    this.watchFiles(next.files);
    this.t.log(
      summary.length === 0
        ? 'svc-mesh: serverless.yml changed; the services are the same.'
        : `svc-mesh: serverless.yml changed; applied:\n${summary.map((s) => `  ${s}`).join('\n')}`,
    );
  }

  /** Applies the new graph; returns one line per change. */
  private apply(next: LoadedGraph): string[] {
    const { core, functions } = this.t;
    const out: string[] = [];
    const before = new Map(functions.filter((f) => !this.t.fixed.has(f.name)).map((f) => [f.name, f]));
    const after = new Map(next.functions.map((f) => [f.name, f]));
    const label = (f: LocalFunction) => `${f.target}@${f.stage}`;

    for (const [name, f] of after) {
      const old = before.get(name);
      if (old !== undefined && signature(old) === signature(f)) continue;
      if (old === undefined && core.byName.has(name)) {
        out.push(`! ${label(f)}: its physical name ${name} is taken by another function; not added`);
        continue;
      }
      // New calls go to the new pool; calls in flight finish on the old one, which is closed when idle.
      const oldPool = core.pools.get(name);
      if (old !== undefined) core.byAccessKey.delete(old.accessKeyId);
      core.byName.set(name, f);
      core.byAccessKey.set(f.accessKeyId, f);
      const pool = this.t.makePool(f);
      pool.prepare();
      core.pools.set(name, pool);
      if (oldPool !== undefined) this.retire(oldPool);
      const i = old === undefined ? -1 : functions.indexOf(old);
      if (i >= 0) functions[i] = f;
      else functions.push(f);
      out.push(old === undefined ? `+ ${label(f)} (${name})` : `~ ${label(f)}: ${changedFields(old, f).join(', ')}`);
    }
    for (const [name, old] of before) {
      if (after.has(name)) continue;
      core.byName.delete(name);
      core.byAccessKey.delete(old.accessKeyId);
      const pool = core.pools.get(name);
      core.pools.delete(name);
      if (pool !== undefined) this.retire(pool);
      const i = functions.indexOf(old);
      if (i >= 0) functions.splice(i, 1);
      out.push(`- ${label(old)} (${name})`);
    }

    // Topics, subscriptions, discovery records and exports from the new seed plans.
    const { sns, ssm, cfn } = this.t;
    const topicName = (arn: string) => arn.slice(arn.lastIndexOf(':') + 1);
    const oldSubs = new Map(this.current.seeds.flatMap((s) => s.subscriptions).map((s) => [subKey(s), s]));
    const newSubs = new Map(next.seeds.flatMap((s) => s.subscriptions).map((s) => [subKey(s), s]));
    let topics = 0;
    for (const seed of next.seeds) {
      for (const t of seed.topics) {
        if (!sns.topics.has(t.arn)) {
          sns.createTopic(topicName(t.arn));
          topics++;
        }
      }
    }
    let removedSubs = 0;
    for (const [k, s] of oldSubs) {
      if (newSubs.has(k)) continue;
      if (sns.unsubscribeEndpoint(s.topicArn, s.functionArn)) removedSubs++;
    }
    let addedSubs = 0;
    for (const [k, s] of newSubs) {
      if (oldSubs.has(k)) continue;
      if (!sns.topics.has(s.topicArn)) sns.createTopic(topicName(s.topicArn));
      sns.subscribe(
        s.topicArn,
        'lambda',
        s.functionArn,
        s.filterPolicy === undefined ? {} : { FilterPolicy: JSON.stringify(s.filterPolicy) },
      );
      addedSubs++;
    }
    const oldParams = new Map(this.current.seeds.flatMap((s) => s.parameters).map((p) => [p.name, p.value]));
    let params = 0;
    for (const seed of next.seeds) {
      for (const p of seed.parameters) {
        if (oldParams.get(p.name) === p.value) continue;
        ssm.put(p.name, p.value, 'String', true);
        params++;
      }
      for (const e of seed.exports) {
        const owner = parseExportName(e.name);
        try {
          cfn.addExport(e.name, e.value, owner ? `${owner.service}-${owner.stage}` : 'svc-mesh');
        } catch (err) {
          out.push(`! export ${e.name}: ${(err as Error).message}`);
        }
      }
    }
    if (topics > 0) out.push(`+ ${topics} topic(s)`);
    if (addedSubs + removedSubs > 0) out.push(`~ subscriptions: +${addedSubs} -${removedSubs}`);
    if (params > 0) out.push(`~ ${params} discovery record(s)`);
    return out;
  }

  private retire(pool: WorkerPool): void {
    this.retiring.add(pool);
    const check = setInterval(() => {
      if (pool.inFlight > 0) return;
      clearInterval(check);
      this.retiring.delete(pool);
      void pool.close();
    }, 50);
    check.unref?.();
  }
}
