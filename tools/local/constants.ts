/**
 * Limits and defaults of the local mesh, each taken from the AWS behaviour it mirrors
 * (see ../../../shared/aws-wire.md and docs/local-mesh.md).
 * @internal
 */
import { LOCAL_DEVELOPER_CREDENTIALS } from 'svc-mesh/internal';

/** The account every local ARN uses. */
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_PARTITION = 'aws';
/** The secret every dummy access key pairs with (never checked against a real service). */
export const LOCAL_SECRET_ACCESS_KEY = 'svc-mesh-local-secret';
/** Prefix of the per-function access keys (random per mesh start, given only to their function). */
export const LOCAL_KEY_PREFIX = 'LOCAL';
/**
 * The developer's own access key id (any secret): the admin of the mesh, for your console,
 * scripts, the AWS CLI and SDKs. Any other key that is not a function's is refused, as AWS
 * refuses an unknown key (docs/security.md).
 */
export const DEVELOPER_ACCESS_KEY_ID = LOCAL_DEVELOPER_CREDENTIALS.accessKeyId;

/** Lambda: synchronous request payload limit (bytes). */
export const SYNC_REQUEST_LIMIT = 6_291_456;
/** Lambda: synchronous response payload limit (bytes). */
export const SYNC_RESPONSE_LIMIT = 6_291_556;
/** Lambda: asynchronous (Event) request payload limit (bytes). */
export const ASYNC_REQUEST_LIMIT = 1_048_576;
/** Lambda: X-Amz-Client-Context limit (bytes, base64). */
export const CLIENT_CONTEXT_LIMIT = 3_583;
/** Anything bigger than this is not read at all: the connection is answered and closed. */
export const HARD_BODY_LIMIT = 16 * 1024 * 1024;
/** SNS: message size limit (body + attributes). */
export const SNS_MESSAGE_LIMIT = 262_144;
/** Lambda: how much of the log a `Tail` request returns. */
export const LOG_TAIL_BYTES = 4096;

/** Lambda's async retry count after the first attempt. */
export const ASYNC_MAX_RETRIES = 2;
/** Local stand-ins for Lambda's 1 and 2 minute async retry delays (configurable). */
export const DEFAULT_ASYNC_RETRY_DELAYS_MS: readonly number[] = [1000, 2000];
