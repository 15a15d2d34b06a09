import { ERROR_CODES, type ErrorCode } from './codes.js';

/** Options shared by every svc-mesh error. */
export interface SvcMeshErrorOptions {
  cause?: unknown;
  /** Override the table's default retryability (e.g. a throttle that exhausted its retries). */
  retryable?: boolean;
}

/**
 * The base class of every error svc-mesh throws. `code` is stable; `fault` says whose
 * mistake it is (`caller`: fix your call or config; `callee`: the other side failed);
 * `retryable` says whether trying the same call again can succeed.
 *
 * @example
 * ```ts
 * import { isSvcMeshError } from 'svc-mesh/errors';
 * try { await sdk.invoke('users:get', { id }); }
 * catch (err) { if (isSvcMeshError(err) && err.code === 'TARGET_NOT_FOUND') { ... } }
 * ```
 */
export class SvcMeshError extends Error {
  override readonly name: string = 'SvcMeshError';
  readonly code: ErrorCode;
  readonly fault: 'caller' | 'callee';
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: SvcMeshErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.fault = ERROR_CODES[code].fault;
    this.retryable = options.retryable ?? ERROR_CODES[code].retryable;
  }

  /** A JSON-safe view, used in logs and when an error crosses the wire. */
  toJSON(): { name: string; code: ErrorCode; message: string } {
    return { name: this.name, code: this.code, message: this.message };
  }
}

/** True for any error thrown by svc-mesh (works across duplicated module copies). */
export function isSvcMeshError(err: unknown): err is SvcMeshError {
  return (
    err instanceof SvcMeshError ||
    (typeof err === 'object' &&
      err !== null &&
      typeof (err as { code?: unknown }).code === 'string' &&
      (err as { code: string }).code in ERROR_CODES &&
      typeof (err as { fault?: unknown }).fault === 'string')
  );
}
