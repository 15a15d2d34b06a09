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
  constructor(target: string, nextProbeAt: number, lastFailure: string | undefined, options?: SvcMeshErrorOptions) {
    const wait = Math.max(0, nextProbeAt - Date.now());
    super(
      'CIRCUIT_OPEN',
      `The circuit breaker for '${target}' is open${lastFailure ? ` (last failure: ${lastFailure})` : ''}: no request was sent. ` +
        `It lets one probe call through in ${wait} ms (at ${new Date(nextProbeAt).toISOString()}). ` +
        'Serve a fallback, or retry after that time; the breaker is per execution environment (docs/resiliency.md).',
      options,
    );
    this.target = target;
    this.nextProbeAt = nextProbeAt;
    this.lastFailure = lastFailure;
  }
}

export function isCircuitOpenError(err: unknown): err is CircuitOpenError {
  return err instanceof Error && err.name === 'CircuitOpenError';
}
