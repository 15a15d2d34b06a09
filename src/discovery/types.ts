import type { LifecycleType } from '../internal/names.js';

/** Where a target was found. */
export type ResolvedSource = 'routes' | 'ssm' | 'exports';

/** A resolved target: what to invoke, and its lifecycle topics when it is subscribable. */
export interface ResolvedTarget {
  /** `service:function`. */
  readonly target: string;
  /** The function ARN (or, for a route, possibly a plain function name). */
  readonly functionArn: string;
  readonly topics: Readonly<Partial<Record<LifecycleType, string>>> | undefined;
  /** The stage it was found in (undefined for routes). */
  readonly stage: string | undefined;
  readonly source: ResolvedSource;
  /** The SSM parameter, export name or route it came from. */
  readonly location: string;
  /** The contract hash from the discovery record, when present. */
  readonly contract: string | undefined;
}

/** Counters for tests and benchmarks. */
export interface ResolverStats {
  /** GetParameters requests sent (each carries up to 10 names). */
  ssmRequests: number;
  /** ListExports pages requested. */
  exportsRequests: number;
  /** Times a stale record was served because discovery was throttled or failing. */
  staleServed: number;
}
