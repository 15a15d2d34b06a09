/**
 * svc-mesh runtime: what a Lambda handler imports.
 * Keep this import graph tiny: no SNS/SSM/CloudFormation clients at import time,
 * nothing from src/local or codegen, and only @opentelemetry/api for tracing.
 */
export {
  SvcMeshError,
  isSvcMeshError,
  InvalidTargetError,
  InvalidConfigError,
  DiscoveryRecordError,
} from './errors/index.js';
export type { ErrorCode } from './errors/index.js';
export { parseTarget } from './internal/names.js';
export type { Target } from './internal/names.js';
