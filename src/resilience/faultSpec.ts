/**
 * Fault specs (docs/resiliency.md), shared by the local mesh (`svc-mesh dev --fault`, `svc-mesh
 * fault`, `POST /_mesh/faults`) and the runtime's caller-side injection (SVC_MESH_FAULTS):
 *
 *   payments:charge=error:30%              a target, 30 % of calls fail (an uncoded function error)
 *   orders:placeOrder->payments:charge=latency:2s   only calls from orders:placeOrder (an edge)
 *   payments:charge=timeout | throttle:50% | crash
 *
 * Several specs are separated by `,`. Pure and dependency-free: loaded only when faults are used.
 * @internal
 */
import { parseTarget } from '../internal/names.js';

export const FAULT_KINDS = ['error', 'latency', 'timeout', 'throttle', 'crash'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultRule {
  /** `service:function` of the caller when the rule is scoped to an edge. */
  caller?: string;
  target: string;
  kind: FaultKind;
  /** 0–100: the share of matching calls that get the fault. */
  percent: number;
  /** For `latency`: the added delay. */
  latencyMs?: number;
  /** The spec as written (normalised), e.g. `payments:charge=error:30%`. */
  spec: string;
}

/** Thrown by {@link parseFaultSpec}; `index` is the 0-based position of the bad spec in the list. */
export class FaultSpecProblem extends Error {
  constructor(
    message: string,
    readonly spec: string,
  ) {
    super(message);
  }
}

const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m)$/;
const PERCENT_RE = /^(-?\d+(?:\.\d+)?)%$/;

function target(s: string, where: string, spec: string): string {
  try {
    const t = parseTarget(s.trim());
    return `${t.service}:${t.function}`;
  } catch (err) {
    throw new FaultSpecProblem(`fault '${spec}': the ${where} ${(err as Error).message}`, spec);
  }
}

/** Parses one spec `scope=kind[:arg][:P%]`. Throws {@link FaultSpecProblem} saying what is wrong. */
export function parseFaultRule(raw: string): FaultRule {
  const spec = raw.trim();
  const eq = spec.lastIndexOf('=');
  if (eq <= 0)
    throw new FaultSpecProblem(
      `fault '${spec}' must be '<target>=<fault>', e.g. 'payments:charge=error:30%' (faults: ${FAULT_KINDS.join(', ')})`,
      spec,
    );
  const scope = spec.slice(0, eq).trim();
  const parts = spec
    .slice(eq + 1)
    .trim()
    .split(':')
    .map((p) => p.trim());
  const arrow = scope.includes('->') ? '->' : scope.includes('→') ? '→' : undefined;
  const rule: Partial<FaultRule> = {};
  if (arrow !== undefined) {
    const [c, t, ...rest] = scope.split(arrow);
    if (rest.length > 0 || c === undefined || t === undefined)
      throw new FaultSpecProblem(`fault '${spec}': an edge is written 'caller->target'`, spec);
    rule.caller = target(c, 'caller', spec);
    rule.target = target(t, 'target', spec);
  } else rule.target = target(scope, 'target', spec);

  const kind = parts.shift() ?? '';
  if (!(FAULT_KINDS as readonly string[]).includes(kind)) {
    throw new FaultSpecProblem(
      `fault '${spec}': unknown fault '${kind}'; use one of ${FAULT_KINDS.join(', ')} (e.g. error:30%, latency:2s, timeout, throttle, crash)`,
      spec,
    );
  }
  rule.kind = kind as FaultKind;
  rule.percent = 100;
  for (const p of parts) {
    const pm = PERCENT_RE.exec(p);
    if (pm !== null) {
      const n = Number(pm[1]);
      if (!(n >= 0 && n <= 100))
        throw new FaultSpecProblem(`fault '${spec}': the probability ${p} is outside 0–100%`, spec);
      rule.percent = n;
      continue;
    }
    const dm = DURATION_RE.exec(p);
    if (dm !== null && kind === 'latency') {
      const ms = Number(dm[1]) * (dm[2] === 'ms' ? 1 : dm[2] === 's' ? 1000 : 60_000);
      if (!(ms > 0 && ms <= 900_000))
        throw new FaultSpecProblem(`fault '${spec}': the latency ${p} must be more than 0 and at most 15m`, spec);
      rule.latencyMs = Math.round(ms);
      continue;
    }
    throw new FaultSpecProblem(
      kind === 'latency'
        ? `fault '${spec}': '${p}' is neither a duration (2s, 500ms) nor a probability (30%)`
        : `fault '${spec}': '${p}' is not a probability like 30% (only latency takes a duration)`,
      spec,
    );
  }
  if (kind === 'latency' && rule.latencyMs === undefined)
    throw new FaultSpecProblem(`fault '${spec}': latency needs a duration, e.g. ${spec}:2s`, spec);
  const scopeText = rule.caller === undefined ? rule.target : `${rule.caller}->${rule.target}`;
  const args = [
    ...(rule.latencyMs !== undefined ? [`${rule.latencyMs}ms`] : []),
    ...(rule.percent !== 100 ? [`${rule.percent}%`] : []),
  ];
  rule.spec = `${scopeText}=${[kind, ...args].join(':')}`;
  return rule as FaultRule;
}

/** Parses a list of specs separated by `,` (empty parts are skipped). */
export function parseFaultSpec(raw: string): FaultRule[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(parseFaultRule);
}

/**
 * The rule for a call from `caller` to `target`: an edge rule wins over a target rule. (The
 * probability is rolled by the caller of this function.)
 */
export function matchFault(
  rules: readonly FaultRule[],
  caller: string | undefined,
  target: string,
): FaultRule | undefined {
  let hit: FaultRule | undefined;
  for (const r of rules) {
    if (r.target !== target) continue;
    if (r.caller !== undefined) {
      if (r.caller === caller) return r;
    } else hit ??= r;
  }
  return hit;
}
