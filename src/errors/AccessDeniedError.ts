import { SvcMeshError, type SvcMeshErrorOptions } from './SvcMeshError.js';

/** Thrown when IAM denied an action (lambda:InvokeFunction, ssm:GetParameters, sns:Publish…). */
export class AccessDeniedError extends SvcMeshError {
  override readonly name = 'AccessDeniedError' as const;
  readonly target: string;
  /** The denied action, e.g. `lambda:InvokeFunction`. */
  readonly action: string;
  readonly resource: string | undefined;
  constructor(
    target: string,
    action: string,
    resource: string | undefined,
    awsMessage: string,
    caller: string | undefined,
    options?: SvcMeshErrorOptions,
  ) {
    const fn = caller?.split(':')[1];
    super(
      'ACCESS_DENIED',
      `${caller ? `'${caller}'` : 'This function'} may not ${action}${resource ? ` on ${resource}` : ''} (for '${target}'): ${awsMessage}. ` +
        `Fix: make sure '${target}' is listed under functions.${fn ?? '<function>'}.calling in serverless.yml, rerun ` +
        '`svc-codegen` and redeploy so the generated IAM policy grants it.',
      options,
    );
    this.target = target;
    this.action = action;
    this.resource = resource;
  }
}

export function isAccessDeniedError(err: unknown): err is AccessDeniedError {
  return err instanceof Error && err.name === 'AccessDeniedError';
}
