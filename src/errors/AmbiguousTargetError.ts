import { SvcMeshError } from './SvcMeshError.js';

/**
 * Thrown before any network request when a function name alone (`sdk.invoke('get', input)`)
 * matches more than one target under `calling:` (e.g. `users:get` and `orders:get`). Carries the
 * candidates; write one of them in full.
 */
export class AmbiguousTargetError extends SvcMeshError {
  override readonly name = 'AmbiguousTargetError' as const;
  /** The calling function, `service:function`, or undefined when unknown. */
  readonly caller: string | undefined;
  /** The function name that was written, without a service. */
  readonly shortName: string;
  /** The declared targets it matches (two or more), sorted. */
  readonly candidates: readonly string[];
  constructor(
    caller: string | undefined,
    shortName: string,
    candidates: readonly string[],
    how: 'invoke' | 'invokeAsync' = 'invoke',
  ) {
    const list = candidates.map((c) => `'${c}'`).join(', ');
    super(
      'AMBIGUOUS_TARGET',
      `${caller ?? 'this function'} called '${shortName}' without a service, and ${candidates.length} targets under ` +
        `calling: have that function name: ${list}. A name alone must pick exactly one declared target. ` +
        `Fix: write the full 'service:function', e.g. sdk.${how}('${candidates[0]}', input).`,
    );
    this.caller = caller;
    this.shortName = shortName;
    this.candidates = candidates;
  }
}

export function isAmbiguousTargetError(err: unknown): err is AmbiguousTargetError {
  return err instanceof Error && err.name === 'AmbiguousTargetError';
}
