import { SvcMeshError } from './SvcMeshError.js';

/**
 * Thrown before any network request by the no-name form, `sdk.invoke(input)`, when the function
 * does not declare exactly one target under `calling:` (none, or several). Names the declared
 * targets; name the one to call.
 */
export class UnnamedCallError extends SvcMeshError {
  override readonly name = 'UnnamedCallError' as const;
  /** The calling function, `service:function`, or undefined when unknown. */
  readonly caller: string | undefined;
  /** The targets the function declares (zero, or two or more). */
  readonly declared: readonly string[];
  constructor(caller: string | undefined, declared: readonly string[], how: 'invoke' | 'invokeAsync' = 'invoke') {
    const who = caller ?? 'this function';
    const [svc, fn] = caller?.split(':') ?? [];
    super(
      'UNNAMED_CALL',
      declared.length === 0
        ? `${who} called sdk.${how}(input) without a target name, which needs exactly one target under calling:, ` +
            `and it declares none. Fix: in ${svc ? `${svc}'s ` : ''}serverless.yml add \`calling: ['service:function']\` ` +
            `under functions.${fn ?? '<function>'}, rerun \`svc-codegen\` and redeploy, or name the target: ` +
            `sdk.${how}('service:function', input).`
        : `${who} called sdk.${how}(input) without a target name, which needs exactly one target under calling:, ` +
            `and it declares ${declared.length}: ${declared.map((d) => `'${d}'`).join(', ')}. ` +
            `Fix: name the target, e.g. sdk.${how}('${declared[0]}', input).`,
    );
    this.caller = caller;
    this.declared = declared;
  }
}

export function isUnnamedCallError(err: unknown): err is UnnamedCallError {
  return err instanceof Error && err.name === 'UnnamedCallError';
}
