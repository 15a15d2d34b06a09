/**
 * Lambda's Invoke API (restJson1): `POST /2015-03-31/functions/{FunctionName}/invocations`
 * with RequestResponse, Event and DryRun, plus GetFunction and ListFunctions for tooling.
 * Function errors are HTTP 200 with `X-Amz-Function-Error: Unhandled`; service errors
 * carry `x-amzn-ErrorType`, as the SDK expects.
 * @internal
 */
import { ASYNC_REQUEST_LIMIT, CLIENT_CONTEXT_LIMIT, SYNC_REQUEST_LIMIT, SYNC_RESPONSE_LIMIT } from '../constants.js';
import type { RequestCtx } from '../context.js';
import { type MeshCore, newTraceHeader } from '../core.js';
import { applyFault, type FaultInjector } from '../faults.js';
import { type Carrier, envelopeCarrier } from '../invocationSpans.js';
import { isValidUtf8, readBody, send, sendJsonError } from '../http.js';
import type { LocalFunction } from '../types.js';
import { parseFunctionName } from './functionName.js';
import { forwardInvoke, policyArn, remoteOf } from '../remote/hooks.js';

const INVOKE_RE = /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/;
const FUNCTION_RE = /^\/2015-03-31\/functions\/([^/]+)\/?$/;
const LIST_RE = /^\/2015-03-31\/functions\/?$/;
const CONFIGURATION_RE = /^\/2015-03-31\/functions\/([^/]+)\/configuration\/?$/;
/** The deprecated InvokeAsync operation (256 KB, answers `{"Status":202}`). */
const INVOKE_ASYNC_RE = /^\/2014-11-13\/functions\/([^/]+)\/invoke-async\/?$/;
const INVOKE_ASYNC_LIMIT = 262_144;
const B64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function functionConfiguration(core: MeshCore, fn: LocalFunction): Record<string, unknown> {
  return {
    FunctionName: fn.name,
    FunctionArn: fn.arn,
    Runtime: `nodejs${process.versions.node.split('.')[0]}.x`,
    Role: `arn:aws:iam::${core.account}:role/${fn.roleName}`,
    Handler: fn.handler.raw,
    Timeout: fn.timeout,
    MemorySize: fn.memorySize,
    Version: '$LATEST',
    State: 'Active',
    PackageType: 'Zip',
    Architectures: [process.arch === 'arm64' ? 'arm64' : 'x86_64'],
    Environment: { Variables: fn.environment },
  };
}

export class LambdaService {
  constructor(
    private readonly core: MeshCore,
    private readonly faults?: FaultInjector,
  ) {}

  static matches(path: string): boolean {
    return path.startsWith('/2015-03-31/functions') || path.startsWith('/2014-11-13/functions');
  }

  private error(ctx: RequestCtx, status: number, type: string, message: string, extra?: Record<string, unknown>): void {
    sendJsonError(ctx.res, ctx.requestId, status, type, message, extra === undefined ? {} : { extra });
  }

  async handle(ctx: RequestCtx): Promise<void> {
    const { req, url } = ctx;
    const path = url.pathname;
    let m = INVOKE_RE.exec(path);
    if (m !== null && req.method === 'POST') return this.invoke(ctx, m[1]!);
    if (req.method === 'GET' && LIST_RE.test(path)) return this.list(ctx);
    m = FUNCTION_RE.exec(path);
    if (m !== null && req.method === 'GET') return this.get(ctx, m[1]!, false);
    m = CONFIGURATION_RE.exec(path);
    if (m !== null && req.method === 'GET') return this.get(ctx, m[1]!, true);
    m = INVOKE_ASYNC_RE.exec(path);
    if (m !== null && req.method === 'POST') return this.invoke(ctx, m[1]!, true);
    req.resume();
    this.error(ctx, 404, 'UnknownOperationException', `Unknown operation ${req.method ?? ''} ${path}`);
  }

  /** Resolves the name and checks IAM; answers the error itself and returns undefined on failure. */
  private resolve(
    ctx: RequestCtx,
    rawEncoded: string,
    action: string,
    allowRemote = false,
  ): { fn: LocalFunction; invokedArn: string } | { remote: { name: string } } | undefined {
    let raw: string;
    try {
      raw = decodeURIComponent(rawEncoded);
    } catch {
      this.error(
        ctx,
        400,
        'ValidationException',
        `FunctionName is not valid percent-encoding: ${rawEncoded.slice(0, 200)}`,
      );
      return undefined;
    }
    const parsed = parseFunctionName(raw, ctx.url.searchParams.get('Qualifier'));
    if ('type' in parsed) {
      this.error(ctx, 400, parsed.type, parsed.message);
      return undefined;
    }
    const core = this.core;
    const region = parsed.region ?? core.region;
    const account = parsed.account ?? core.account;
    const partition = parsed.partition ?? 'aws';
    const baseArn = `arn:${partition}:lambda:${region}:${account}:function:${parsed.name}`;
    const invokedArn = parsed.qualifier === undefined ? baseArn : `${baseArn}:${parsed.qualifier}`;
    // Hybrid mode: a remote function's ARN is checked with the local account (policyArn).
    const denial = core.authorize(ctx.principal, action, policyArn(core, invokedArn));
    if (denial !== undefined) {
      this.error(ctx, 403, 'AccessDeniedException', denial.message);
      return undefined;
    }
    if (region !== core.region) {
      this.error(
        ctx,
        404,
        'ResourceNotFoundException',
        `Functions from '${region}' are not reachable in this region ('${core.region}')`,
      );
      return undefined;
    }
    // An ARN of another partition or account names another function, never a local one.
    const fn = account === core.account && partition === 'aws' ? core.byName.get(parsed.name) : undefined;
    // Hybrid mode: what the mesh does not run goes to the deployed stage (remote/hooks.ts).
    if (fn === undefined && allowRemote && remoteOf(core) !== undefined) return { remote: { name: raw } };
    if (fn === undefined || (parsed.qualifier !== undefined && parsed.qualifier !== '$LATEST')) {
      const hint =
        fn === undefined ? this.suggest(parsed.name) : ' (the local mesh runs $LATEST only; no versions or aliases)';
      this.error(ctx, 404, 'ResourceNotFoundException', `Function not found: ${invokedArn}${hint}`);
      return undefined;
    }
    return { fn, invokedArn };
  }

  private suggest(name: string): string {
    const names = [...this.core.byName.keys()];
    const close = names.filter((n) => n.toLowerCase() === name.toLowerCase() || n.endsWith(`-${name}`));
    return close.length > 0 ? ` (did you mean ${close.slice(0, 3).join(', ')}?)` : '';
  }

  private async invoke(ctx: RequestCtx, rawName: string, legacyAsync = false): Promise<void> {
    const { req, res, requestId } = ctx;
    const typeHeader = req.headers['x-amz-invocation-type'];
    const type = legacyAsync ? 'Event' : typeof typeHeader === 'string' ? typeHeader : 'RequestResponse';
    if (type !== 'RequestResponse' && type !== 'Event' && type !== 'DryRun') {
      req.resume();
      return this.error(
        ctx,
        400,
        'ValidationException',
        `1 validation error detected: Value '${type.slice(0, 100)}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]`,
      );
    }
    const logType = req.headers['x-amz-log-type'];
    if (logType !== undefined && logType !== 'None' && logType !== 'Tail') {
      req.resume();
      return this.error(
        ctx,
        400,
        'ValidationException',
        `1 validation error detected: Value '${String(logType).slice(0, 100)}' at 'logType' failed to satisfy constraint: Member must satisfy enum value set: [Tail, None]`,
      );
    }
    const body = await readBody(req, SYNC_REQUEST_LIMIT);
    if (body.aborted && !body.tooLarge) return;
    const limit = legacyAsync ? INVOKE_ASYNC_LIMIT : type === 'Event' ? ASYNC_REQUEST_LIMIT : SYNC_REQUEST_LIMIT;
    if (body.tooLarge || body.size > limit) {
      this.error(
        ctx,
        413,
        'RequestEntityTooLargeException',
        `Request must be smaller than ${limit} bytes for the InvokeFunction operation`,
      );
      if (body.aborted) res.once('finish', () => req.socket?.destroy());
      return;
    }
    const target = this.resolve(ctx, rawName, 'lambda:InvokeFunction', true);
    if (target === undefined) return;
    if ('remote' in target) {
      if (this.core.stopping)
        return this.error(
          ctx,
          503,
          'ServiceException',
          'The local mesh is shutting down; it accepts no new invocations.',
        );
      const cc = req.headers['x-amz-client-context'];
      const th = req.headers['x-amzn-trace-id'];
      return forwardInvoke(this.core, ctx, {
        functionName: target.remote.name,
        qualifier: ctx.url.searchParams.get('Qualifier') ?? undefined,
        type,
        logType: typeof logType === 'string' ? logType : undefined,
        clientContext: typeof cc === 'string' && cc.length > 0 ? cc : undefined,
        traceHeader: typeof th === 'string' && th.length > 0 ? th : undefined,
        payload: body.body.toString('utf8'),
      });
    }
    const { fn, invokedArn } = target;

    // ClientContext: base64 JSON object, at most 3,583 bytes.
    let clientContext: string | undefined;
    let carrier: Carrier | undefined;
    const cc = req.headers['x-amz-client-context'];
    if (typeof cc === 'string' && cc.length > 0) {
      if (cc.length > CLIENT_CONTEXT_LIMIT) {
        return this.error(
          ctx,
          400,
          'InvalidRequestContentException',
          `Client context must be at most ${CLIENT_CONTEXT_LIMIT} bytes (base64).`,
        );
      }
      let ok = false;
      if (B64_RE.test(cc)) {
        const bytes = Buffer.from(cc, 'base64');
        if (isValidUtf8(bytes)) {
          try {
            const v: unknown = JSON.parse(bytes.toString('utf8'));
            if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
              ok = true;
              clientContext = JSON.stringify(v);
              carrier = customCarrier(v);
            }
          } catch {
            ok = false;
          }
        }
      }
      if (!ok)
        return this.error(
          ctx,
          400,
          'InvalidRequestContentException',
          'Client context must be a valid Base64-encoded JSON object.',
        );
    }

    // The payload must be JSON (the Node runtime parses it).
    let payload = '';
    if (body.body.length > 0) {
      if (!isValidUtf8(body.body)) {
        return this.error(
          ctx,
          400,
          'InvalidRequestContentException',
          'Could not parse request body into json: the body is not valid UTF-8',
        );
      }
      payload = body.body.toString('utf8');
      try {
        const event: unknown = JSON.parse(payload);
        if (type === 'Event') carrier = envelopeCarrier(event);
      } catch (err) {
        return this.error(
          ctx,
          400,
          'InvalidRequestContentException',
          `Could not parse request body into json: ${(err as Error).message}`,
        );
      }
    }

    const pool = this.core.pools.get(fn.name);
    if (pool === undefined) return this.error(ctx, 500, 'ServiceException', `No worker pool for ${fn.name}`);
    const traceHeader = req.headers['x-amzn-trace-id'];
    // Without one, the core starts the trace (and makes Lambda's header for the worker).
    const traceId = typeof traceHeader === 'string' && traceHeader.length > 0 ? traceHeader : undefined;
    // svc-mesh callers put their trace context in ClientContext `custom` (sync) or the envelope (Event).
    const hop = carrier === undefined ? 'direct' : type === 'Event' ? 'async' : 'sync';

    if (type === 'DryRun') {
      send(res, 204, { 'x-amzn-RequestId': requestId }, undefined);
      return;
    }
    if (this.core.stopping) {
      return this.error(
        ctx,
        503,
        'ServiceException',
        'The local mesh is shutting down; it accepts no new invocations.',
      );
    }
    // Fault injection (src/local/faults.ts): answered here instead of running the function.
    const fault = this.faults?.decide(
      ctx.principal.kind === 'function' ? ctx.principal.target : undefined,
      fn.target,
      type,
    );
    if (fault !== undefined) {
      const caller = ctx.principal.kind === 'function' ? ctx.principal.target : undefined;
      if (
        await applyFault(this.faults!, fault, { res, requestId, type, fn, caller, clientContext, traceHeader: traceId })
      )
        return;
    }
    if (type === 'Event') {
      if (fn.reservedConcurrency === 0) {
        return this.error(ctx, 429, 'TooManyRequestsException', 'Rate Exceeded.', {
          Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
        });
      }
      this.core.enqueueAsync(pool, payload, {
        requestId,
        ...(traceId === undefined ? {} : { traceId }),
        ...(carrier === undefined ? {} : { carrier }),
        hop,
        source: 'lambda',
      });
      if (legacyAsync) {
        send(res, 202, { 'Content-Type': 'application/json', 'x-amzn-RequestId': requestId }, '{"Status":202}');
        return;
      }
      send(
        res,
        202,
        { 'Content-Type': 'application/json', 'x-amzn-RequestId': requestId, 'X-Amz-Executed-Version': '$LATEST' },
        undefined,
      );
      return;
    }
    if (!pool.hasCapacity()) {
      return this.error(ctx, 429, 'TooManyRequestsException', 'Rate Exceeded.', {
        Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
      });
    }
    const out = await this.core.runSync(pool, {
      id: requestId,
      payload,
      invokedFunctionArn: invokedArn,
      ...(clientContext === undefined ? {} : { clientContext }),
      ...(traceId === undefined ? {} : { traceId }),
      ...(carrier === undefined ? {} : { carrier }),
      hop,
      tail: logType === 'Tail',
    });
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'x-amzn-RequestId': requestId,
      'X-Amz-Executed-Version': '$LATEST',
    };
    if (out.log !== undefined) headers['X-Amz-Log-Result'] = Buffer.from(out.log).toString('base64');
    let error = out.error;
    let result = out.result;
    if (error === undefined && result !== undefined && Buffer.byteLength(result) > SYNC_RESPONSE_LIMIT) {
      error = {
        errorType: 'Function.ResponseSizeTooLarge',
        errorMessage: `Response payload size exceeded maximum allowed payload size (${SYNC_RESPONSE_LIMIT} bytes).`,
      };
      result = undefined;
    }
    if (error !== undefined) {
      headers['X-Amz-Function-Error'] = 'Unhandled';
      send(res, 200, headers, JSON.stringify(error));
      return;
    }
    send(res, 200, headers, result ?? 'null');
  }

  private async get(ctx: RequestCtx, rawName: string, configurationOnly: boolean): Promise<void> {
    ctx.req.resume();
    const t = this.resolve(ctx, rawName, configurationOnly ? 'lambda:GetFunctionConfiguration' : 'lambda:GetFunction');
    if (t === undefined || 'remote' in t) return;
    const config = functionConfiguration(this.core, t.fn);
    const body = JSON.stringify(
      configurationOnly
        ? config
        : {
            Configuration: config,
            Code: { RepositoryType: 'S3', Location: `file://${t.fn.dir}` },
            Tags: { 'svc-mesh:target': t.fn.target, 'svc-mesh:stage': t.fn.stage },
          },
    );
    send(ctx.res, 200, { 'Content-Type': 'application/json', 'x-amzn-RequestId': ctx.requestId }, body);
  }

  private async list(ctx: RequestCtx): Promise<void> {
    ctx.req.resume();
    const denial = this.core.authorize(ctx.principal, 'lambda:ListFunctions', '*');
    if (denial !== undefined) return this.error(ctx, 403, 'AccessDeniedException', denial.message);
    const all = [...this.core.byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
    const marker = ctx.url.searchParams.get('Marker');
    const max = Math.min(50, Math.max(1, Number(ctx.url.searchParams.get('MaxItems') ?? 50) || 50));
    const start = marker === null ? 0 : Math.max(0, Number(marker) || 0);
    const page = all.slice(start, start + max);
    const body: Record<string, unknown> = { Functions: page.map((f) => functionConfiguration(this.core, f)) };
    if (start + max < all.length) body['NextMarker'] = String(start + max);
    send(ctx.res, 200, { 'Content-Type': 'application/json', 'x-amzn-RequestId': ctx.requestId }, JSON.stringify(body));
  }
}

/** The trace context svc-mesh callers put in ClientContext `custom`. */
function customCarrier(clientContext: object): Carrier | undefined {
  const custom = (clientContext as { custom?: unknown }).custom;
  if (typeof custom !== 'object' || custom === null) return undefined;
  return typeof (custom as Carrier).traceparent === 'string' ? (custom as Carrier) : undefined;
}
