/**
 * Serialising inputs: JSON with clear errors for what JSON cannot carry, and size checks
 * before anything is sent.
 * @internal
 */
import { PayloadNotSerializableError } from '../errors/PayloadNotSerializableError.js';
import { PayloadTooLargeError } from '../errors/PayloadTooLargeError.js';

/** JSON for `value`, or a {@link PayloadNotSerializableError} naming the path of the bad value. */
export function toJson(target: string, value: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    let found: { path: string; reason: string } | undefined;
    try {
      found = findUnserializable(value);
    } catch {
      // a Proxy whose traps throw: no path to name, stringify's own message says what failed
    }
    throw new PayloadNotSerializableError(target, found?.path ?? '$', found?.reason ?? messageOf(err), {
      cause: err,
    });
  }
  if (json === undefined) {
    throw new PayloadNotSerializableError(
      target,
      '$',
      value === undefined ? 'the input is undefined' : `the input is a ${typeof value}`,
    );
  }
  return json;
}

/** Throws {@link PayloadTooLargeError} when `json` is over `limit` bytes (UTF-8). */
export function checkSize(target: string, kind: 'sync' | 'async' | 'event', json: string, limit: number): number {
  // Fast path: a UTF-16 length of n never encodes to more than 3n bytes.
  if (json.length * 3 <= limit) return -1;
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > limit) throw new PayloadTooLargeError(target, kind, bytes, limit);
  return bytes;
}

/** Walks a value to find what JSON.stringify chokes on (a cycle or a BigInt), with its path. */
export function findUnserializable(value: unknown): { path: string; reason: string } | undefined {
  const seen = new Set<object>();
  const walk = (v: unknown, path: string): { path: string; reason: string } | undefined => {
    if (typeof v === 'bigint') return { path, reason: 'a BigInt value (JSON has no BigInt)' };
    if (typeof v !== 'object' || v === null) return undefined;
    if (typeof (v as { toJSON?: unknown }).toJSON === 'function') {
      try {
        v = (v as { toJSON: () => unknown }).toJSON();
      } catch (err) {
        return { path, reason: `its toJSON() threw: ${(err as Error).message}` };
      }
      if (typeof v !== 'object' || v === null)
        return typeof v === 'bigint' ? { path, reason: 'a BigInt value (JSON has no BigInt)' } : undefined;
    }
    if (seen.has(v as object)) return { path, reason: 'a circular reference' };
    seen.add(v as object);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const r = child(v, i, `${path}[${i}]`);
        if (r) return r;
      }
    } else {
      for (const k of Object.keys(v as object)) {
        const r = child(v, k, /^[A-Za-z_$][\w$]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`);
        if (r) return r;
      }
    }
    seen.delete(v as object);
    return undefined;
  };
  // A getter that throws (JSON.stringify reads it too) is named by its path.
  const child = (o: unknown, k: string | number, path: string): { path: string; reason: string } | undefined => {
    let c: unknown;
    try {
      c = (o as Record<string | number, unknown>)[k];
    } catch (err) {
      return { path, reason: `reading it threw: ${messageOf(err)}` };
    }
    return walk(c, path);
  };
  return walk(value, '$');
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
