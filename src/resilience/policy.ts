/**
 * The runtime form of a per-edge resiliency policy (SVC_MESH_POLICIES, written by codegen from
 * `calling:`; see docs/resiliency.md), checked when the resiliency module loads.
 * @internal
 */
import { InvalidConfigError } from '../errors/InvalidConfigError.js';

export interface RuntimePolicy {
  timeoutMs?: number;
  retries?: number;
  breaker?: { failures: number; halfOpenMs: number; tripOn?: readonly string[] };
  maxConcurrent?: number;
  queue?: number;
  fallback?: 'event';
}

const KEYS = new Set(['timeoutMs', 'retries', 'breaker', 'maxConcurrent', 'queue', 'fallback']);
const BREAKER_KEYS = new Set(['failures', 'halfOpenMs', 'tripOn']);

function int(setting: string, what: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    throw new InvalidConfigError(
      setting,
      `${setting}: ${what} must be a whole number ≥ ${min} (got ${JSON.stringify(v)}).`,
    );
  return v;
}

/** Checks one target's policy; throws {@link InvalidConfigError} naming the setting and the key. */
export function checkPolicy(setting: string, target: string, v: unknown): RuntimePolicy {
  const where = `${setting}['${target}']`;
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new InvalidConfigError(setting, `${where} must be an object like {"timeoutMs":2000,"retries":1}.`);
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (!KEYS.has(k))
      throw new InvalidConfigError(
        setting,
        `${where} has unknown key ${JSON.stringify(k)} (allowed: ${[...KEYS].join(', ')}).`,
      );
  const p: RuntimePolicy = {};
  if (o['timeoutMs'] !== undefined) p.timeoutMs = int(setting, `${where}.timeoutMs`, o['timeoutMs'], 1);
  if (o['retries'] !== undefined) p.retries = int(setting, `${where}.retries`, o['retries'], 0);
  if (o['maxConcurrent'] !== undefined) p.maxConcurrent = int(setting, `${where}.maxConcurrent`, o['maxConcurrent'], 1);
  if (o['queue'] !== undefined) p.queue = int(setting, `${where}.queue`, o['queue'], 0);
  if (o['fallback'] !== undefined) {
    if (o['fallback'] !== 'event')
      throw new InvalidConfigError(
        setting,
        `${where}.fallback must be "event" (got ${JSON.stringify(o['fallback'])}).`,
      );
    p.fallback = 'event';
  }
  if (o['breaker'] !== undefined) {
    const b = o['breaker'];
    if (typeof b !== 'object' || b === null || Array.isArray(b))
      throw new InvalidConfigError(setting, `${where}.breaker must be an object {"failures":5,"halfOpenMs":30000}.`);
    const bo = b as Record<string, unknown>;
    for (const k of Object.keys(bo))
      if (!BREAKER_KEYS.has(k))
        throw new InvalidConfigError(
          setting,
          `${where}.breaker has unknown key ${JSON.stringify(k)} (allowed: failures, halfOpenMs, tripOn).`,
        );
    const tripOn = bo['tripOn'];
    if (tripOn !== undefined && !(Array.isArray(tripOn) && tripOn.every((x) => typeof x === 'string')))
      throw new InvalidConfigError(setting, `${where}.breaker.tripOn must be a list of error codes.`);
    p.breaker = {
      failures: int(setting, `${where}.breaker.failures`, bo['failures'], 1),
      halfOpenMs: int(setting, `${where}.breaker.halfOpenMs`, bo['halfOpenMs'], 1),
      ...(tripOn === undefined ? {} : { tripOn: tripOn as string[] }),
    };
  }
  return p;
}
