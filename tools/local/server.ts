/**
 * One node:http server, one port, every protocol: dispatch by path and headers, the way
 * the AWS edge does, so one `AWS_ENDPOINT_URL` serves every SDK client.
 * @internal
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CloudFormationService } from './cloudformation/CloudFormationService.js';
import { CFN_XMLNS } from './cloudformation/CloudFormationService.js';
import type { RequestCtx } from './context.js';
import type { MeshCore } from './core.js';
import type { FaultInjector } from './faults.js';
import { newRequestId, parseForm, readBody, send, sendJsonError, sendQueryError } from './http.js';
import { authRefusal, checkBrowser, checkContentType, checkHost, protocolOf, sendRefusal } from './guard.js';
import { type Principal, parseCredentialScope } from './iam/index.js';
import { LambdaService } from './lambda/LambdaService.js';
import type { SnsService } from './sns/SnsService.js';
import { SNS_XMLNS } from './sns/SnsService.js';
import type { SsmService } from './ssm/SsmService.js';

/** What the dispatcher needs from engineer D's trace service (tools/local/traces). */
export interface TraceServiceLike {
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
  close(): Promise<void>;
}

export interface Services {
  core: MeshCore;
  lambda: LambdaService;
  sns: SnsService;
  ssm: SsmService;
  cfn: CloudFormationService;
  traces: TraceServiceLike | undefined;
  admin: (path: string) => unknown;
  /** True while stopping: only calls made by running functions are still served. */
  draining: () => boolean;
  /** The port the mesh listens on (the Host and Origin checks name it). */
  port: () => number;
  /** Fault injection (`GET`/`POST /_mesh/faults`), the developer's only. */
  faults?: FaultInjector;
}

/** Form posts can carry a 256 KiB message three times over once percent-encoded. */
const FORM_LIMIT = 2 * 1024 * 1024;

const EMULATED = new Set(['lambda', 'sns', 'ssm', 'cloudformation']);
/** A hint when a client of a service the mesh does not emulate was pointed at it by AWS_ENDPOINT_URL. */
function notEmulated(service: string | undefined): string {
  if (service === undefined || EMULATED.has(service)) return '';
  const id = service.toUpperCase().replace(/[^A-Z0-9]/g, '_');
  return (
    ` The request is signed for '${service}', which the local mesh does not emulate (it serves Lambda, SNS, SSM and ` +
    `CloudFormation). Point that client elsewhere with AWS_ENDPOINT_URL_${id} or its own \`endpoint\`.`
  );
}

function isTracePath(method: string | undefined, path: string): boolean {
  if (method === 'POST') return path === '/v1/traces';
  // the viewer's "Clear" button, and CORS preflights of browser OTLP exporters
  if (method === 'DELETE') return path === '/api/traces';
  if (method === 'OPTIONS') return path === '/v1/traces';
  return method === 'GET' || method === 'HEAD';
}

export function createDispatcher(s: Services): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const requestId = newRequestId();
    void dispatch(s, req, res, requestId).catch((err: unknown) => {
      // The mesh never goes down for one bad request: answer 500 and carry on.
      if (!res.headersSent) {
        sendJsonError(
          res,
          requestId,
          500,
          'ServiceException',
          `Internal error in the local mesh: ${(err as Error)?.message ?? String(err)}`,
        );
      } else res.destroy();
    });
  };
}

async function dispatch(s: Services, req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://127.0.0.1');
  } catch {
    req.resume();
    return sendJsonError(res, requestId, 400, 'ValidationException', 'The request URL is not valid.');
  }
  const path = url.pathname;
  // The front door (guard.ts): Host allow-list, other sites' pages, preflight-free content types, then who signed.
  const protocol = protocolOf(req, path);
  const refused = checkHost(req, s.port()) ?? checkBrowser(req, s.port()) ?? checkContentType(req, protocol);
  if (refused !== undefined) return sendRefusal(req, res, requestId, protocol, refused);
  const scope = parseCredentialScope(req, url);
  let principal: Principal = { kind: 'admin' };
  if (protocol !== 'plain') {
    const who = s.core.authenticate(scope);
    if (typeof who === 'string') return sendRefusal(req, res, requestId, protocol, authRefusal(who, protocol));
    principal = who;
  }
  const ctx: RequestCtx = { req, res, url, requestId, scope, principal };

  if (s.draining() && principal.kind === 'admin' && !path.startsWith('/_mesh')) {
    req.resume();
    return sendJsonError(
      res,
      requestId,
      503,
      'ServiceUnavailableException',
      'The local mesh is shutting down; it is finishing in-flight invocations only.',
    );
  }

  if (path === '/_mesh/faults' && s.faults !== undefined) {
    if (principal.kind !== 'admin') {
      req.resume();
      return sendJsonError(
        res,
        requestId,
        403,
        'AccessDeniedException',
        "A function cannot read or change the mesh's faults.",
      );
    }
    return s.faults.handle(req, res, requestId);
  }

  if (path.startsWith('/_mesh/') && (req.method === 'GET' || req.method === 'HEAD')) {
    req.resume();
    const body = s.admin(path);
    if (body === undefined)
      return sendJsonError(res, requestId, 404, 'ResourceNotFoundException', `No such mesh resource: ${path}`);
    return send(
      res,
      200,
      { 'Content-Type': 'application/json', 'x-amzn-RequestId': requestId },
      JSON.stringify(body, null, 2),
    );
  }

  if (LambdaService.matches(path)) return s.lambda.handle(ctx);

  const target = req.headers['x-amz-target'];
  if (req.method === 'POST' && typeof target === 'string') {
    if (target.startsWith('AmazonSSM.')) return s.ssm.handle(ctx, target.slice('AmazonSSM.'.length));
    req.resume();
    return sendJsonError(
      res,
      requestId,
      400,
      'UnknownOperationException',
      `The local mesh does not serve ${target.slice(0, 100)}.${notEmulated(scope?.service)}`,
      {
        contentType: 'application/x-amz-json-1.1',
      },
    );
  }

  if (isTracePath(req.method, path)) {
    if (s.traces !== undefined && (await s.traces.handle(req, res, url))) return;
    if (req.method !== 'POST' || path === '/v1/traces') {
      req.resume();
      return sendJsonError(
        res,
        requestId,
        404,
        'ResourceNotFoundException',
        s.traces === undefined
          ? `No trace service in this mesh (tracing is off or not installed): ${path}`
          : `Nothing at ${req.method} ${path}`,
      );
    }
  }

  const ct = String(req.headers['content-type'] ?? '');
  if (
    req.method === 'POST' &&
    (path === '/' || path === '') &&
    (ct.startsWith('application/x-www-form-urlencoded') || ct === '')
  ) {
    const body = await readBody(req, FORM_LIMIT);
    if (body.aborted && !body.tooLarge) return;
    if (body.tooLarge) {
      sendQueryError(
        res,
        requestId,
        SNS_XMLNS,
        413,
        'RequestEntityTooLarge',
        `Request must be smaller than ${FORM_LIMIT} bytes.`,
      );
      if (body.aborted) res.once('finish', () => req.socket?.destroy());
      return;
    }
    const form = parseForm(body.body);
    if (form === undefined)
      return sendQueryError(
        res,
        requestId,
        SNS_XMLNS,
        400,
        'MalformedQueryString',
        'The request body is not valid UTF-8 form data.',
      );
    const version = form.get('Version');
    const action = form.get('Action');
    if (action === undefined || action === '') {
      return sendQueryError(
        res,
        requestId,
        version === '2010-05-15' ? CFN_XMLNS : SNS_XMLNS,
        400,
        'MissingAction',
        'The request must contain the parameter Action.',
      );
    }
    if (version === '2010-03-31' || (version === undefined && scope?.service === 'sns')) return s.sns.handle(ctx, form);
    if (version === '2010-05-15' || (version === undefined && scope?.service === 'cloudformation'))
      return s.cfn.handle(ctx, form);
    return sendQueryError(
      res,
      requestId,
      SNS_XMLNS,
      400,
      version === undefined ? 'MissingParameter' : 'InvalidAction',
      version === undefined
        ? 'The request must contain the parameter Version.'
        : `Version ${version.slice(0, 50)} is not served here: the local mesh speaks SNS (2010-03-31) and CloudFormation (2010-05-15).`,
    );
  }

  req.resume();
  sendJsonError(
    res,
    requestId,
    404,
    'UnknownOperationException',
    `The local mesh serves no ${req.method ?? ''} ${path.slice(0, 200)}.${notEmulated(scope?.service)}`,
  );
}
