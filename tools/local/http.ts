/**
 * Small HTTP helpers shared by the protocol handlers: bounded body reading, request ids,
 * XML escaping and the two error envelopes (JSON and awsQuery XML).
 * @internal
 */
import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HARD_BODY_LIMIT } from './constants.js';

export interface BodyResult {
  body: Buffer;
  /** Total bytes the client sent (may exceed `limit`; then `body` is empty). */
  size: number;
  /** True when the client sent more than `limit` bytes. */
  tooLarge: boolean;
  /** True when the client went away or sent more than the hard limit: do not answer at length. */
  aborted: boolean;
}

/**
 * Reads a request body, keeping at most `limit` bytes. Past the limit it keeps draining (up
 * to a hard cap) so the client gets a proper 413 instead of a reset connection, which the
 * SDK would retry as a network error.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > HARD_BODY_LIMIT) {
      req.resume();
      resolve({ body: Buffer.alloc(0), size: declared, tooLarge: true, aborted: true });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (r: BodyResult) => {
      if (done) return;
      done = true;
      resolve(r);
    };
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= limit) chunks.push(c);
      else if (chunks.length > 0) chunks.length = 0;
      if (size > HARD_BODY_LIMIT) {
        req.pause();
        finish({ body: Buffer.alloc(0), size, tooLarge: true, aborted: true });
      }
    });
    req.on('end', () => {
      const tooLarge = size > limit;
      finish({ body: tooLarge ? Buffer.alloc(0) : Buffer.concat(chunks, size), size, tooLarge, aborted: false });
    });
    req.on('error', () => finish({ body: Buffer.alloc(0), size, tooLarge: false, aborted: true }));
    req.on('aborted', () => finish({ body: Buffer.alloc(0), size, tooLarge: false, aborted: true }));
  });
}

export function newRequestId(): string {
  return randomUUID();
}

const XML_ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
export function xmlEscape(s: string): string {
  // Characters XML 1.0 cannot carry at all are replaced, so every response stays well formed.
  return s
    .replace(/[&<>"']/g, (c) => XML_ESC[c] ?? c)
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\uFFFD');
}

export function send(
  res: ServerResponse,
  status: number,
  headers: Record<string, string | number>,
  body: string | Buffer | undefined,
): void {
  if (res.headersSent || res.destroyed) return;
  const buf = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { ...headers, 'Content-Length': buf?.length ?? 0 });
  res.end(buf);
}

/** restJson / awsJson error: `x-amzn-ErrorType` header plus `__type` and both message casings. */
export function sendJsonError(
  res: ServerResponse,
  requestId: string,
  status: number,
  type: string,
  message: string,
  opts: { contentType?: string; extra?: Record<string, unknown>; headers?: Record<string, string> } = {},
): void {
  const body = JSON.stringify({
    __type: type,
    Type: status >= 500 ? 'Service' : 'User',
    message,
    Message: message,
    ...opts.extra,
  });
  send(
    res,
    status,
    {
      'Content-Type': opts.contentType ?? 'application/json',
      'x-amzn-RequestId': requestId,
      'x-amzn-ErrorType': type,
      ...opts.headers,
    },
    body,
  );
}

/** awsQuery (SNS, CloudFormation) error XML. */
export function sendQueryError(
  res: ServerResponse,
  requestId: string,
  xmlns: string,
  status: number,
  code: string,
  message: string,
): void {
  const type = status >= 500 ? 'Receiver' : 'Sender';
  const xml =
    `<ErrorResponse xmlns="${xmlns}"><Error><Type>${type}</Type><Code>${xmlEscape(code)}</Code>` +
    `<Message>${xmlEscape(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  send(res, status, { 'Content-Type': 'text/xml', 'x-amzn-RequestId': requestId }, xml);
}

export function sendQueryResult(
  res: ServerResponse,
  requestId: string,
  xmlns: string,
  action: string,
  inner: string,
): void {
  const xml =
    `<${action}Response xmlns="${xmlns}"><${action}Result>${inner}</${action}Result>` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
  send(res, 200, { 'Content-Type': 'text/xml', 'x-amzn-RequestId': requestId }, xml);
}

/** Parses an `application/x-www-form-urlencoded` body; repeated keys keep the last value. */
export function parseForm(body: Buffer): Map<string, string> | undefined {
  const text = body.toString('utf8');
  if (text.includes('\uFFFD') && !isValidUtf8(body)) return undefined;
  const out = new Map<string, string>();
  try {
    for (const [k, v] of new URLSearchParams(text)) out.set(k, v);
  } catch {
    return undefined;
  }
  return out;
}

/** Strict UTF-8 validation (what a fatal TextDecoder accepts), without building a decoder per call. */
export function isValidUtf8(buf: Buffer): boolean {
  return isUtf8(buf);
}
