/**
 * `GET /_mesh/resilience`: each edge's resiliency policy (from the functions' SVC_MESH_POLICIES)
 * and its breaker's last known state (from the `svcmesh.breaker.*` span events the callers'
 * runtimes record), plus the mesh's injected faults. The viewer's service map reads it.
 * @internal
 */
import type { FaultInjector } from './faults.js';
import type { TraceSpan } from './traces/TraceStore.js';

export interface EdgeView {
  caller: string;
  target: string;
  /** As in SVC_MESH_POLICIES, e.g. `{"timeoutMs":2000,"breaker":{"failures":5,"halfOpenMs":30000}}`. */
  policy: Record<string, unknown> | null;
  breaker: {
    state: 'closed' | 'open' | 'half-open';
    /** Epoch ms of the span event that reported it. */
    at: number;
    failures: number | null;
    lastFailure: string | null;
    nextProbeAt: string | null;
  } | null;
}

export interface ResilienceView {
  edges: EdgeView[];
  faults: ReturnType<FaultInjector['view']>;
}

interface StoreLike {
  list(q?: { limit?: number }): { traces: { traceId: string }[] };
  get(id: string): { spans: TraceSpan[] } | undefined;
}

export function resilienceView(
  functions: readonly { target: string; environment: Record<string, string> }[],
  store: StoreLike | undefined,
  faults: FaultInjector,
): ResilienceView {
  const edges = new Map<string, EdgeView>();
  const edge = (caller: string, target: string) => {
    const k = `${caller}>${target}`;
    let e = edges.get(k);
    if (e === undefined) edges.set(k, (e = { caller, target, policy: null, breaker: null }));
    return e;
  };
  for (const f of functions) {
    const raw = f.environment['SVC_MESH_POLICIES'];
    if (raw === undefined) continue;
    try {
      for (const [t, p] of Object.entries(JSON.parse(raw) as Record<string, unknown>))
        if (p !== null && typeof p === 'object') edge(f.target, t).policy = p as Record<string, unknown>;
    } catch {
      // codegen writes valid JSON; a hand-edited environment is shown without a policy
    }
  }
  if (store !== undefined) {
    for (const { traceId } of store.list({ limit: 10_000 }).traces) {
      for (const s of store.get(traceId)?.spans ?? []) {
        for (const ev of s.events) {
          if (!ev.name.startsWith('svcmesh.breaker.')) continue;
          const a = ev.attributes;
          const target = a['svcmesh.target'];
          const caller = a['svcmesh.caller'];
          const state = a['svcmesh.breaker.state'];
          if (typeof target !== 'string' || typeof caller !== 'string') continue;
          if (state !== 'closed' && state !== 'open' && state !== 'half-open') continue;
          const e = edge(caller, target);
          if (e.breaker !== null && e.breaker.at > ev.timeMs) continue;
          const failures = a['svcmesh.breaker.failures'];
          const last = a['svcmesh.breaker.last_failure'];
          const probe = a['svcmesh.breaker.next_probe_at'];
          e.breaker = {
            state,
            at: ev.timeMs,
            failures: typeof failures === 'number' ? failures : null,
            lastFailure: typeof last === 'string' ? last : null,
            nextProbeAt: typeof probe === 'string' ? probe : null,
          };
        }
      }
    }
  }
  return {
    edges: [...edges.values()].sort((a, b) => `${a.caller}>${a.target}`.localeCompare(`${b.caller}>${b.target}`)),
    faults: faults.view(),
  };
}
