/** SNS's default message limit: body plus attribute names, types and values, in bytes. */
export const SNS_MESSAGE_LIMIT = 262_144;
/** CloudEvents `type` prefix: `svc-mesh.function.start|success|failed`. */
export const EVENT_TYPE_PREFIX = 'svc-mesh.function.';
/** CloudEvents `source` prefix: `svc-mesh:{stage}:{service}:{function}`. */
export const EVENT_SOURCE_PREFIX = 'svc-mesh:';
/** SNS message attribute carrying the lifecycle type (for subscription filter policies). */
export const ATTR_TYPE = 'svcmesh_type';
/** SNS message attribute carrying a `failed` event's error `code` (e.g. `CARD_DECLINED`), for filter policies. */
export const ATTR_CODE = 'svcmesh_code';
/**
 * SNS message attribute carrying the origin of the request chain: the `svcmesh.origin` W3C
 * baggage entry an overlay (`svc-mesh dev --remote`) puts on every hop it sends out, so a
 * per-developer bridge can subscribe with a filter policy on it (docs/hybrid.md). Optional
 * and additive (lifecycle wire format 1.1): events without it stay readable.
 */
export const ATTR_ORIGIN = 'svcmesh_origin';
/** The baggage key that names the origin of a request chain. */
export const BAGGAGE_ORIGIN_KEY = 'svcmesh.origin';
/** Longest origin id carried as a message attribute (`[A-Za-z0-9._-]`). */
export const MAX_ORIGIN_ATTRIBUTE = 64;
/** Longest error code carried as a message attribute. */
export const MAX_CODE_ATTRIBUTE = 256;
/** Longest error message kept in an event. */
export const MAX_ERROR_MESSAGE = 4_096;
/** `failed` is published this long before the Lambda deadline when the function is still running. */
export const DEFAULT_TIMEOUT_EVENT_MARGIN_MS = 500;
