import { SvcMeshError, type SvcMeshErrorOptions } from './SvcMeshError.js';

/**
 * Thrown without any network request when the circuit breaker of a target is open (it failed
 * `consecutiveFailures` times in a row in this execution environment) or is half-open with its
 * one probe call already in flight. `nextProbeAt` is when a call will be let through again.
 *
 * @example
 * ```ts
 * import { isCircuitOpenError } from 'svc-mesh/errors';
 * try { await sdk.invoke('payments:charge', input); }
 * catch (err) { if (isCircuitOpenError(err)) return { status: 'retry-later', at: err.nextProbeAt }; throw err; }
 * ```
 */
export class CircuitOpenError extends SvcMeshError {
  override readonly name = 'CircuitOpenError' as const;
  readonly target: string;
  /** Epoch ms when the breaker lets one probe call through (half-open). */
  readonly nextProbeAt: number;
  /** The code of the failure that opened the breaker, e.g. `INVOKE_TIMEOUT`. */
  readonly lastFailure: string | undefined;
  /** `open`, or `half-open` when its one probe call is in flight (it answers soon). */
  readonly state: 'open' | 'half-open';
  constructor(
    target: string,
    nextProbeAt: number,
    lastFailure: string | undefined,
    options?: SvcMeshErrorOptions & { state?: 'open' | 'half-open' },
  ) {
    const state = options?.state ?? 'open';
    const when =
      state === 'half-open'
        ? 'Its one probe call is in flight; the breaker closes if it succeeds.'
        : `It lets one probe call through in ${Math.max(0, nextProbeAt - Date.now())} ms (at ${new Date(nextProbeAt).toISOString()}).`;
    super(
      'CIRCUIT_OPEN',
      `The circuit breaker for '${target}' is ${state}${lastFailure ? ` (last failure: ${lastFailure})` : ''}: no request was sent. ` +
        `${when} Serve a fallback, or retry later; the breaker is per execution environment (docs/resiliency.md).`,
      options,
    );
    this.target = target;
    this.nextProbeAt = nextProbeAt;
    this.lastFailure = lastFailure;
    this.state = state;
  }
}

export function isCircuitOpenError(err: unknown): err is CircuitOpenError {
  return err instanceof Error && err.name === 'CircuitOpenError';
}
