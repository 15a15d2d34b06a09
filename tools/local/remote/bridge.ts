/**
 * The event bridge of a hybrid mesh (docs/hybrid.md): local subscribers of deployed functions'
 * lifecycle events receive the events caused by this developer's requests, and only those.
 *
 * One SQS queue in the remote account, `svc-mesh-bridge-<devId>`, tagged as the bridge's own,
 * subscribed to each deployed lifecycle topic a local function listens to, with the local
 * subscription's filter policy plus `svcmesh_origin: [<devId>]` (the origin marker every hop
 * from this mesh carries). The mesh long-polls it and publishes each message to the local
 * topic, where the local subscriptions deliver it as usual. On exit the subscriptions and the
 * queue are deleted; a queue left by a killed mesh (same host, dead pid) or one whose
 * heartbeat expired is removed by the next start.
 * @internal
 */
import os from 'node:os';
import { HybridError } from './errors.js';
import type { RemoteStage } from './RemoteStage.js';

export const BRIDGE_PREFIX = 'svc-mesh-bridge-';
const TAG_BRIDGE = 'svc-mesh:bridge';
const TAG_HOST = 'svc-mesh:host';
const TAG_PID = 'svc-mesh:pid';
const TAG_EXPIRES = 'svc-mesh:expires';
/** A live bridge renews its expiry every minute; an orphan expires after this. */
const EXPIRY_MS = 10 * 60_000;
const HEARTBEAT_MS = 60_000;

export interface BridgeSubscription {
  /** The local topic the local subscriber listens to (e.g. `payments-alice-charge-failed`). */
  localTopicArn: string;
  /** The deployed topic found through the discovery chain. */
  remoteTopicArn: string;
  filterPolicy: Record<string, unknown> | undefined;
}

export interface BridgeMessage {
  localTopicArn: string;
  message: string;
  attributes: Record<string, { Type: string; Value: string }>;
}

export interface BridgeStats {
  received: number;
  delivered: number;
  /** Messages without this developer's origin (must stay 0: the filter policy keeps them out). */
  foreign: number;
  polls: number;
}

export interface BridgeOptions {
  pollMs: number;
  log: (line: string) => void;
  deliver: (m: BridgeMessage) => void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class EventBridge {
  readonly stats: BridgeStats = { received: 0, delivered: 0, foreign: 0, polls: 0 };
  queueUrl: string | undefined;
  queueArn: string | undefined;
  readonly subscriptionArns: string[] = [];
  #byRemote = new Map<string, string[]>();
  #stopped = false;
  #heartbeat: NodeJS.Timeout | undefined;
  #abort: (() => void) | undefined;

  constructor(
    private readonly remote: RemoteStage,
    private readonly opts: BridgeOptions,
  ) {}

  get queueName(): string {
    return `${BRIDGE_PREFIX}${this.remote.devId}`.slice(0, 80);
  }

  #sqs(op: string, input: Record<string, unknown>) {
    return this.remote.json('sqs', `AmazonSQS.${op}`, input, 'application/x-amz-json-1.0');
  }

  async #sns(action: string, params: Record<string, string>): Promise<string> {
    const body = new URLSearchParams({ Action: action, Version: '2010-03-31', ...params }).toString();
    const res = await this.remote.request('sns', `sns:${action}`, {
      method: 'POST',
      path: '/',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: Buffer.from(body),
    });
    const text = res.body.toString('utf8');
    if (res.status >= 300) {
      const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? `HTTP ${res.status}`;
      const msg = /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? '';
      throw Object.assign(new Error(`${code}: ${msg}`), { name: code });
    }
    return text;
  }

  /**
   * Removes bridges left behind: queues named `svc-mesh-bridge-…` tagged as a bridge, whose
   * mesh ran on this host and is gone (dead pid), or whose heartbeat expired. Returns their names.
   */
  async sweep(remoteTopics: string[]): Promise<string[]> {
    const list = await this.#sqs('ListQueues', { QueueNamePrefix: BRIDGE_PREFIX, MaxResults: 1000 });
    const removed: string[] = [];
    for (const url of (list['QueueUrls'] ?? []) as string[]) {
      let tags: Record<string, string> = {};
      try {
        tags = ((await this.#sqs('ListQueueTags', { QueueUrl: url }))['Tags'] ?? {}) as Record<string, string>;
      } catch {
        continue;
      }
      if (tags[TAG_BRIDGE] !== '1') continue;
      const pid = Number(tags[TAG_PID]);
      const orphan =
        (tags[TAG_HOST] === os.hostname() && Number.isInteger(pid) && pid !== process.pid && !alive(pid)) ||
        Number(tags[TAG_EXPIRES] ?? 0) < Date.now();
      if (!orphan) continue;
      const arn = await this.#queueArn(url).catch(() => undefined);
      if (arn !== undefined) await this.#unsubscribeEndpoint(remoteTopics, arn);
      await this.#sqs('DeleteQueue', { QueueUrl: url }).catch(() => {});
      removed.push(url.slice(url.lastIndexOf('/') + 1));
    }
    return removed;
  }

  async #queueArn(url: string): Promise<string> {
    const a = await this.#sqs('GetQueueAttributes', { QueueUrl: url, AttributeNames: ['QueueArn'] });
    return String((a['Attributes'] as Record<string, string>)['QueueArn']);
  }

  async #unsubscribeEndpoint(topics: string[], endpointArn: string): Promise<void> {
    for (const t of new Set(topics)) {
      let token: string | undefined;
      do {
        const xml = await this.#sns('ListSubscriptionsByTopic', {
          TopicArn: t,
          ...(token ? { NextToken: token } : {}),
        }).catch(() => '');
        for (const m of xml.matchAll(/<member>([\s\S]*?)<\/member>/g)) {
          const sub = /<SubscriptionArn>([^<]+)<\/SubscriptionArn>/.exec(m[1]!)?.[1];
          const ep = /<Endpoint>([^<]+)<\/Endpoint>/.exec(m[1]!)?.[1];
          if (sub !== undefined && ep === endpointArn)
            await this.#sns('Unsubscribe', { SubscriptionArn: sub }).catch(() => {});
        }
        token = /<NextToken>([^<]+)<\/NextToken>/.exec(xml)?.[1];
      } while (token !== undefined);
    }
  }

  /** Creates the tagged queue, lets the topics send to it, subscribes with the origin filter, starts polling. */
  async start(subs: BridgeSubscription[]): Promise<void> {
    try {
      await this.#start(subs);
    } catch (err) {
      await this.close();
      if (err instanceof HybridError) throw err;
      throw new HybridError(
        'REMOTE_BRIDGE_FAILED',
        `svc-mesh dev --remote: the event bridge could not be set up at ${this.remote.endpointFor('sqs')} ` +
          `(${(err as Error).message}) for ${[...new Set(subs.map((s) => s.remoteTopicArn))].join(', ')}. ` +
          'Nothing of it was left behind. Check that the deployed topics exist and your role may create SQS queues and SNS subscriptions, or start with --no-bridge.',
        { cause: err },
      );
    }
  }

  async #start(subs: BridgeSubscription[]): Promise<void> {
    const created = await this.#sqs('CreateQueue', {
      QueueName: this.queueName,
      Attributes: { MessageRetentionPeriod: '3600', ReceiveMessageWaitTimeSeconds: '0' },
      tags: this.#tags(),
    });
    this.queueUrl = String(created['QueueUrl']);
    this.queueArn = await this.#queueArn(this.queueUrl);
    const topics = [...new Set(subs.map((s) => s.remoteTopicArn))];
    const policy = {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'svc-mesh-bridge',
          Effect: 'Allow',
          Principal: { Service: 'sns.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: this.queueArn,
          Condition: { ArnEquals: { 'aws:SourceArn': topics } },
        },
      ],
    };
    await this.#sqs('SetQueueAttributes', { QueueUrl: this.queueUrl, Attributes: { Policy: JSON.stringify(policy) } });
    for (const s of subs) {
      const list = this.#byRemote.get(s.remoteTopicArn) ?? [];
      list.push(s.localTopicArn);
      this.#byRemote.set(s.remoteTopicArn, list);
    }
    for (const remoteTopic of topics) {
      // One subscription per deployed topic: any local subscriber's filter, and always this origin.
      const filter = mergeFilters(subs.filter((s) => s.remoteTopicArn === remoteTopic).map((s) => s.filterPolicy));
      filter['svcmesh_origin'] = [this.remote.devId];
      const xml = await this.#sns('Subscribe', {
        TopicArn: remoteTopic,
        Protocol: 'sqs',
        Endpoint: this.queueArn,
        ReturnSubscriptionArn: 'true',
        'Attributes.entry.1.key': 'FilterPolicy',
        'Attributes.entry.1.value': JSON.stringify(filter),
      });
      const arn = /<SubscriptionArn>([^<]+)<\/SubscriptionArn>/.exec(xml)?.[1];
      if (arn !== undefined) this.subscriptionArns.push(arn);
    }
    this.#heartbeat = setInterval(() => {
      if (this.queueUrl !== undefined)
        void this.#sqs('TagQueue', {
          QueueUrl: this.queueUrl,
          Tags: { [TAG_EXPIRES]: String(Date.now() + EXPIRY_MS) },
        }).catch(() => {});
    }, HEARTBEAT_MS);
    this.#heartbeat.unref();
    void this.#poll();
  }

  #tags(): Record<string, string> {
    return {
      [TAG_BRIDGE]: '1',
      [TAG_HOST]: os.hostname().slice(0, 200),
      [TAG_PID]: String(process.pid),
      [TAG_EXPIRES]: String(Date.now() + EXPIRY_MS),
      'svc-mesh:origin': this.remote.devId,
    };
  }

  async #poll(): Promise<void> {
    const wait = Math.max(0, Math.min(20, Math.round(this.opts.pollMs / 1000)));
    let failures = 0;
    while (!this.#stopped) {
      let res: Record<string, unknown>;
      try {
        this.stats.polls++;
        res = await this.#sqs('ReceiveMessage', {
          QueueUrl: this.queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: wait,
          MessageAttributeNames: ['All'],
        });
        failures = 0;
      } catch (err) {
        if (this.#stopped) return;
        if (failures++ === 0)
          this.opts.log(`svc-mesh: the event bridge cannot poll ${this.queueName}: ${(err as Error).message}`);
        await this.#sleep(Math.min(30_000, this.opts.pollMs * 2 ** Math.min(failures, 5)));
        continue;
      }
      const msgs = (res['Messages'] ?? []) as { Body?: string; ReceiptHandle?: string; MessageId?: string }[];
      const done: { Id: string; ReceiptHandle: string }[] = [];
      for (const [i, m] of msgs.entries()) {
        this.stats.received++;
        this.#handle(m.Body ?? '');
        if (m.ReceiptHandle) done.push({ Id: String(i), ReceiptHandle: m.ReceiptHandle });
      }
      if (done.length > 0)
        await this.#sqs('DeleteMessageBatch', { QueueUrl: this.queueUrl, Entries: done }).catch(() => {});
      if (msgs.length === 0 && wait === 0) await this.#sleep(this.opts.pollMs);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((r) => {
      const t = setTimeout(r, ms);
      this.#abort = () => {
        clearTimeout(t);
        r();
      };
    });
  }

  #handle(body: string): void {
    let env: {
      Type?: string;
      TopicArn?: string;
      Message?: string;
      MessageAttributes?: Record<string, { Type?: string; Value?: string }>;
    };
    try {
      env = JSON.parse(body) as typeof env;
    } catch {
      return;
    }
    if (env.Type !== 'Notification' || typeof env.TopicArn !== 'string' || typeof env.Message !== 'string') return;
    const attributes: Record<string, { Type: string; Value: string }> = {};
    for (const [k, v] of Object.entries(env.MessageAttributes ?? {})) {
      if (typeof v?.Type === 'string' && typeof v.Value === 'string') attributes[k] = { Type: v.Type, Value: v.Value };
    }
    // Defence in depth: the filter policy already keeps other developers' events out.
    if (attributes['svcmesh_origin']?.Value !== this.remote.devId) {
      this.stats.foreign++;
      return;
    }
    for (const localTopicArn of this.#byRemote.get(env.TopicArn) ?? []) {
      try {
        this.opts.deliver({ localTopicArn, message: env.Message, attributes });
        this.stats.delivered++;
      } catch (err) {
        this.opts.log(`svc-mesh: the event bridge could not deliver to ${localTopicArn}: ${(err as Error).message}`);
      }
    }
  }

  /** Stops polling, unsubscribes and deletes the queue (the bridge's own resources only). */
  async close(): Promise<void> {
    this.#stopped = true;
    this.#abort?.();
    clearInterval(this.#heartbeat);
    for (const arn of this.subscriptionArns.splice(0))
      await this.#sns('Unsubscribe', { SubscriptionArn: arn }).catch(() => {});
    if (this.queueUrl !== undefined) {
      await this.#sqs('DeleteQueue', { QueueUrl: this.queueUrl }).catch((err: Error) =>
        this.opts.log(
          `svc-mesh: could not delete the bridge queue ${this.queueName}: ${err.message} (the next start removes it)`,
        ),
      );
    }
    // A long poll in flight ends by itself (≤ 20 s); its result is ignored.
  }
}

/** One filter for several local subscribers of a topic: keys all share → values ORed; otherwise no extra filter. */
function mergeFilters(filters: (Record<string, unknown> | undefined)[]): Record<string, unknown> {
  if (filters.length === 1 && filters[0] !== undefined) return { ...filters[0] };
  // Several subscribers with different policies: only the origin filters remotely; each local
  // subscription still applies its own policy on delivery.
  return {};
}
