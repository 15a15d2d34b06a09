import { SvcMeshError, type SvcMeshErrorOptions } from './SvcMeshError.js';

/** Thrown before sending when the input cannot become JSON: a cycle, a BigInt, or `undefined`/a function at the top level. */
export class PayloadNotSerializableError extends SvcMeshError {
  override readonly name = 'PayloadNotSerializableError' as const;
  readonly target: string;
  /** Where the bad value is, e.g. `$.items[2].price`. */
  readonly path: string;
  constructor(target: string, path: string, reason: string, options?: SvcMeshErrorOptions) {
    super(
      'PAYLOAD_NOT_SERIALIZABLE',
      `The input for '${target}' cannot be sent as JSON: ${reason} at ${path}. Nothing was sent. ` +
        'Convert it to plain JSON data (e.g. BigInt → string, break the cycle, pass null instead of undefined).',
      options,
    );
    this.target = target;
    this.path = path;
  }
}

export function isPayloadNotSerializableError(err: unknown): err is PayloadNotSerializableError {
  return err instanceof Error && err.name === 'PayloadNotSerializableError';
}
