/**
 * How `svc-mesh invoke` (and other commands) find a running `svc-mesh dev` without flags:
 * `svc-mesh dev` writes `.svc-mesh/dev.json` (endpoint, pid, stage) in the folder it was started
 * from and removes it when it stops; a command looks in its own folder and each parent, and
 * trusts a file only while the process it names is alive.
 * @internal
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface MeshState {
  endpoint: string;
  pid: number;
  stage: string;
  /** Where the file is. */
  file: string;
}

const FILE = join('.svc-mesh', 'dev.json');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

/**
 * Writes the state file of the mesh this process runs; returns a function that removes it. A
 * live mesh already recorded in `dir` keeps its file (commands here go on reaching it, also after
 * this one stops): that mesh is returned instead, and nothing is written.
 */
export function writeMeshState(
  dir: string,
  endpoint: string,
  stage: string,
): { remove: () => void; other?: MeshState } {
  const file = join(dir, FILE);
  const other = findMeshState(dir);
  if (other !== undefined && other.file === file && other.pid !== process.pid) return { remove: () => {}, other };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ endpoint, pid: process.pid, stage }, null, 2)}\n`);
  return {
    remove: () => {
      try {
        const now = JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown };
        if (now.pid === process.pid) rmSync(file, { force: true });
      } catch {
        // already gone, or another mesh's: leave it
      }
    },
  };
}

/** The running mesh nearest to `from` (its folder or a parent), if any. */
export function findMeshState(from: string): MeshState | undefined {
  let dir = from;
  for (;;) {
    const file = join(dir, FILE);
    if (existsSync(file)) {
      try {
        const s = JSON.parse(readFileSync(file, 'utf8')) as Partial<MeshState>;
        if (typeof s.endpoint === 'string' && typeof s.pid === 'number' && alive(s.pid))
          return { endpoint: s.endpoint, pid: s.pid, stage: typeof s.stage === 'string' ? s.stage : 'dev', file };
      } catch {
        // unreadable: keep looking further up
      }
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** The port `svc-mesh dev` listens on unless told otherwise. */
export const DEFAULT_MESH_ENDPOINT = 'http://127.0.0.1:4710';

/**
 * The local mesh a command talks to: `--endpoint`, else the `svc-mesh dev` running from this
 * folder or a parent (its `.svc-mesh/dev.json`, whatever port it took), else the default port.
 */
export function meshEndpoint(given: string | undefined, from = process.cwd()): string {
  return given ?? findMeshState(from)?.endpoint ?? DEFAULT_MESH_ENDPOINT;
}
