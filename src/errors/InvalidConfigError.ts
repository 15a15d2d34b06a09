import { SvcMeshError } from './SvcMeshError.js';

/** Thrown when configuration (an option or an environment variable) is missing or malformed. */
export class InvalidConfigError extends SvcMeshError {
  override readonly name = 'InvalidConfigError' as const;
  /** The option or environment variable at fault, e.g. `SVC_MESH_STAGE`. */
  readonly setting: string;
  constructor(setting: string, message: string) {
    super('INVALID_CONFIG', message);
    this.setting = setting;
  }
}

export function isInvalidConfigError(err: unknown): err is InvalidConfigError {
  return err instanceof Error && err.name === 'InvalidConfigError';
}
