import { SvcMeshError } from './SvcMeshError.js';

/**
 * Thrown before any network request when `SVC_MESH_CALLING` (or the `calling` option) is set
 * and the target is not in it. Carries the caller, the target and the line to add.
 */
export class UndeclaredCallError extends SvcMeshError {
  override readonly name = 'UndeclaredCallError' as const;
  /** The calling function, `service:function`, or undefined when unknown. */
  readonly caller: string | undefined;
  /** The target that was called. */
  readonly target: string;
  /** The targets that are declared. */
  readonly declared: readonly string[];
  constructor(caller: string | undefined, target: string, declared: readonly string[]) {
    const [svc, fn] = caller?.split(':') ?? [];
    const where = caller
      ? `${caller} (service ${svc}, function ${fn})`
      : 'this function (SVC_MESH_SERVICE/SVC_MESH_FUNCTION not set)';
    super(
      'UNDECLARED_CALL',
      `${where} called '${target}', which is not declared under calling:. ` +
        `Declared: ${declared.length ? declared.map((d) => `'${d}'`).join(', ') : '(none)'}. ` +
        `Fix: in ${svc ? `${svc}'s ` : ''}serverless.yml add \`calling: ['${target}']\` under functions.${fn ?? '<function>'} ` +
        '(or append it to the existing list), then rerun `svc-codegen` and redeploy so its IAM policy allows the call.',
    );
    this.caller = caller;
    this.target = target;
    this.declared = declared;
  }
}

export function isUndeclaredCallError(err: unknown): err is UndeclaredCallError {
  return err instanceof Error && err.name === 'UndeclaredCallError';
}
