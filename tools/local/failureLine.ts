/**
 * The line `svc-mesh dev` prints for each failed invocation, like Lambda's `ERROR Invoke Error`
 * and `Task timed out` log lines: function, error type, code, message, request id, trace id.
 * Error types, codes and messages come from handlers (and their callers' input): control
 * characters are escaped, so a message cannot drive the developer's terminal.
 * @internal
 */
import type { RemoteFailureRoot } from 'svc-mesh/errors';
import { terminalSafe } from './terminal.js';
import type { LocalFunction } from './types.js';
import type { RuntimeErrorPayload } from './workers/types.js';

/** Messages longer than this are cut (the full text is in the trace and the caller's error). */
const MAX_MESSAGE = 500;

const cut = (m: string) => (m.length > MAX_MESSAGE ? `${m.slice(0, MAX_MESSAGE)}…` : m);

export function failureLine(f: {
  fn: Pick<LocalFunction, 'target' | 'stage'>;
  error: RuntimeErrorPayload;
  code: string | undefined;
  requestId: string;
  traceId: string | undefined;
  attempt: number;
  /** Where a failure that crossed hops started (a RemoteFunctionError's root), if elsewhere. */
  root?: RemoteFailureRoot | undefined;
  /** True when the root's own line was printed already (same trace): it is not repeated. */
  rootShown?: boolean;
}): string {
  const e = f.error;
  const ids = [`request ${f.requestId}`];
  if (f.traceId !== undefined) ids.push(`trace ${f.traceId}`);
  if (f.attempt > 1) ids.push(`attempt ${f.attempt}`);
  const r = f.root;
  if (r !== undefined && r.target !== f.fn.target) {
    // A caller failing because a function it called failed: the cause once, not each hop's text.
    const cause = f.rootShown
      ? `${r.errorType}, above`
      : `${r.errorType}${r.code ? ` [${r.code}]` : ''}: ${cut(r.message.replace(/\s*\n\s*/g, ' '))}`;
    return terminalSafe(
      `✗ ${f.fn.target}@${f.fn.stage} ${e.errorType}${f.code ? ` [${f.code}]` : ''} because ${r.target} failed (${cause}) (${ids.join(', ')})`,
    );
  }
  // Lambda's own timeout line already says it all: `RequestId: … Error: Task timed out after N seconds`.
  let message = e.errorMessage.replace(/^RequestId: \S+ Error: /, '');
  message = message.replace(/\s*\n\s*/g, ' ');
  message = cut(message);
  const what =
    e.errorType === 'Sandbox.Timedout' ? message : `${e.errorType}${f.code ? ` [${f.code}]` : ''}: ${message}`;
  return terminalSafe(`✗ ${f.fn.target}@${f.fn.stage} ${what} (${ids.join(', ')})`);
}
