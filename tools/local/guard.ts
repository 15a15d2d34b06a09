/**
 * The front door of the local mesh, checked before any protocol runs (docs/security.md):
 *
 * 1. **Host allow-list** (DNS rebinding): only `127.0.0.1`, `localhost` and `[::1]` with the
 *    mesh's port are answered. A page on a rebinding domain sends its own name as `Host`.
 * 2. **Browser requests from other sites** (CSRF): a request whose `Origin` is not the mesh's
 *    own, or whose `Sec-Fetch-Site` is not `same-origin`/`none`, is refused before it has any
 *    effect. A top-level GET navigation (a link to the viewer) is let through: GETs have no effect.
 * 3. **Content types** a browser can send without a CORS preflight (`text/plain`, forms,
 *    multipart) are refused where the real protocol does not use them (Lambda Invoke, SSM, OTLP).
 * 4. **Authentication** of AWS API calls, as AWS does: no SigV4 credential is
 *    `MissingAuthenticationToken`; a key that is neither a function's nor the developer key is
 *    `UnrecognizedClientException` / `InvalidClientTokenId`.
 *
 * Tools outside a browser (the AWS SDKs, boto3, the AWS CLI, curl) send no `Origin` and no
 * `Sec-Fetch-*` headers, so 2 and 3 never touch them.
 * @internal
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEVELOPER_ACCESS_KEY_ID } from './constants.js';
import { sendJsonError, sendQueryError } from './http.js';

/** The three names the mesh answers to (it listens on 127.0.0.1; `localhost` and `[::1]` are what browsers and tools write). */
const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'] as const;

const hostsByPort = new Map<number, { hosts: Set<string>; origins: Set<string> }>();
function allowed(port: number): { hosts: Set<string>; origins: Set<string> } {
  let a = hostsByPort.get(port);
  if (a === undefined) {
    const hosts = new Set<string>(LOOPBACK_NAMES.map((h) => `${h}:${port}`));
    // A browser leaves out the default port.
    if (port === 80) for (const h of LOOPBACK_NAMES) hosts.add(h);
    a = { hosts, origins: new Set([...hosts].map((h) => `http://${h}`)) };
    if (hostsByPort.size > 64) hostsByPort.clear();
    hostsByPort.set(port, a);
  }
  return a;
}

/** `Host` values the mesh answers, lowercase. */
export function allowedHosts(port: number): ReadonlySet<string> {
  return allowed(port).hosts;
}

/** `Origin` values of the mesh's own pages (the viewer). */
export function allowedOrigins(port: number): ReadonlySet<string> {
  return allowed(port).origins;
}

/** The three content types a cross-origin page can send with no CORS preflight. */
export function isCorsSafelistedContentType(contentType: string | undefined): boolean {
  const t = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return t === 'text/plain' || t === 'application/x-www-form-urlencoded' || t === 'multipart/form-data';
}

/** Which AWS error shape a refusal takes, from the request's shape. */
export type Protocol = 'restJson' | 'awsJson' | 'awsQuery' | 'plain';

export function protocolOf(req: IncomingMessage, path: string): Protocol {
  if (path.startsWith('/2015-03-31/') || path.startsWith('/2014-11-13/')) return 'restJson';
  if (typeof req.headers['x-amz-target'] === 'string') return 'awsJson';
  if (req.method === 'POST' && (path === '/' || path === '')) return 'awsQuery';
  return 'plain';
}

export interface Refusal {
  status: number;
  code: string;
  message: string;
}

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** Refuses a `Host` the mesh does not listen as (DNS rebinding). */
export function checkHost(req: IncomingMessage, port: number): Refusal | undefined {
  const host = one(req.headers.host)?.toLowerCase();
  if (host !== undefined && allowedHosts(port).has(host)) return undefined;
  const shown = host === undefined ? '(none)' : JSON.stringify(host.slice(0, 100));
  return {
    status: 403,
    code: 'AccessDeniedException',
    message:
      `The local mesh answers only requests addressed to 127.0.0.1:${port}, localhost:${port} or [::1]:${port}; ` +
      `this one has Host ${shown}. Requests through any other name (a DNS-rebinding page, a proxy) are refused: ` +
      `use http://127.0.0.1:${port}.`,
  };
}

/**
 * Refuses a browser request made by a page of another origin. Non-browser clients send neither
 * header and pass. A top-level navigation (GET/HEAD, `Sec-Fetch-Mode: navigate`) passes: links
 * to the viewer keep working, and no GET changes anything.
 */
export function checkBrowser(req: IncomingMessage, port: number): Refusal | undefined {
  const origin = one(req.headers.origin);
  const site = one(req.headers['sec-fetch-site'])?.toLowerCase();
  const mode = one(req.headers['sec-fetch-mode'])?.toLowerCase();
  const dest = one(req.headers['sec-fetch-dest'])?.toLowerCase();
  const readOnly = req.method === 'GET' || req.method === 'HEAD';
  const navigation = readOnly && mode === 'navigate' && (dest === undefined || dest === 'document');
  let why: string | undefined;
  if (origin !== undefined && !allowedOrigins(port).has(origin.toLowerCase()) && !navigation)
    why = `its Origin is ${JSON.stringify(origin.slice(0, 100))}`;
  else if (site !== undefined && site !== 'same-origin' && site !== 'none' && !navigation)
    why = `it comes from a ${site} page (Sec-Fetch-Site)`;
  if (why === undefined) return undefined;
  return {
    status: 403,
    code: 'AccessDeniedException',
    message:
      `The local mesh refuses requests from other web pages (${why}): a page you visit must not drive it. ` +
      `Call it from the AWS SDK, the AWS CLI, curl or svc-mesh, or open the viewer at http://127.0.0.1:${port}/.`,
  };
}

/**
 * Refuses the content types a cross-origin page can send without a preflight where the real
 * protocol never uses them. SNS and CloudFormation (awsQuery) are form posts by design: for
 * them, the Origin checks and the required signature are the defence.
 */
export function checkContentType(req: IncomingMessage, protocol: Protocol): Refusal | undefined {
  if (req.method !== 'POST') return undefined;
  const ct = one(req.headers['content-type']);
  if (protocol === 'restJson' && isCorsSafelistedContentType(ct)) {
    return {
      status: 415,
      code: 'UnsupportedMediaTypeException',
      message: `The content type of the Invoke request body is not JSON: ${JSON.stringify((ct ?? '').slice(0, 100))} (send application/json or application/octet-stream, as the AWS SDKs do).`,
    };
  }
  if (protocol === 'awsJson') {
    const t = (ct ?? '').split(';')[0]?.trim().toLowerCase();
    if (t !== 'application/x-amz-json-1.1' && t !== 'application/x-amz-json-1.0') {
      return {
        status: 400,
        code: 'UnknownOperationException',
        message: `A JSON-protocol request (X-Amz-Target) needs Content-Type application/x-amz-json-1.1, not ${JSON.stringify((ct ?? '(none)').slice(0, 100))}.`,
      };
    }
  }
  return undefined;
}

/** Why a request was not authenticated: no credential at all, or a key the mesh does not know. */
export type AuthFailure = 'missing' | 'unknown';

const HINT =
  ` (local mesh: sign with the developer key AWS_ACCESS_KEY_ID=${DEVELOPER_ACCESS_KEY_ID} ` +
  `(any secret), or, inside a function, with the credentials the mesh gave it; see docs/security.md)`;

/** AWS's answer to an unsigned request, or to an unknown access key, in each protocol. */
export function authRefusal(failure: AuthFailure, protocol: Protocol): Refusal {
  if (failure === 'missing') {
    if (protocol === 'awsQuery')
      return {
        status: 403,
        code: 'MissingAuthenticationToken',
        message: `Request is missing Authentication Token${HINT}`,
      };
    return {
      status: protocol === 'awsJson' ? 400 : 403,
      code: 'MissingAuthenticationTokenException',
      message: `Missing Authentication Token${HINT}`,
    };
  }
  const message = `The security token included in the request is invalid.${HINT}`;
  if (protocol === 'awsQuery') return { status: 403, code: 'InvalidClientTokenId', message };
  return { status: protocol === 'awsJson' ? 400 : 403, code: 'UnrecognizedClientException', message };
}

/** Answers a refusal in the error shape of the request's protocol; the body is never read. */
export function sendRefusal(
  req: IncomingMessage,
  res: ServerResponse,
  requestId: string,
  protocol: Protocol,
  r: Refusal,
): void {
  req.resume();
  // Tell the client not to reuse a connection whose body we did not read.
  res.setHeader('Connection', 'close');
  if (protocol === 'awsQuery') {
    sendQueryError(res, requestId, 'http://sns.amazonaws.com/doc/2010-03-31/', r.status, r.code, r.message);
    return;
  }
  sendJsonError(res, requestId, r.status, r.code, r.message, {
    ...(protocol === 'awsJson' ? { contentType: 'application/x-amz-json-1.1' } : {}),
  });
}
