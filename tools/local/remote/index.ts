/**
 * Hybrid mode of the local mesh (`svc-mesh dev --remote`, docs/hybrid.md): the services under
 * the given paths run locally; every other target resolves through the deployed stage chain.
 * This module does the safety checks and wires {@link RemoteStage} into the mesh core.
 * @internal
 */
import type { MeshCore } from '../core.js';
import { HybridError, NoDeployedRecordsError, ProtectedStageError, RemoteUnreachableError } from './errors.js';
import type { RemoteHook, RemoteHop } from './hooks.js';
import { newDevId } from './hooks.js';
import { type Credentials, RemoteStage } from './RemoteStage.js';
import { type BridgeMessage, type BridgeStats, type BridgeSubscription, EventBridge } from './bridge.js';

export { RemoteStage, withOrigin, withOriginInClientContext, withOriginInEnvelope } from './RemoteStage.js';
export type { RemoteStats } from './RemoteStage.js';
export type { RemoteHop } from './hooks.js';
export * from './errors.js';
export { EventBridge, BRIDGE_PREFIX } from './bridge.js';
export type { BridgeStats } from './bridge.js';
export { postHopSpan, hopSpan } from './span.js';

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
  /** Link-out template for the team's trace backend, `{traceId}` replaced (shown on the remote hop's span). */
  traceLink?: string;
  /** Endpoint of SNS and SQS for the bridge when it differs from `endpoint` (e.g. moto beside a stand-in mesh). */
  bridgeEndpoint?: string;
}

/** What the bridge needs from the mesh: the local subscriptions and a way to publish locally. */
export interface LocalEvents {
  subscriptions: { topicArn: string; functionArn: string; filterPolicy?: Record<string, unknown> | undefined }[];
  /** Topics whose publisher runs locally (those need no bridge). */
  localTopics: Set<string>;
  deliver: (m: BridgeMessage) => void;
}

/** What the mesh exposes about the remote side (`mesh.remote`). */
export interface RemoteInfo {
  readonly devId: string;
  readonly where: string;
  readonly account: string | undefined;
  readonly region: string;
  readonly stages: readonly string[];
  readonly stats: RemoteStage['stats'];
  /** The event bridge's counters, when one runs. */
  readonly bridge: (BridgeStats & { queue: string; subscriptions: number }) | undefined;
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
  chain: {
    stage: string;
    stageFallback: string[];
    localStagesWithRecords: Set<string>;
    ssmPrefix: string;
    /** `service:function` → contract hash of the local records (when codegen computed contracts). */
    contracts?: Map<string, string>;
  },
  print: (line: string) => void,
  events?: LocalEvents,
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
    ...(opts.bridgeEndpoint === undefined ? {} : { endpoints: { sns: opts.bridgeEndpoint, sqs: opts.bridgeEndpoint } }),
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
    const hook: RemoteHook = {
      stage,
      hopListeners,
      warnedContracts: new Set(),
      expectedContracts: chain.contracts ?? new Map(),
      warn: print,
    };
    (core as { remote?: RemoteHook }).remote = hook;
    stage.log = print;
    let bridge: EventBridge | undefined;
    if (opts.bridge !== false && events !== undefined) {
      const subs = await bridgeSubscriptions(stage, chain.stage, events);
      if (subs.length > 0) {
        bridge = new EventBridge(stage, { pollMs: opts.bridgePollMs ?? 1000, log: print, deliver: events.deliver });
        const removed = await bridge.sweep(subs.map((s) => s.remoteTopicArn));
        if (removed.length > 0)
          print(
            `svc-mesh dev --remote: removed ${removed.length} event bridge(s) left by a mesh that died: ${removed.join(', ')}`,
          );
        await bridge.start(subs);
        print(
          `svc-mesh dev --remote: event bridge ${bridge.queueName} (tagged, deleted on exit) ← ${[...new Set(subs.map((s) => s.remoteTopicArn))].join(', ')}; only events of origin ${stage.devId}`,
        );
      }
    }
    const b = bridge;
    const info: RemoteInfo = {
      devId: stage.devId,
      where: stage.where,
      account,
      region: core.region,
      stages,
      stats: stage.stats,
      get bridge() {
        return b === undefined
          ? undefined
          : { ...b.stats, queue: b.queueName, subscriptions: b.subscriptionArns.length };
      },
      onHop: (l) => {
        hopListeners.add(l);
        return () => hopListeners.delete(l);
      },
    };
    return {
      info,
      stage,
      close: async () => {
        await bridge?.close();
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
    if (err instanceof HybridError) throw err;
    throw new HybridError(
      'REMOTE_REQUEST_FAILED',
      `svc-mesh dev --remote: ${stage.where} answered "${(err as Error).message}" while the mesh checked the deployed stages ` +
        `${stages.join(', ')}; nothing was started. The hybrid mode needs read access to SSM (ssm:GetParameters and ` +
        `ssm:GetParametersByPath on ${chain.ssmPrefix}/*) with profile '${stage.profile}'.`,
      { cause: err },
    );
  }
}

const TYPES = ['start', 'success', 'failed'] as const;

/**
 * The deployed topics behind the local subscriptions whose publisher does not run locally:
 * the local topic `<service>-<stage>-<function>-<type>` names the publisher; its discovery
 * record, looked up through the remote chain, names the deployed topic.
 */
async function bridgeSubscriptions(
  stage: RemoteStage,
  localStage: string,
  events: LocalEvents,
): Promise<BridgeSubscription[]> {
  const wanted: {
    sub: LocalEvents['subscriptions'][number];
    service: string;
    fn: string;
    type: (typeof TYPES)[number];
  }[] = [];
  for (const sub of events.subscriptions) {
    if (events.localTopics.has(sub.topicArn)) continue;
    const name = sub.topicArn.slice(sub.topicArn.lastIndexOf(':') + 1);
    const type = TYPES.find((t) => name.endsWith(`-${t}`));
    const i = name.indexOf(`-${localStage}-`);
    if (type === undefined || i <= 0) continue;
    const service = name.slice(0, i);
    const fn = name.slice(i + localStage.length + 2, name.length - type.length - 1);
    wanted.push({ sub, service, fn, type });
  }
  if (wanted.length === 0) return [];
  const names = wanted.flatMap((w) => stage.stages.map((s) => `${stage.ssmPrefix}/${s}/${w.service}/${w.fn}`));
  const found = await stage.getParameters(names);
  const out: BridgeSubscription[] = [];
  for (const w of wanted) {
    for (const s of stage.stages) {
      const v = found.get(`${stage.ssmPrefix}/${s}/${w.service}/${w.fn}`);
      if (v === undefined) continue;
      try {
        const rec = JSON.parse(v) as { topics?: Record<string, string> };
        const t = rec.topics?.[w.type];
        if (typeof t === 'string')
          out.push({ localTopicArn: w.sub.topicArn, remoteTopicArn: t, filterPolicy: w.sub.filterPolicy });
      } catch {
        // a malformed record: the runtime reports it on a call
      }
      break;
    }
  }
  return out;
}
