/**
 * The line `svc-mesh dev` prints for each failed invocation, like Lambda's `ERROR Invoke Error`
 * and `Task timed out` log lines: function, error type, code, message, request id, trace id.
 * @internal
 */
import type { LocalFunction } from './types.js';
import type { RuntimeErrorPayload } from './workers/types.js';

/** Messages longer than this are cut (the full text is in the trace and the caller's error). */
const MAX_MESSAGE = 500;

export function failureLine(f: {
  fn: Pick<LocalFunction, 'target' | 'stage'>;
  error: RuntimeErrorPayload;
  code: string | undefined;
  requestId: string;
  traceId: string | undefined;
  attempt: number;
}): string {
  const e = f.error;
  // Lambda's own timeout line already says it all: `RequestId: … Error: Task timed out after N seconds`.
  let message = e.errorMessage.replace(/^RequestId: \S+ Error: /, '');
  message = message.replace(/\s*\n\s*/g, ' ');
  if (message.length > MAX_MESSAGE) message = `${message.slice(0, MAX_MESSAGE)}…`;
  const what =
    e.errorType === 'Sandbox.Timedout' ? message : `${e.errorType}${f.code ? ` [${f.code}]` : ''}: ${message}`;
  const ids = [`request ${f.requestId}`];
  if (f.traceId !== undefined) ids.push(`trace ${f.traceId}`);
  if (f.attempt > 1) ids.push(`attempt ${f.attempt}`);
  return `✗ ${f.fn.target}@${f.fn.stage} ${what} (${ids.join(', ')})`;
}
