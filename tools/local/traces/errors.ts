/**
 * Errors of the trace service. They never leave the mesh as exceptions: the HTTP layer turns
 * each into a status code and a JSON body `{ "error": { "code", "message" } }`.
 */

/** Stable codes of the trace service (match on `code`, never on the message). */
export const TRACE_ERROR_CODES = {
  /** The OTLP body could not be decoded (bad JSON, bad protobuf, wrong shape). HTTP 400. */
  OTLP_INVALID_BODY: 400,
  /** `Content-Type` is neither `application/json` nor `application/x-protobuf`. HTTP 415. */
  OTLP_UNSUPPORTED_MEDIA_TYPE: 415,
  /** The body is larger than the collector accepts. HTTP 413. */
  OTLP_BODY_TOO_LARGE: 413,
  /** A query parameter of the JSON API is malformed. HTTP 400. */
  INVALID_QUERY: 400,
  /** No trace with that id is stored (never received, or evicted). HTTP 404. */
  TRACE_NOT_FOUND: 404,
  /** The method is not allowed on this path. HTTP 405. */
  METHOD_NOT_ALLOWED: 405,
  /** Too many OTLP requests are being decoded at once; retry (exporters do). HTTP 503. */
  OTLP_BUSY: 503,
} as const;

export type TraceErrorCode = keyof typeof TRACE_ERROR_CODES;

/** An error of the collector or the JSON API, carrying its HTTP status. */
export class TraceServiceError extends Error {
  override readonly name = 'TraceServiceError';
  readonly code: TraceErrorCode;
  readonly status: number;

  constructor(code: TraceErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = TRACE_ERROR_CODES[code];
  }

  toJSON(): { code: TraceErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

export function isTraceServiceError(err: unknown): err is TraceServiceError {
  return err instanceof TraceServiceError || (err as { name?: unknown } | null)?.name === 'TraceServiceError';
}
