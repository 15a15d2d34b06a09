import { SvcMeshError } from './SvcMeshError.js';

/** Extra detail of an {@link UndeclaredCallError}. */
export interface UndeclaredCallDetail {
  /** The declared names closest to the one written (full names, or function names for a short name). */
  suggestions?: readonly string[];
  /** The target was written as a function name alone (`sdk.invoke('get', …)`). */
  shortName?: boolean;
}

/**
 * Thrown before any network request when `SVC_MESH_CALLING` (or the `calling` option) is set
 * and the target is not in it. Carries the caller, the target, the closest declared names and
 * the line to add.
 */
export class UndeclaredCallError extends SvcMeshError {
  override readonly name = 'UndeclaredCallError' as const;
  /** The calling function, `service:function`, or undefined when unknown. */
  readonly caller: string | undefined;
  /** The target that was called, as written (a function name alone when `shortName`). */
  readonly target: string;
  /** The targets that are declared. */
  readonly declared: readonly string[];
  /** The declared names closest to `target`, closest first (may be empty). */
  readonly suggestions: readonly string[];
  constructor(
    caller: string | undefined,
    target: string,
    declared: readonly string[],
    detail: UndeclaredCallDetail = {},
  ) {
    const [svc, fn] = caller?.split(':') ?? [];
    const where = caller
      ? `${caller} (service ${svc}, function ${fn})`
      : 'this function (SVC_MESH_SERVICE/SVC_MESH_FUNCTION not set)';
    const suggestions = detail.suggestions ?? [];
    const full = detail.shortName ? `<service>:${target}` : target;
    super(
      'UNDECLARED_CALL',
      `${where} called '${target}'${detail.shortName ? ' (a function name without its service)' : ''}, which is not declared under calling:. ` +
        (suggestions.length ? `Did you mean ${suggestions.map((d) => `'${d}'`).join(' or ')}? ` : '') +
        `Declared: ${declared.length ? declared.map((d) => `'${d}'`).join(', ') : '(none)'}. ` +
        `Fix: ${detail.shortName ? 'correct the name, or ' : ''}in ${svc ? `${svc}'s ` : ''}serverless.yml add \`calling: ['${full}']\` under functions.${fn ?? '<function>'} ` +
        '(or append it to the existing list), then rerun `svc-codegen` and redeploy so its IAM policy allows the call.',
    );
    this.caller = caller;
    this.target = target;
    this.declared = declared;
    this.suggestions = suggestions;
  }
}

export function isUndeclaredCallError(err: unknown): err is UndeclaredCallError {
  return err instanceof Error && err.name === 'UndeclaredCallError';
}
