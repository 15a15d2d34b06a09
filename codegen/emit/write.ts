/**
 * Atomic output: everything is written into a temporary sibling directory, then renamed into
 * place. A failure leaves the previous output untouched and no partial directory behind.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { CodegenOutputError } from '../errors.js';

const MARKER = '.svc-codegen.json';

function reason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied; choose another --out or fix the permissions';
  if (code === 'EROFS') return 'the file system is read-only; choose another --out';
  if (code === 'ENOSPC') return 'no space left on the device';
  if (code === 'ENOTDIR' || (code === 'EEXIST' && (err as NodeJS.ErrnoException).syscall === 'mkdir')) {
    return 'a parent of it is a file, not a directory';
  }
  return (err as Error | undefined)?.message ?? String(err);
}

/**
 * Replaces `outDir` with exactly `files` (from `outputFiles()`).
 * @throws CodegenOutputError when the directory cannot be written; the previous output stays. Refuses to replace a non-empty directory that
 * svc-codegen did not write (it has no `.svc-codegen.json`), so a wrong `--out` cannot wipe a project.
 */
export async function writeOutput(outDir: string, files: Record<string, string>): Promise<void> {
  const out = resolve(outDir);
  const parent = dirname(out);
  if (existsSync(out)) {
    const st = await stat(out);
    if (!st.isDirectory()) throw new CodegenOutputError(out, 'it exists and is not a directory');
    const entries = await readdir(out);
    if (entries.length > 0 && !entries.includes(MARKER)) {
      throw new CodegenOutputError(
        out,
        `it is not empty and was not written by svc-codegen (no ${MARKER}); svc-codegen replaces its output directory as a whole, so pick an empty or new directory`,
      );
    }
  }
  let tmp: string;
  try {
    await mkdir(parent, { recursive: true });
    // mkdir, not mkdtemp: mkdtemp creates 0700, and the output (renamed from it) must get the
    // usual permissions (0777 minus the umask) like any folder the user makes.
    tmp = join(parent, `.${basename(out)}.tmp-${randomUUID().slice(0, 8)}`);
    await mkdir(tmp);
  } catch (err) {
    throw new CodegenOutputError(out, reason(err), err);
  }
  try {
    const dirs = new Set<string>();
    for (const rel of Object.keys(files)) dirs.add(dirname(join(tmp, rel)));
    for (const d of [...dirs].sort()) await mkdir(d, { recursive: true });
    // Many small files: keep a bounded number of writes in flight (file-descriptor friendly).
    const entries = Object.entries(files);
    let next = 0;
    const worker = async () => {
      while (next < entries.length) {
        const [rel, text] = entries[next++]!;
        await writeFile(join(tmp, rel), text);
      }
    };
    await Promise.all(Array.from({ length: Math.min(32, entries.length) }, worker));
    if (existsSync(out)) {
      const old = `${tmp}.old`;
      await rename(out, old);
      try {
        await rename(tmp, out);
      } catch (err) {
        await rename(old, out).catch(() => {});
        throw err;
      }
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(tmp, out);
    }
  } catch (err) {
    await rm(tmp, { recursive: true, force: true }).catch(() => {});
    throw new CodegenOutputError(out, reason(err), err);
  }
}
