/** Lambda's sync (RequestResponse) request limit in bytes. */
export const SYNC_PAYLOAD_LIMIT = 6_291_456;
/** Lambda's async (Event) request limit in bytes (1 MB since 2025). */
export const ASYNC_PAYLOAD_LIMIT = 1_048_576;
/** Lambda's limit for the base64 X-Amz-Client-Context header. */
export const CLIENT_CONTEXT_LIMIT = 3_583;
/** Longest accepted idempotency key (keeps ClientContext far below its limit). */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 256;
/** The marker that starts svc-mesh's error line in a remote stack trace (see docs/wire-format.md). */
export const ERROR_MARKER = 'svc-mesh:error:v1 ';
/** Largest JSON `data` carried in the error marker. */
export const ERROR_DATA_LIMIT = 1_024;
/** Wire version of ClientContext `custom.svcmesh` and the envelope's `svcmesh`. */
export const WIRE_VERSION = 1;
/** Node's timers overflow (and fire at once) past 2^31 − 1 ms. */
export const MAX_TIMER_MS = 2_147_483_647;

/** A per-call retry budget set by a resiliency policy (src/resilience); not a public option. @internal */
export const RETRIES_OPTION = Symbol.for('svc-mesh.retries');
