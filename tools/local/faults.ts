/**
 * Fault injection in the local mesh (docs/resiliency.md): `svc-mesh dev --fault
 * 'payments:charge=error:30%'`, `svc-mesh fault …` and `POST /_mesh/faults` change the rules of a
 * running mesh. A matching Invoke is answered with the fault instead of (or, for latency, before)
 * running the function, marked in the trace as an injected fault, and counted.
 *
 * Sync (RequestResponse) invocations get every fault; Event invocations get `throttle` (429 at
 * enqueue) and `latency` (before the 202), since the others happen inside Lambda's async queue.
 * @internal
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type FaultRule, FaultSpecProblem, matchFault, parseFaultRule } from 'svc-mesh/internal';
import { readBody, send, sendJsonError } from './http.js';

export type { FaultRule } from 'svc-mesh/internal';

/** A fault spec the mesh refuses: unparsable, or naming a function it does not run. */
export class FaultSpecError extends Error {
  override readonly name = 'FaultSpecError';
  readonly code = 'INVALID_FAULT_SPEC';
}

export interface FaultStats {
  spec: string;
  /** Matching calls seen / faults injected (the rest passed by the probability). */
  matched: number;
  injected: number;
}

/** What a hook tells the Lambda service to do with one invocation. */
export type FaultAction =
  | { kind: 'error' | 'crash' | 'timeout' | 'throttle'; rule: FaultRule }
  | { kind: 'latency'; rule: FaultRule; ms: number };

export interface FaultOptions {
  /** Whether the mesh runs this `service:function`; unknown targets are refused with the list. */
  targets: () => string[];
  log: (line: string) => void;
  /** Where a span marking an injected fault goes (the trace store), if tracing is on. */
  recordSpan?: (span: InjectedSpan) => void;
  random?: () => number;
}

export interface InjectedSpan {
  service: string;
  target: string;
  caller: string | undefined;
  traceId: string;
  parentSpanId: string | undefined;
  kind: string;
  spec: string;
  startMs: number;
  endMs: number;
  error: string | undefined;
}

export class FaultInjector {
  #rules: FaultRule[] = [];
  readonly #stats = new Map<string, FaultStats>();
  readonly #o: FaultOptions;

  constructor(o: FaultOptions) {
    this.#o = o;
  }

  /** Parses and checks specs (all or nothing). Throws {@link FaultSpecError}. */
  parse(specs: readonly string[]): FaultRule[] {
    const known = new Set(this.#o.targets());
    const rules: FaultRule[] = [];
    for (const raw of specs
      .flatMap((s) => s.split(','))
      .map((s) => s.trim())
      .filter((s) => s !== '')) {
      let r: FaultRule;
      try {
        r = parseFaultRule(raw);
      } catch (err) {
        if (err instanceof FaultSpecProblem) throw new FaultSpecError(err.message);
        throw err;
      }
      for (const t of r.caller === undefined ? [r.target] : [r.caller, r.target]) {
        if (!known.has(t)) {
          const list = [...known].sort();
          throw new FaultSpecError(
            `fault '${raw}': the local mesh runs no function '${t}'; it runs ${list.slice(0, 12).join(', ')}${list.length > 12 ? ', …' : ''}`,
          );
        }
      }
      rules.push(r);
    }
    return rules;
  }

  /** Replaces every rule (and starts their counts from zero). */
  set(specs: readonly string[]): FaultRule[] {
    return this.#replace(this.parse(specs), false);
  }

  #replace(rules: FaultRule[], keepCounts: boolean): FaultRule[] {
    this.#rules = rules;
    const old = new Map(this.#stats);
    this.#stats.clear();
    for (const r of rules)
      this.#stats.set(r.spec, (keepCounts ? old.get(r.spec) : undefined) ?? { spec: r.spec, matched: 0, injected: 0 });
    this.#o.log(
      rules.length === 0
        ? 'svc-mesh: faults cleared'
        : `svc-mesh: injecting faults: ${rules.map((r) => r.spec).join(', ')}`,
    );
    return rules;
  }

  /** Adds rules (a rule for the same scope replaces the old one). */
  add(specs: readonly string[]): FaultRule[] {
    const added = this.parse(specs);
    const scope = (r: FaultRule) => `${r.caller ?? ''}>${r.target}`;
    const keep = this.#rules.filter((r) => !added.some((a) => scope(a) === scope(r)));
    return this.#replace([...keep, ...added], true);
  }

  get rules(): readonly FaultRule[] {
    return this.#rules;
  }

  view(): { rules: string[]; stats: FaultStats[] } {
    return { rules: this.#rules.map((r) => r.spec), stats: [...this.#stats.values()] };
  }

  /** The fault for one invocation, after rolling its probability (counted), or undefined. */
  decide(caller: string | undefined, target: string, type: 'RequestResponse' | 'Event'): FaultAction | undefined {
    if (this.#rules.length === 0) return undefined;
    const rule = matchFault(this.#rules, caller, target);
    if (rule === undefined) return undefined;
    if (type === 'Event' && rule.kind !== 'throttle' && rule.kind !== 'latency') return undefined;
    const st = this.#stats.get(rule.spec);
    if (st !== undefined) st.matched++;
    if ((this.#o.random ?? Math.random)() * 100 >= rule.percent) return undefined;
    if (st !== undefined) st.injected++;
    return rule.kind === 'latency' ? { kind: 'latency', rule, ms: rule.latencyMs ?? 0 } : { kind: rule.kind, rule };
  }

  /** Records the injected fault as a span of the callee (parented under the caller's span, if it sent one). */
  mark(a: {
    service: string;
    target: string;
    caller: string | undefined;
    clientContext: string | undefined;
    traceHeader: string | undefined;
    kind: string;
    spec: string;
    startMs: number;
    error: string | undefined;
  }): void {
    if (this.#o.recordSpan === undefined) return;
    const parent = parentOf(a.clientContext, a.traceHeader);
    this.#o.recordSpan({
      service: a.service,
      target: a.target,
      caller: a.caller,
      traceId: parent?.traceId ?? randomBytes(16).toString('hex'),
      parentSpanId: parent?.spanId,
      kind: a.kind,
      spec: a.spec,
      startMs: a.startMs,
      endMs: Date.now(),
      error: a.error,
    });
  }

  /** `GET /_mesh/faults` and `POST /_mesh/faults` (`{"set":[…]}`, `{"add":[…]}` or `{"clear":true}`). */
  async handle(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const json = (status: number, body: unknown) =>
      send(
        res,
        status,
        { 'Content-Type': 'application/json', 'x-amzn-RequestId': requestId },
        JSON.stringify(body, null, 2),
      );
    if (req.method === 'GET' || req.method === 'HEAD') {
      req.resume();
      return json(200, this.view());
    }
    if (req.method !== 'POST') {
      req.resume();
      return sendJsonError(res, requestId, 405, 'MethodNotAllowed', 'Use GET or POST on /_mesh/faults.');
    }
    // Admin writes come from the developer's terminal or tools, never from a web page: another
    // page's Origin was refused for every request (guard.ts checkBrowser); here a JSON content
    // type, which no cross-site form or no-cors fetch can send.
    const ct = String(req.headers['content-type'] ?? '');
    if (!ct.startsWith('application/json')) {
      req.resume();
      return sendJsonError(
        res,
        requestId,
        403,
        'AccessDeniedException',
        'POST /_mesh/faults takes application/json from a local tool (svc-mesh fault, curl), not from a web page.',
      );
    }
    const body = await readBody(req, 64 * 1024);
    if (body.aborted || body.tooLarge)
      return sendJsonError(res, requestId, 413, 'RequestEntityTooLargeException', 'A fault request is at most 64 KiB.');
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.body.toString('utf8'));
    } catch {
      return sendJsonError(
        res,
        requestId,
        400,
        'ValidationException',
        'The body is not JSON: send {"set":["payments:charge=error:30%"]}.',
      );
    }
    const o = (parsed ?? {}) as { set?: unknown; add?: unknown; clear?: unknown };
    const list = (v: unknown) =>
      Array.isArray(v) && v.every((x) => typeof x === 'string')
        ? (v as string[])
        : typeof v === 'string'
          ? [v]
          : undefined;
    try {
      if (o.clear === true) this.set([]);
      else if (o.set !== undefined && list(o.set) !== undefined) this.set(list(o.set)!);
      else if (o.add !== undefined && list(o.add) !== undefined) this.add(list(o.add)!);
      else
        return sendJsonError(
          res,
          requestId,
          400,
          'ValidationException',
          'Send {"set":["payments:charge=error:30%"]}, {"add":[…]} or {"clear":true}.',
        );
    } catch (err) {
      if (err instanceof FaultSpecError) return sendJsonError(res, requestId, 400, 'ValidationException', err.message);
      throw err;
    }
    return json(200, this.view());
  }
}

/** The caller's span from ClientContext `custom.traceparent`, else the X-Ray header's Root/Parent. */
function parentOf(
  clientContext: string | undefined,
  header: string | undefined,
): { traceId: string; spanId: string } | undefined {
  if (clientContext !== undefined) {
    try {
      const tp = (JSON.parse(clientContext) as { custom?: { traceparent?: unknown } }).custom?.traceparent;
      const m = typeof tp === 'string' ? /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/.exec(tp) : null;
      if (m !== null) return { traceId: m[1]!, spanId: m[2]! };
    } catch {
      // not JSON: no parent
    }
  }
  if (header !== undefined) {
    const root = /Root=1-([0-9a-f]{8})-([0-9a-f]{24})/.exec(header);
    const parent = /Parent=([0-9a-f]{16})/.exec(header);
    if (root !== null && parent !== null) return { traceId: root[1]! + root[2]!, spanId: parent[1]! };
  }
  return undefined;
}

/** The OTLP/JSON request for an injected-fault span (SERVER kind, error status unless latency). */
export function injectedSpanRequest(s: InjectedSpan): object {
  const str = (key: string, v: string) => ({ key, value: { stringValue: v } });
  const attributes = [
    str('faas.name', s.target),
    str('svcmesh.target', s.target),
    { key: 'svcmesh.fault.injected', value: { boolValue: true } },
    str('svcmesh.fault.kind', s.kind),
    str('svcmesh.fault.spec', s.spec),
    str('svcmesh.fault.side', 'mesh'),
  ];
  if (s.caller !== undefined) attributes.push(str('svcmesh.caller', s.caller));
  if (s.error !== undefined) attributes.push(str('svcmesh.error.code', s.error));
  const ns = (ms: number) => `${BigInt(Math.round(ms * 1000)) * 1000n}`;
  return {
    resourceSpans: [
      {
        resource: { attributes: [str('service.name', s.service)] },
        scopeSpans: [
          {
            scope: { name: 'svc-mesh-local-faults' },
            spans: [
              {
                traceId: s.traceId,
                spanId: randomBytes(8).toString('hex'),
                ...(s.parentSpanId === undefined ? {} : { parentSpanId: s.parentSpanId }),
                name: `fault ${s.kind} ${s.target}`,
                kind: 2,
                startTimeUnixNano: ns(s.startMs),
                endTimeUnixNano: ns(Math.max(s.endMs, s.startMs)),
                attributes,
                events: [
                  {
                    timeUnixNano: ns(s.startMs),
                    name: 'svcmesh.fault.injected',
                    attributes: [str('svcmesh.fault.spec', s.spec)],
                  },
                ],
                links: [],
                status: s.error === undefined ? { code: 0 } : { code: 2, message: `injected fault: ${s.spec}` },
              },
            ],
          },
        ],
      },
    ],
  };
}

export interface FaultedInvoke {
  res: ServerResponse;
  requestId: string;
  type: 'RequestResponse' | 'Event';
  fn: { service: string; target: string; timeout: number };
  caller: string | undefined;
  clientContext: string | undefined;
  traceHeader: string | undefined;
}

/**
 * Answers an invocation with its fault, as Lambda would answer that failure. Returns true when the
 * response was sent; false for latency, after the delay, when the invocation should now run (or
 * the client went away: then nothing more is sent either way, and it returns true).
 */
export async function applyFault(injector: FaultInjector, a: FaultAction, inv: FaultedInvoke): Promise<boolean> {
  const startMs = Date.now();
  const { res, requestId } = inv;
  const mark = (error: string | undefined) =>
    injector.mark({
      service: inv.fn.service,
      target: inv.fn.target,
      caller: inv.caller,
      clientContext: inv.clientContext,
      traceHeader: inv.traceHeader,
      kind: a.kind,
      spec: a.rule.spec,
      startMs,
      error,
    });
  const functionError = (errorType: string, errorMessage: string) => {
    mark(errorType);
    send(
      res,
      200,
      {
        'Content-Type': 'application/json',
        'x-amzn-RequestId': requestId,
        'X-Amz-Executed-Version': '$LATEST',
        'X-Amz-Function-Error': 'Unhandled',
      },
      JSON.stringify({ errorType, errorMessage, trace: [] }),
    );
    return true;
  };
  /** Waits `ms`; false when the client closed the connection first. */
  const wait = (ms: number) =>
    new Promise<boolean>((resolve) => {
      const t = setTimeout(() => {
        res.off('close', onClose);
        resolve(true);
      }, ms);
      const onClose = () => {
        clearTimeout(t);
        resolve(false);
      };
      res.once('close', onClose);
    });
  const note = `injected by the local mesh (${a.rule.spec})`;
  switch (a.kind) {
    case 'throttle':
      mark('TooManyRequestsException');
      sendJsonError(res, requestId, 429, 'TooManyRequestsException', `Rate Exceeded. (${note})`, {
        extra: { Reason: 'ConcurrentInvocationLimitExceeded' },
      });
      return true;
    case 'error':
      return functionError('InjectedFault', `Fault ${note}`);
    case 'crash':
      return functionError(
        'Runtime.ExitError',
        `RequestId: ${requestId} Error: Runtime exited with error: exit status 1 (${note})`,
      );
    case 'timeout': {
      if (!(await wait(inv.fn.timeout * 1000))) {
        mark('Sandbox.Timedout');
        return true;
      }
      return functionError(
        'Sandbox.Timedout',
        `RequestId: ${requestId} Error: Task timed out after ${inv.fn.timeout.toFixed(2)} seconds (${note})`,
      );
    }
    case 'latency': {
      const alive = await wait(a.ms);
      mark(undefined);
      return !alive;
    }
  }
}
