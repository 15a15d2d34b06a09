/**
 * `svc-mesh/internal`: the runtime's naming rules, ARN shapes and environment variable names,
 * shared with the tooling package (svc-mesh-tools: codegen, the local mesh, the CLIs) so that the
 * two packages can never disagree on a name. Not a public API: it changes with any release, and
 * svc-mesh-tools pins the exact svc-mesh version it was built with.
 * @internal
 */
export * from './names.js';
export { ENV } from './env.js';
export * from '../resilience/faultSpec.js';
export { type FunctionErrorBody, readFunctionError } from '../invoke/wire.js';
export { closestTargets } from '../invoke/shorthand.js';
