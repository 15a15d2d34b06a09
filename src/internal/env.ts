/**
 * Every environment variable svc-mesh reads. codegen writes the SVC_MESH_* ones; the
 * local mesh sets them for its workers. Documented in docs/configuration.md.
 * @internal
 */
export const ENV = {
  SERVICE: 'SVC_MESH_SERVICE',
  FUNCTION: 'SVC_MESH_FUNCTION',
  STAGE: 'SVC_MESH_STAGE',
  STAGE_FALLBACK: 'SVC_MESH_STAGE_FALLBACK',
  CALLING: 'SVC_MESH_CALLING',
  SUBSCRIBABLE: 'SVC_MESH_SUBSCRIBABLE',
  DISCOVERY: 'SVC_MESH_DISCOVERY',
  SSM_PREFIX: 'SVC_MESH_SSM_PREFIX',
  ROUTES: 'SVC_MESH_ROUTES',
  /** JSON `{"start":"arn…","success":"arn…","failed":"arn…"}`: this function's own lifecycle topics. */
  TOPICS: 'SVC_MESH_TOPICS',
  /** `auto` | `always` | `never`: whether sync and async invokes carry an `X-Amzn-Trace-Id` header. */
  XRAY_HEADER: 'SVC_MESH_XRAY_HEADER',
  /** JSON `{"svc:fn":{"timeoutMs":…,"retries":…,"breaker":{…},"maxConcurrent":…}}`: per-edge resiliency policies. */
  POLICIES: 'SVC_MESH_POLICIES',
  /** A fault spec for testing (docs/resiliency.md): `'payments:charge=error:30%'`. Off unless set. */
  FAULTS: 'SVC_MESH_FAULTS',
} as const;
