/**
 * A full garbage collection on demand, for readings of retained memory (heapUsed alone also
 * counts whatever the collector has not reached yet). `--expose-gc` set at run time makes `gc`
 * available to contexts created afterwards.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

export function collectGarbage(): void {
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}
