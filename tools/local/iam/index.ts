/**
 * IAM enforcement: maps a request's access key to a principal (a mesh function, or the
 * developer's admin) and checks the action against that function's generated policies.
 * @internal
 */
import type { PolicyDocument } from '../../../codegen/model.js';
import { LOCAL_ACCOUNT } from '../constants.js';
import { type Decision, evaluatePolicies } from './evaluate.js';

export { evaluatePolicies, wildcardMatch } from './evaluate.js';
export type { Decision } from './evaluate.js';
export { parseCredentialScope } from './sigv4.js';
export type { CredentialScope } from './sigv4.js';

/** A mesh function acting as an IAM principal. */
export interface FunctionPrincipal {
  kind: 'function';
  /** `service:function`. */
  target: string;
  /** Physical Lambda name (the role session name in AWS). */
  functionName: string;
  roleName: string;
  policies: readonly PolicyDocument[];
}
export type Principal = FunctionPrincipal | { kind: 'admin' };

export interface Denial {
  action: string;
  resource: string;
  decision: Exclude<Decision, 'allowed'>;
  /** The message AWS gives, word for word in its structure. */
  message: string;
}

/** Returns undefined when allowed, else the denial with AWS's message. */
export function authorize(
  principal: Principal,
  action: string,
  resource: string,
  enabled: boolean,
  account = LOCAL_ACCOUNT,
): Denial | undefined {
  if (!enabled || principal.kind === 'admin') return undefined;
  const decision = evaluatePolicies(principal.policies, action, resource);
  if (decision === 'allowed') return undefined;
  const who = `arn:aws:sts::${account}:assumed-role/${principal.roleName}/${principal.functionName}`;
  const why =
    decision === 'explicitDeny'
      ? `with an explicit deny in an identity-based policy`
      : `because no identity-based policy allows the ${action} action`;
  return {
    action,
    resource,
    decision,
    message: `User: ${who} is not authorized to perform: ${action} on resource: ${resource} ${why}`,
  };
}
