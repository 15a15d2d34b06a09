import { SvcMeshError } from './SvcMeshError.js';

/** Thrown before any network call when a target is not a valid `service:function` name. */
export class InvalidTargetError extends SvcMeshError {
  override readonly name = 'InvalidTargetError' as const;
  /** The value that was passed, as given (stringified for display only). */
  readonly target: unknown;
  constructor(target: unknown, reason: string) {
    super(
      'INVALID_TARGET',
      `Invalid target ${describe(target)}: ${reason}. A target is 'service:function', e.g. 'users:createUser' ` +
        `(service: letter then letters, digits or '-'; function: letter then letters, digits, '-' or '_').`,
    );
    this.target = target;
  }
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null) return 'null';
  return `(${typeof v})`;
}

export function isInvalidTargetError(err: unknown): err is InvalidTargetError {
  return err instanceof Error && err.name === 'InvalidTargetError';
}
