import { SvcMeshError, type SvcMeshErrorOptions } from './SvcMeshError.js';

/**
 * Thrown when a feature needs a package that is not installed: an AWS SDK v3 client svc-mesh
 * loads on first use (`@aws-sdk/client-ssm` for SSM discovery, `@aws-sdk/client-sns` for
 * lifecycle events, `@aws-sdk/client-cloudformation` for exports discovery, ...). Never
 * retryable: installing the package is the fix, and the message names the command.
 */
export class MissingDependencyError extends SvcMeshError {
  override readonly name = 'MissingDependencyError' as const;
  /** The package that could not be loaded, e.g. `@aws-sdk/client-ssm`. */
  readonly packageName: string;
  /** What needed it, e.g. `SSM discovery`. */
  readonly feature: string;
  constructor(packageName: string, feature: string, options: SvcMeshErrorOptions = {}) {
    super(
      'MISSING_DEPENDENCY',
      `${feature} needs the package ${packageName}, which is not installed in this project. ` +
        `Install it next to svc-mesh: npm install ${packageName}`,
      options,
    );
    this.packageName = packageName;
    this.feature = feature;
  }
}

export function isMissingDependencyError(err: unknown): err is MissingDependencyError {
  return err instanceof Error && err.name === 'MissingDependencyError';
}
