/**
 * What a pool needs to reload at once: the handler's bundle inputs (a file watcher on each, plus
 * an mtime check of the function's own files on every call, so a call that starts after a save
 * has completed never runs the old code, even before the watcher's event arrives), and the
 * service's `node_modules` (a package installed while the mesh runs replaces warm sandboxes).
 * @internal
 */
import { type FSWatcher, statSync, watch } from 'node:fs';
import { dirname, join, sep } from 'node:path';

export type SourceChange = 'sources' | 'packages';

export class SourceWatch {
  private watchers: FSWatcher[] = [];
  private packagesWatcher: FSWatcher | undefined;
  /** The function's own files (not installed packages) with the mtime they were built from. */
  private own: [string, number][] = [];
  private sources = false;
  private packages = false;
  private closed = false;

  constructor(private readonly serviceDir: string) {}

  /** Watches the inputs of a new build (replacing the previous ones). */
  track(inputs: Map<string, number>): void {
    if (this.closed) return;
    for (const w of this.watchers) w.close();
    this.watchers = [];
    this.own = [];
    this.sources = false;
    const nm = `${sep}node_modules${sep}`;
    for (const [file, mtime] of inputs) {
      // Checked on every call: only the service's own files (a few stats); the rest rely on the watcher.
      if (!file.includes(nm) && file.startsWith(this.serviceDir + sep)) this.own.push([file, mtime]);
      const w = this.tryWatch(file, () => {
        this.sources = true;
      });
      if (w !== undefined) this.watchers.push(w);
    }
    this.packagesWatcher ??= this.watchPackages();
  }

  /** What changed since the last call (and forgets it). */
  takeChange(): SourceChange | undefined {
    if (this.packages) {
      this.packages = false;
      this.sources = false;
      return 'packages';
    }
    if (this.sources || this.ownChanged()) {
      this.sources = false;
      return 'sources';
    }
    return undefined;
  }

  close(): void {
    this.closed = true;
    for (const w of this.watchers) w.close();
    this.watchers = [];
    this.packagesWatcher?.close();
    this.packagesWatcher = undefined;
  }

  private ownChanged(): boolean {
    for (const [file, mtime] of this.own) {
      let now = -1;
      try {
        now = statSync(file).mtimeMs;
      } catch {
        now = -1;
      }
      if (now !== mtime) return true;
    }
    return false;
  }

  /** The nearest `node_modules` above the service: a new or updated package shows up there. */
  private watchPackages(): FSWatcher | undefined {
    let dir = this.serviceDir;
    for (;;) {
      const nm = join(dir, 'node_modules');
      const w = this.tryWatch(nm, (name) => {
        // A package added or replaced, or npm's hidden lockfile; not tools' caches (.vite, .cache…).
        if (name === null || name === '.package-lock.json' || !name.startsWith('.')) this.packages = true;
      });
      if (w !== undefined) return w;
      const up = dirname(dir);
      if (up === dir) return undefined;
      dir = up;
    }
  }

  private tryWatch(path: string, onChange: (name: string | null) => void): FSWatcher | undefined {
    try {
      const w = watch(path, { persistent: false }, (_event, name) => onChange(name === null ? null : String(name)));
      w.on('error', () => {
        onChange(null);
        w.close();
      });
      return w;
    } catch {
      return undefined;
    }
  }
}
