/**
 * Hybrid mode of the local mesh (`svc-mesh dev --remote`, docs/hybrid.md): the services under
 * the given paths run locally; every other target resolves through the deployed stage chain.
 * This module does the safety checks and wires {@link RemoteStage} into the mesh core.
 * @internal
 */
import type { MeshCore } from '../core.js';
import { NoDeployedRecordsError, ProtectedStageError, RemoteUnreachableError } from './errors.js';
import type { RemoteHook, RemoteHop } from './hooks.js';
import { newDevId } from './hooks.js';
import { type Credentials, RemoteStage } from './RemoteStage.js';

export { RemoteStage, withOrigin, withOriginInClientContext, withOriginInEnvelope } from './RemoteStage.js';
export type { RemoteStats } from './RemoteStage.js';
export type { RemoteHop } from './hooks.js';
export * from './errors.js';

export interface HybridOptions {
  /** One endpoint for every AWS service (moto, LocalStack, another `svc-mesh dev`); default: AWS itself. */
  endpoint?: string;
  /** Named profile of the AWS default credential chain (default `AWS_PROFILE`, else `default`). */
  profile?: string;
  /** Fixed credentials (tests). */
  credentials?: Credentials;
  /** Stages the mesh refuses to touch unless `force` (default `['prod']`). */
  protectedStages?: string[];
  force?: boolean;
  /** The `svcmesh.origin` of this session (default `<stage>-<8 hex>`). */
  devId?: string;
  /** Remote record cache, as the runtime's (default 300 s; misses 5 s). */
  cacheTtlMs?: number;
  negativeCacheTtlMs?: number;
  /** Poll interval of the event bridge (default 1000 ms). */
  bridgePollMs?: number;
  /** Start the event bridge for local subscribers of remote functions (default true). */
  bridge?: boolean;
}

/** What the mesh exposes about the remote side (`mesh.remote`). */
export interface RemoteInfo {
  readonly devId: string;
  readonly where: string;
  readonly account: string | undefined;
  readonly region: string;
  readonly stages: readonly string[];
  readonly stats: RemoteStage['stats'];
  /** Every remote hop (tests, tooling, the viewer); returns an unsubscribe function. */
  onHop(listener: (h: RemoteHop) => void): () => void;
}

export interface Attached {
  info: RemoteInfo;
  stage: RemoteStage;
  close(): Promise<void>;
}

/**
 * Checks and connects the remote side before the mesh listens: refuses a protected stage
 * (no network), resolves the credentials (a {@link RemoteCredentialsError} names the profile;
 * nothing was sent), prints the account, region and stages, then checks that the fallback
 * stages have deployed records (a {@link NoDeployedRecordsError} names what was searched).
 */
export async function attachRemote(
  core: MeshCore,
  opts: HybridOptions,
  chain: { stage: string; stageFallback: string[]; localStagesWithRecords: Set<string>; ssmPrefix: string },
  print: (line: string) => void,
): Promise<Attached> {
  const stages = [...new Set([chain.stage, ...chain.stageFallback])];
  const protectedStages = opts.protectedStages ?? ['prod'];
  if (opts.force !== true) {
    for (const s of stages) if (protectedStages.includes(s)) throw new ProtectedStageError(s);
  }
  const stage = new RemoteStage({
    region: core.region,
    stages,
    ...(opts.endpoint === undefined ? {} : { endpoint: opts.endpoint }),
    ...(opts.profile === undefined ? {} : { profile: opts.profile }),
    ...(opts.credentials === undefined ? {} : { credentials: opts.credentials }),
    ssmPrefix: chain.ssmPrefix,
    devId: opts.devId ?? newDevId(chain.stage),
    ...(opts.cacheTtlMs === undefined ? {} : { cacheTtlMs: opts.cacheTtlMs }),
    ...(opts.negativeCacheTtlMs === undefined ? {} : { negativeCacheTtlMs: opts.negativeCacheTtlMs }),
  });
  try {
    await stage.credentials();
    const account = await stage.account().catch((err: unknown) => {
      if ((err as Error).name === 'RemoteCredentialsError') throw err;
      return undefined;
    });
    print(
      `svc-mesh dev --remote: deployed stages ${stages.join(' → ')} at ${stage.where} ` +
        `(account ${account ?? 'not reported by the endpoint'}, region ${core.region}, profile ${stage.profile}); ` +
        `read-only except the event bridge's own tagged queue; origin ${stage.devId}` +
        (opts.force === true && stages.some((s) => protectedStages.includes(s)) ? '; PROTECTED STAGE FORCED' : ''),
    );
    const probe = chain.stageFallback.length > 0 ? chain.stageFallback : [chain.stage];
    let any = probe.some((s) => chain.localStagesWithRecords.has(s));
    const searchedRemotely: string[] = [];
    for (const s of probe) {
      if (any) break;
      searchedRemotely.push(s);
      if (await stage.stageHasRecords(s)) any = true;
    }
    if (!any) throw new NoDeployedRecordsError(probe, searchedRemotely, stage.where);
    const hopListeners = new Set<(h: RemoteHop) => void>();
    const hook: RemoteHook = { stage, hopListeners, warnedContracts: new Set() };
    (core as { remote?: RemoteHook }).remote = hook;
    stage.log = print;
    const info: RemoteInfo = {
      devId: stage.devId,
      where: stage.where,
      account,
      region: core.region,
      stages,
      stats: stage.stats,
      onHop: (l) => {
        hopListeners.add(l);
        return () => hopListeners.delete(l);
      },
    };
    return {
      info,
      stage,
      close: async () => {
        stage.close();
      },
    };
  } catch (err) {
    stage.close();
    if (err instanceof RemoteUnreachableError)
      throw new RemoteUnreachableError(err.endpoint, err.operation, (err.cause as Error)?.message ?? 'unreachable', {
        cause: err.cause,
        atStart: true,
      });
    throw err;
  }
}
