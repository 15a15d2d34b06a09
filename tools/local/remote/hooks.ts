/**
 * The two places the hybrid mode joins the mesh's dispatch (kept here so the protocol
 * handlers change by a few lines):
 * - SSM GetParameter/GetParameters: discovery records the mesh does not hold are read from
 *   the remote stage chain (read-only, after the caller's IAM check), see {@link remoteParameters}.
 * - Lambda Invoke: a function the mesh does not run is forwarded to the remote stage after the
 *   caller's generated policy allowed it, see {@link forwardInvoke}.
 * @internal
 */
import { randomBytes } from 'node:crypto';
import type { RequestCtx } from '../context.js';
import type { MeshCore } from '../core.js';
import { send, sendJsonError } from '../http.js';
import { isHybridError } from './errors.js';
import type { RemoteStage } from './RemoteStage.js';

/** One remote hop, as the mesh reports it (listeners, the trace viewer). */
export interface RemoteHop {
  requestId: string;
  functionName: string;
  type: string;
  /** Who called: the local function's `service:function`, or `admin`. */
  caller: string;
  where: string;
  region: string;
  stages: readonly string[];
  status: number;
  /** `Unhandled` (function error), the service error type, `Unreachable`, or undefined (success). */
  outcome: string | undefined;
  remoteRequestId: string | undefined;
  startMs: number;
  durationMs: number;
  traceparent: string | undefined;
}

/** Set on the mesh core when the hybrid mode is on. */
export interface RemoteHook {
  stage: RemoteStage;
  hopListeners: Set<(h: RemoteHop) => void>;
  /** Targets whose contract hash was already warned about. */
  warnedContracts: Set<string>;
  /** `service:function` → the contract hash the local code was generated for (from the local records). */
  expectedContracts: Map<string, string>;
  warn: (line: string) => void;
}

/**
 * Warns once per target when a deployed record's contract hash differs from the one the
 * local caller's client was generated for (both known only when the records carry hashes).
 */
export function checkContract(hook: RemoteHook, name: string, value: string): void {
  const rest = name.slice(hook.stage.ssmPrefix.length + 1).split('/');
  if (rest.length !== 3) return;
  const [stage, service, fn] = rest as [string, string, string];
  const target = `${service}:${fn}`;
  if (hook.warnedContracts.has(target)) return;
  const expected = hook.expectedContracts.get(target);
  if (expected === undefined) return;
  let deployed: unknown;
  try {
    deployed = (JSON.parse(value) as { contract?: unknown }).contract;
  } catch {
    return;
  }
  if (typeof deployed !== 'string' || deployed === expected) return;
  hook.warnedContracts.add(target);
  hook.warn(
    `svc-mesh: warning: ${target} deployed at ${stage} has contract ${deployed}, but your local code was generated for ${expected}. ` +
      'Calls may fail on changed input/output: run `npx svc-codegen check` and regenerate, or deploy the change first.',
  );
}

export const remoteOf = (core: MeshCore): RemoteHook | undefined => (core as { remote?: RemoteHook }).remote;

/**
 * The ARN the caller's generated policy is checked against: the remote function's ARN with
 * the local account, because the policies were generated for the local account exactly as the
 * deployed ones were for the real one (same names, same stages).
 */
export function policyArn(core: MeshCore, invokedArn: string): string {
  if (remoteOf(core) === undefined) return invokedArn;
  return invokedArn.replace(/^(arn:[^:]+:lambda:[^:]*:)\d{12}(:)/, `$1${core.account}$2`);
}

/**
 * SSM reads: the discovery records among `names` that the mesh does not hold and the caller
 * may read, looked up remotely. Returns undefined when there is nothing to look up.
 * Throws {@link RemoteUnreachableError} / the remote's own error.
 */
export async function remoteParameters(
  core: MeshCore,
  ctx: RequestCtx,
  names: readonly string[],
  hasLocal: (name: string) => boolean,
  arnOf: (name: string) => string,
  action: string,
): Promise<Map<string, string> | undefined> {
  const hook = remoteOf(core);
  if (hook === undefined) return undefined;
  const todo = names.filter(
    (n) =>
      typeof n === 'string' &&
      hook.stage.isDiscoveryName(n) &&
      !hasLocal(n) &&
      core.authorize(ctx.principal, action, arnOf(n)) === undefined,
  );
  if (todo.length === 0) return undefined;
  const found = await hook.stage.getParameters(todo);
  for (const [n, v] of found) checkContract(hook, n, v);
  return found;
}

/** Answers an SSM request whose remote lookup failed (the runtime retries, then reports a DiscoveryError). */
export function sendSsmRemoteError(ctx: RequestCtx, err: unknown): void {
  const msg = isHybridError(err)
    ? err.message
    : `svc-mesh dev --remote: the remote SSM answered ${(err as Error).message}`;
  sendJsonError(ctx.res, ctx.requestId, 500, 'InternalServerError', msg, {
    contentType: 'application/x-amz-json-1.1',
  });
}

/** A remote record's Lambda, by name or ARN: the SSM view the mesh returns for it. */
export function remoteParameterView(name: string, value: string, arn: string): Record<string, unknown> {
  return {
    Name: name,
    Type: 'String',
    Value: value,
    Version: 1,
    LastModifiedDate: 0,
    ARN: arn,
    DataType: 'text',
  };
}

/**
 * Forwards an Invoke the local mesh cannot serve (no such local function) to the remote
 * stage: the caller's IAM check has passed. The remote's answer goes back byte for byte
 * (status, payload, `X-Amz-Function-Error`, `x-amzn-ErrorType`, `X-Amz-Log-Result`).
 */
export async function forwardInvoke(
  core: MeshCore,
  ctx: RequestCtx,
  req: {
    functionName: string;
    qualifier: string | undefined;
    type: string;
    logType: string | undefined;
    clientContext: string | undefined;
    traceHeader: string | undefined;
    payload: string;
  },
): Promise<void> {
  const hook = remoteOf(core)!;
  const startMs = Date.now();
  const t0 = performance.now();
  const caller = ctx.principal.kind === 'function' ? ctx.principal.target : 'admin';
  let traceparent: string | undefined;
  if (req.clientContext !== undefined) {
    try {
      const cc = JSON.parse(Buffer.from(req.clientContext, 'base64').toString('utf8')) as {
        custom?: { traceparent?: unknown };
      };
      if (typeof cc.custom?.traceparent === 'string') traceparent = cc.custom.traceparent;
    } catch {
      // not ours
    }
  }
  const hop = (status: number, outcome: string | undefined, remoteRequestId: string | undefined): void => {
    const h: RemoteHop = {
      requestId: ctx.requestId,
      functionName: req.functionName,
      type: req.type,
      caller,
      where: hook.stage.where,
      region: hook.stage.region,
      stages: hook.stage.stages,
      status,
      outcome,
      remoteRequestId,
      startMs,
      durationMs: performance.now() - t0,
      traceparent,
    };
    for (const l of hook.hopListeners) {
      try {
        l(h);
      } catch {
        // a listener's bug never breaks a call
      }
    }
  };
  let res: Awaited<ReturnType<RemoteStage['invoke']>>;
  try {
    res = await hook.stage.invoke({ ...req, timeoutMs: 15 * 60_000 + 5_000 });
  } catch (err) {
    hop(503, 'Unreachable', undefined);
    const msg = isHybridError(err) ? err.message : (err as Error).message;
    // The caller sees a Lambda service error; its runtime reports it typed (not a function error).
    sendJsonError(ctx.res, ctx.requestId, 503, 'ServiceException', msg);
    return;
  }
  const h = res.headers;
  const pick = (k: string) => {
    const v = h[k];
    return typeof v === 'string' ? v : undefined;
  };
  const headers: Record<string, string> = { 'x-amzn-RequestId': pick('x-amzn-requestid') ?? ctx.requestId };
  for (const [k, out] of [
    ['content-type', 'Content-Type'],
    ['x-amz-function-error', 'X-Amz-Function-Error'],
    ['x-amz-log-result', 'X-Amz-Log-Result'],
    ['x-amz-executed-version', 'X-Amz-Executed-Version'],
    ['x-amzn-errortype', 'x-amzn-ErrorType'],
  ] as const) {
    const v = pick(k);
    if (v !== undefined) headers[out] = v;
  }
  const errorType = pick('x-amzn-errortype')?.split(':')[0];
  hop(
    res.status,
    res.status >= 300 ? (errorType ?? `HTTP ${res.status}`) : pick('x-amz-function-error'),
    pick('x-amzn-requestid'),
  );
  send(ctx.res, res.status, headers, res.body.length > 0 || res.status === 200 ? res.body : undefined);
}

/** A session id for this developer's mesh: `<stage>-<8 hex>`, the `svcmesh.origin` baggage value. */
export const newDevId = (stage: string): string => `${stage}-${randomBytes(4).toString('hex')}`;
