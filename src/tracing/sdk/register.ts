/**
 * `svc-mesh/tracing/register`: starts tracing before any other module loads, as the ADOT
 * Lambda layer does with its wrapper.
 *
 * @example
 * ```sh
 * NODE_OPTIONS="--import svc-mesh/tracing/register" node handler.js
 * ```
 * Spans still buffered when the process is about to exit are flushed (Lambda itself is
 * flushed per invocation by `defineFunction`).
 */
import { startTracing } from './index.js';

const tracing = startTracing();

let flushing = false;
process.once('beforeExit', () => {
  if (flushing) return;
  flushing = true;
  void tracing.shutdown().catch(() => undefined);
});
