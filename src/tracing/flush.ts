/**
 * Flushes spans before a Lambda invocation returns (the sandbox may freeze right after).
 * Uses only `@opentelemetry/api`: calls `forceFlush()` on the registered provider when it has
 * one (the OpenTelemetry SDK's does; the no-op API's does not).
 * @internal
 */
import { trace } from '@opentelemetry/api';

interface Flushable {
  forceFlush(): Promise<void>;
}

function flushable(p: unknown): p is Flushable {
  return typeof p === 'object' && p !== null && typeof (p as { forceFlush?: unknown }).forceFlush === 'function';
}

/** The registered provider, unwrapped from the API's proxy, if it can flush. */
function provider(): Flushable | undefined {
  const p = trace.getTracerProvider() as unknown as { getDelegate?: () => unknown };
  const inner = typeof p.getDelegate === 'function' ? p.getDelegate() : p;
  return flushable(inner) ? inner : undefined;
}

/**
 * Flushes pending spans, waiting at most `timeoutMs`. Never throws: a failing exporter must
 * not fail the function.
 */
export async function flushSpans(timeoutMs = 2_000): Promise<void> {
  const p = provider();
  if (!p) return;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      p.forceFlush(),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, Math.max(0, timeoutMs));
        timer.unref?.();
      }),
    ]);
  } catch {
    // exporter failures are the SDK's to report
  } finally {
    if (timer) clearTimeout(timer);
  }
}
