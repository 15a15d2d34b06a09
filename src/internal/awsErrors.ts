/**
 * Classifies AWS SDK errors for svc-mesh's own retry decisions. The classification library is
 * loaded on the first failure only (it is off the warm path).
 * @internal
 */

/**
 * - `throttle`: AWS refused for rate; safe to retry.
 * - `unreached`: the request did not reach the function (connection refused, DNS, a Lambda 5xx
 *   service error); safe to retry.
 * - `ambiguous`: the request may have run (connection reset, socket timeout); retry only when idempotent.
 * - `fatal`: never retry (4xx client errors, access denied, not found).
 */
export type FailureClass = 'throttle' | 'unreached' | 'ambiguous' | 'fatal';

const UNREACHED_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const AMBIGUOUS_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'UND_ERR_SOCKET']);

export interface AwsErrorLike {
  name?: string;
  message?: string;
  code?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number; requestId?: string; attempts?: number };
  cause?: unknown;
  Reason?: string;
  retryAfterSeconds?: string | number;
}

function netCode(err: unknown, depth = 0): string | undefined {
  if (typeof err !== 'object' || err === null || depth > 3) return undefined;
  const e = err as AwsErrorLike;
  if (typeof e.code === 'string' && (UNREACHED_CODES.has(e.code) || AMBIGUOUS_CODES.has(e.code))) return e.code;
  return netCode(e.cause, depth + 1);
}

let lib: typeof import('@smithy/service-error-classification') | undefined;

/** Loads the classifier (once). Call before {@link classifyAwsError} on a failure path. */
export async function loadClassifier(): Promise<void> {
  lib ??= await import('@smithy/service-error-classification');
}

/** Classifies an AWS SDK error. Call {@link loadClassifier} first. */
export function classifyAwsError(err: unknown): FailureClass {
  const e = (typeof err === 'object' && err !== null ? err : {}) as AwsErrorLike;
  const code = netCode(err);
  if (code !== undefined) return UNREACHED_CODES.has(code) ? 'unreached' : 'ambiguous';
  const status = e.$metadata?.httpStatusCode;
  if (lib && typeof e.name === 'string' && lib.isThrottlingError(e as any)) return 'throttle';
  if (status === 429) return 'throttle';
  // A Lambda 5xx is a service error before or instead of running the function (the SDK retries them too).
  if (status !== undefined && status >= 500) return 'unreached';
  if (status === undefined && lib?.isTransientError(e as any)) return 'ambiguous';
  return 'fatal';
}

/** `name` of an AWS error, or `Error`. */
export function awsErrorName(err: unknown): string {
  const n = (err as AwsErrorLike | undefined)?.name;
  return typeof n === 'string' && n.length > 0 ? n : 'Error';
}

export function awsErrorMessage(err: unknown): string {
  const m = (err as AwsErrorLike | undefined)?.message;
  return typeof m === 'string' && m.length > 0 ? m : String(err);
}

export function isAccessDenied(err: unknown): boolean {
  const n = awsErrorName(err);
  return (
    n === 'AccessDeniedException' ||
    n === 'AccessDenied' ||
    n === 'AuthorizationErrorException' ||
    (err as AwsErrorLike | undefined)?.$metadata?.httpStatusCode === 403
  );
}

/** Retry-After in ms when AWS gave one (Lambda TooManyRequestsException). */
export function retryAfterMs(err: unknown): number | undefined {
  const v = (err as AwsErrorLike | undefined)?.retryAfterSeconds;
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n * 1000 : undefined;
}
