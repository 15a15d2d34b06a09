/**
 * SNS (awsQuery, XML): CreateTopic, DeleteTopic, ListTopics, GetTopicAttributes,
 * Subscribe (lambda), Unsubscribe, ListSubscriptions(ByTopic), Publish, PublishBatch, and the
 * read-back calls GetSubscriptionAttributes, SetSubscriptionAttributes, ListTagsForResource.
 * Lambda deliveries use the real SNS→Lambda event (one record per invocation) and go
 * through Lambda's async queue: retried, then kept as a dead letter.
 * @internal
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { LAMBDA_ARN_RE, SNS_ARN_RE } from 'svc-mesh/internal';
import { snsCarrier } from '../invocationSpans.js';
import { SNS_MESSAGE_LIMIT } from '../constants.js';
import type { RequestCtx } from '../context.js';
import type { MeshCore } from '../core.js';
import { sendQueryError, sendQueryResult, xmlEscape } from '../http.js';
import { type AttributeValue, matchesAttributes, matchesBody, validateFilterPolicy } from './filterPolicy.js';

export const SNS_XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';
const TOPIC_NAME_RE = /^[A-Za-z0-9_-]{1,256}$/;
const ATTR_NAME_RE = /^[A-Za-z0-9_.-]{1,256}$/;
const BATCH_ID_RE = /^[A-Za-z0-9_-]{1,80}$/;

export interface Subscription {
  arn: string;
  topicArn: string;
  protocol: 'lambda';
  endpoint: string;
  filterPolicy?: Record<string, unknown>;
  filterPolicyScope: 'MessageAttributes' | 'MessageBody';
  attributes: Record<string, string>;
}
export interface Topic {
  name: string;
  arn: string;
  attributes: Record<string, string>;
  subscriptions: Map<string, Subscription>;
}

class SnsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
const invalid = (msg: string) => new SnsError(400, 'InvalidParameter', `Invalid parameter: ${msg}`);

export interface PublishInput {
  topicArn: string;
  message: string;
  subject?: string;
  attributes: Record<string, AttributeValue>;
  messageStructure?: string;
  traceId?: string;
}

export class SnsService {
  readonly topics = new Map<string, Topic>();
  private readonly subs = new Map<string, Subscription>();
  constructor(
    private readonly core: MeshCore,
    private readonly endpoint: () => string,
  ) {}

  topicArn(name: string): string {
    return `arn:aws:sns:${this.core.region}:${this.core.account}:${name}`;
  }

  createTopic(name: string, attributes: Record<string, string> = {}): Topic {
    if (!TOPIC_NAME_RE.test(name.endsWith('.fifo') ? name.slice(0, -5) : name)) {
      throw invalid('Topic Name');
    }
    if (name.endsWith('.fifo') && attributes['FifoTopic'] !== 'true') {
      throw invalid('Topic Name: a topic name ending in .fifo needs the attribute FifoTopic=true');
    }
    const arn = this.topicArn(name);
    const existing = this.topics.get(arn);
    if (existing) return existing;
    const t: Topic = { name, arn, attributes: { ...attributes }, subscriptions: new Map() };
    this.topics.set(arn, t);
    return t;
  }

  subscribe(
    topicArn: string,
    protocol: string,
    endpoint: string,
    attributes: Record<string, string> = {},
  ): Subscription {
    const topic = this.topics.get(topicArn);
    if (topic === undefined) throw new SnsError(404, 'NotFound', 'Topic does not exist');
    if (protocol !== 'lambda') {
      throw invalid(`Protocol '${protocol}': the local mesh delivers to the lambda protocol only`);
    }
    if (!LAMBDA_ARN_RE.test(endpoint)) throw invalid('Lambda endpoint ARN');
    let filterPolicy: Record<string, unknown> | undefined;
    const fp = attributes['FilterPolicy'];
    if (fp !== undefined && fp !== '') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(fp);
      } catch {
        throw invalid('FilterPolicy: failed to parse JSON');
      }
      const e = validateFilterPolicy(parsed);
      if (e) throw invalid(`FilterPolicy: ${e}`);
      filterPolicy = parsed as Record<string, unknown>;
    }
    const scope = attributes['FilterPolicyScope'] ?? 'MessageAttributes';
    if (scope !== 'MessageAttributes' && scope !== 'MessageBody') throw invalid('Attributes Reason: FilterPolicyScope');
    for (const k of Object.keys(attributes)) {
      if (!['FilterPolicy', 'FilterPolicyScope', 'RawMessageDelivery', 'RedrivePolicy', 'DeliveryPolicy'].includes(k)) {
        throw invalid(`Attributes Reason: Unknown attribute ${k}`);
      }
    }
    for (const s of topic.subscriptions.values()) {
      if (s.protocol === protocol && s.endpoint === endpoint) {
        if (JSON.stringify(s.attributes) !== JSON.stringify(attributes) && Object.keys(attributes).length > 0) {
          throw invalid('Attributes Reason: Subscription already exists with different attributes');
        }
        return s;
      }
    }
    const sub: Subscription = {
      arn: `${topicArn}:${randomUUID()}`,
      topicArn,
      protocol: 'lambda',
      endpoint,
      filterPolicyScope: scope,
      attributes: { ...attributes },
      ...(filterPolicy === undefined ? {} : { filterPolicy }),
    };
    topic.subscriptions.set(sub.arn, sub);
    this.subs.set(sub.arn, sub);
    return sub;
  }

  /** Removes the subscription of a Lambda endpoint to a topic (a serverless.yml reload); false if there was none. */
  unsubscribeEndpoint(topicArn: string, endpoint: string): boolean {
    const topic = this.topics.get(topicArn);
    if (topic === undefined) return false;
    for (const s of topic.subscriptions.values()) {
      if (s.endpoint !== endpoint) continue;
      topic.subscriptions.delete(s.arn);
      this.subs.delete(s.arn);
      return true;
    }
    return false;
  }

  /** Publishes and fans out; returns the message id. */
  publish(p: PublishInput): string {
    const topic = this.topics.get(p.topicArn);
    if (topic === undefined) throw new SnsError(404, 'NotFound', 'Topic does not exist');
    let lambdaMessage = p.message;
    if (p.messageStructure !== undefined) {
      if (p.messageStructure !== 'json') throw invalid("MessageStructure: only 'json' is supported");
      let obj: unknown;
      try {
        obj = JSON.parse(p.message);
      } catch {
        throw invalid('Message Structure - JSON message body failed to parse');
      }
      if (
        obj === null ||
        typeof obj !== 'object' ||
        Array.isArray(obj) ||
        typeof (obj as Record<string, unknown>)['default'] !== 'string'
      ) {
        throw invalid('Message Structure - No default entry in JSON message body');
      }
      const o = obj as Record<string, unknown>;
      lambdaMessage = typeof o['lambda'] === 'string' ? (o['lambda'] as string) : (o['default'] as string);
    }
    const messageId = randomUUID();
    const timestamp = new Date().toISOString();
    let parsedBody: unknown;
    let bodyParsed = false;
    for (const sub of topic.subscriptions.values()) {
      if (sub.filterPolicy !== undefined) {
        let ok: boolean;
        if (sub.filterPolicyScope === 'MessageBody') {
          if (!bodyParsed) {
            bodyParsed = true;
            try {
              parsedBody = JSON.parse(lambdaMessage);
            } catch {
              parsedBody = undefined;
            }
          }
          ok = matchesBody(sub.filterPolicy as never, parsedBody);
        } else ok = matchesAttributes(sub.filterPolicy as never, p.attributes);
        if (!ok) continue;
      }
      this.deliver(sub, topic, messageId, timestamp, lambdaMessage, p);
    }
    return messageId;
  }

  private deliver(
    sub: Subscription,
    topic: Topic,
    messageId: string,
    timestamp: string,
    message: string,
    p: PublishInput,
  ): void {
    const endpoint = this.endpoint();
    const event = {
      Records: [
        {
          EventVersion: '1.0',
          EventSubscriptionArn: sub.arn,
          EventSource: 'aws:sns',
          Sns: {
            SignatureVersion: '1',
            Timestamp: timestamp,
            Signature: randomBytes(64).toString('base64'),
            SigningCertUrl: `${endpoint}/SimpleNotificationService-local.pem`,
            MessageId: messageId,
            Message: message,
            MessageAttributes: p.attributes,
            Type: 'Notification',
            UnsubscribeUrl: `${endpoint}/?Action=Unsubscribe&SubscriptionArn=${encodeURIComponent(sub.arn)}`,
            TopicArn: topic.arn,
            Subject: p.subject ?? null,
          },
        },
      ],
    };
    const payload = JSON.stringify(event);
    const arn = LAMBDA_ARN_RE.exec(sub.endpoint);
    const name = arn?.[4] ?? '';
    // Only an ARN of this mesh's partition, region and account is a local function.
    const here = arn?.[1] === 'aws' && arn[2] === this.core.region && arn[3] === this.core.account;
    const fn = here ? this.core.byName.get(name) : undefined;
    const pool = fn === undefined ? undefined : this.core.pools.get(fn.name);
    const meta = {
      requestId: randomUUID(),
      source: 'sns' as const,
      topicArn: topic.arn,
      subscriptionArn: sub.arn,
      messageId,
      ...(p.traceId === undefined ? {} : { traceId: p.traceId }),
      ...snsTraceContext(p.attributes),
    };
    if (fn === undefined || pool === undefined) {
      // A client-side delivery failure goes to the dead letters at once, as in SNS.
      this.core.deadLetter({ name, arn: sub.endpoint }, payload, meta, 1, {
        errorType: 'ResourceNotFoundException',
        errorMessage: `Function not found: ${sub.endpoint}`,
      });
      return;
    }
    this.core.enqueueAsync(pool, payload, meta);
  }

  // ---- wire ----

  handle(ctx: RequestCtx, form: Map<string, string>) {
    const action = form.get('Action') ?? '';
    try {
      switch (action) {
        case 'CreateTopic':
          return this.wireCreateTopic(ctx, form);
        case 'DeleteTopic':
          return this.wireDeleteTopic(ctx, form);
        case 'ListTopics':
          return this.wireListTopics(ctx, form);
        case 'GetTopicAttributes':
          return this.wireGetTopicAttributes(ctx, form);
        case 'Subscribe':
          return this.wireSubscribe(ctx, form);
        case 'Unsubscribe':
          return this.wireUnsubscribe(ctx, form);
        case 'ListSubscriptions':
          return this.wireListSubscriptions(ctx, form, undefined);
        case 'ListSubscriptionsByTopic':
          return this.wireListSubscriptions(ctx, form, required(form, 'TopicArn'));
        case 'Publish':
          return this.wirePublish(ctx, form);
        case 'PublishBatch':
          return this.wirePublishBatch(ctx, form);
        case 'GetSubscriptionAttributes':
          return this.wireGetSubscriptionAttributes(ctx, form);
        case 'SetSubscriptionAttributes':
          return this.wireSetSubscriptionAttributes(ctx, form);
        case 'ListTagsForResource':
          return this.wireListTagsForResource(ctx, form);
        default:
          throw new SnsError(
            400,
            'InvalidAction',
            `The action ${action.slice(0, 100)} is not valid for this web service.`,
          );
      }
    } catch (err) {
      if (err instanceof SnsError)
        return sendQueryError(ctx.res, ctx.requestId, SNS_XMLNS, err.status, err.code, err.message);
      throw err;
    }
  }

  private check(ctx: RequestCtx, action: string, resource: string): void {
    const d = this.core.authorize(ctx.principal, action, resource);
    if (d !== undefined) throw new SnsError(403, 'AuthorizationError', d.message);
  }

  private ok(ctx: RequestCtx, action: string, inner: string): void {
    sendQueryResult(ctx.res, ctx.requestId, SNS_XMLNS, action, inner);
  }

  private wireCreateTopic(ctx: RequestCtx, form: Map<string, string>): void {
    const name = required(form, 'Name');
    this.check(ctx, 'sns:CreateTopic', this.topicArn(name));
    const t = this.createTopic(name, mapEntries(form, 'Attributes'));
    this.ok(ctx, 'CreateTopic', `<TopicArn>${xmlEscape(t.arn)}</TopicArn>`);
  }

  private wireDeleteTopic(ctx: RequestCtx, form: Map<string, string>): void {
    const arn = required(form, 'TopicArn');
    this.check(ctx, 'sns:DeleteTopic', arn);
    const t = this.topics.get(arn);
    if (t) for (const s of t.subscriptions.keys()) this.subs.delete(s);
    this.topics.delete(arn);
    this.ok(ctx, 'DeleteTopic', '');
  }

  private wireListTopics(ctx: RequestCtx, form: Map<string, string>): void {
    this.check(ctx, 'sns:ListTopics', `arn:aws:sns:${this.core.region}:${this.core.account}:*`);
    const all = [...this.topics.values()];
    const start = pageStart(form.get('NextToken'), all.length);
    const page = all.slice(start, start + 100);
    const next = start + 100 < all.length ? `<NextToken>${encodeToken(start + 100)}</NextToken>` : '';
    this.ok(
      ctx,
      'ListTopics',
      `<Topics>${page.map((t) => `<member><TopicArn>${xmlEscape(t.arn)}</TopicArn></member>`).join('')}</Topics>${next}`,
    );
  }

  private wireGetTopicAttributes(ctx: RequestCtx, form: Map<string, string>): void {
    const arn = required(form, 'TopicArn');
    this.check(ctx, 'sns:GetTopicAttributes', arn);
    const t = this.topics.get(arn);
    if (t === undefined) throw new SnsError(404, 'NotFound', 'Topic does not exist');
    const attrs: Record<string, string> = {
      TopicArn: t.arn,
      Owner: this.core.account,
      DisplayName: '',
      SubscriptionsConfirmed: String(t.subscriptions.size),
      SubscriptionsPending: '0',
      SubscriptionsDeleted: '0',
      ...t.attributes,
    };
    this.ok(
      ctx,
      'GetTopicAttributes',
      `<Attributes>${Object.entries(attrs)
        .map(([k, v]) => `<entry><key>${xmlEscape(k)}</key><value>${xmlEscape(v)}</value></entry>`)
        .join('')}</Attributes>`,
    );
  }

  private wireSubscribe(ctx: RequestCtx, form: Map<string, string>): void {
    const topicArn = required(form, 'TopicArn');
    const protocol = required(form, 'Protocol');
    const endpoint = form.get('Endpoint') ?? '';
    if (!SNS_ARN_RE.test(topicArn)) throw invalid('TopicArn');
    this.check(ctx, 'sns:Subscribe', topicArn);
    const sub = this.subscribe(topicArn, protocol, endpoint, mapEntries(form, 'Attributes'));
    this.ok(ctx, 'Subscribe', `<SubscriptionArn>${xmlEscape(sub.arn)}</SubscriptionArn>`);
  }

  private wireUnsubscribe(ctx: RequestCtx, form: Map<string, string>): void {
    const arn = required(form, 'SubscriptionArn');
    const sub = this.subs.get(arn);
    if (sub === undefined) throw new SnsError(404, 'NotFound', 'Subscription does not exist');
    this.check(ctx, 'sns:Unsubscribe', sub.topicArn);
    this.subs.delete(arn);
    this.topics.get(sub.topicArn)?.subscriptions.delete(arn);
    this.ok(ctx, 'Unsubscribe', '');
  }

  private wireListSubscriptions(ctx: RequestCtx, form: Map<string, string>, topicArn: string | undefined): void {
    let all: Subscription[];
    if (topicArn !== undefined) {
      this.check(ctx, 'sns:ListSubscriptionsByTopic', topicArn);
      const t = this.topics.get(topicArn);
      if (t === undefined) throw new SnsError(404, 'NotFound', 'Topic does not exist');
      all = [...t.subscriptions.values()];
    } else {
      this.check(ctx, 'sns:ListSubscriptions', '*');
      all = [...this.subs.values()];
    }
    const start = pageStart(form.get('NextToken'), all.length);
    const page = all.slice(start, start + 100);
    const next = start + 100 < all.length ? `<NextToken>${encodeToken(start + 100)}</NextToken>` : '';
    const members = page
      .map(
        (s) =>
          `<member><TopicArn>${xmlEscape(s.topicArn)}</TopicArn><Protocol>lambda</Protocol><SubscriptionArn>${xmlEscape(s.arn)}</SubscriptionArn>` +
          `<Owner>${this.core.account}</Owner><Endpoint>${xmlEscape(s.endpoint)}</Endpoint></member>`,
      )
      .join('');
    this.ok(
      ctx,
      topicArn === undefined ? 'ListSubscriptions' : 'ListSubscriptionsByTopic',
      `<Subscriptions>${members}</Subscriptions>${next}`,
    );
  }

  private topicOf(form: Map<string, string>): string {
    const arn = form.get('TopicArn') ?? form.get('TargetArn');
    if (arn === undefined || arn === '') {
      if (form.has('PhoneNumber')) throw invalid('PhoneNumber: the local mesh does not send SMS');
      throw invalid('TopicArn or TargetArn Reason: no value for required parameter');
    }
    if (!SNS_ARN_RE.test(arn)) throw invalid('TopicArn');
    return arn;
  }

  private parsePublish(
    form: Map<string, string>,
    prefix: string,
    topicArn: string,
    traceId: string | undefined,
  ): PublishInput {
    const message = form.get(`${prefix}Message`);
    if (message === undefined || message.length === 0) throw invalid('Empty message');
    const subject = form.get(`${prefix}Subject`);
    if (subject !== undefined && (subject.length === 0 || subject.length >= 100 || !/^[\x20-\x7E]*$/.test(subject))) {
      throw invalid('Subject');
    }
    const attributes = messageAttributes(form, `${prefix}MessageAttributes`);
    let size = Buffer.byteLength(message);
    for (const [k, v] of Object.entries(attributes))
      size += Buffer.byteLength(k) + Buffer.byteLength(v.Type) + Buffer.byteLength(v.Value);
    if (size > SNS_MESSAGE_LIMIT) throw invalid('Message too long');
    const structure = form.get(`${prefix}MessageStructure`);
    return {
      topicArn,
      message,
      attributes,
      ...(subject === undefined ? {} : { subject }),
      ...(structure === undefined ? {} : { messageStructure: structure }),
      ...(traceId === undefined ? {} : { traceId }),
    };
  }

  private wirePublish(ctx: RequestCtx, form: Map<string, string>): void {
    const topicArn = this.topicOf(form);
    this.check(ctx, 'sns:Publish', topicArn);
    if (!this.topics.has(topicArn)) throw new SnsError(404, 'NotFound', 'Topic does not exist');
    const trace = ctx.req.headers['x-amzn-trace-id'];
    const input = this.parsePublish(form, '', topicArn, typeof trace === 'string' ? trace : undefined);
    const id = this.publish(input);
    this.ok(ctx, 'Publish', `<MessageId>${id}</MessageId>`);
  }

  private wirePublishBatch(ctx: RequestCtx, form: Map<string, string>): void {
    const topicArn = this.topicOf(form);
    this.check(ctx, 'sns:Publish', topicArn);
    if (!this.topics.has(topicArn)) throw new SnsError(404, 'NotFound', 'Topic does not exist');
    const indices = new Set<number>();
    for (const k of form.keys()) {
      const m = /^PublishBatchRequestEntries\.member\.(\d+)\./.exec(k);
      if (m) indices.add(Number(m[1]));
    }
    const sorted = [...indices].sort((a, b) => a - b);
    if (sorted.length === 0)
      throw new SnsError(400, 'EmptyBatchRequest', "The batch request doesn't contain any entries.");
    if (sorted.length > 10) {
      throw new SnsError(
        400,
        'TooManyEntriesInBatchRequest',
        'The batch request contains more entries than permissible.',
      );
    }
    const ids = sorted.map((i) => form.get(`PublishBatchRequestEntries.member.${i}.Id`) ?? '');
    if (new Set(ids).size !== ids.length) {
      throw new SnsError(400, 'BatchEntryIdsNotDistinct', 'Two or more batch entries in the request have the same Id.');
    }
    let total = 0;
    for (const i of sorted)
      total += Buffer.byteLength(form.get(`PublishBatchRequestEntries.member.${i}.Message`) ?? '');
    if (total > SNS_MESSAGE_LIMIT) {
      throw new SnsError(
        400,
        'BatchRequestTooLong',
        'The length of all the messages put together is more than the limit.',
      );
    }
    const trace = ctx.req.headers['x-amzn-trace-id'];
    const ok: string[] = [];
    const failed: string[] = [];
    for (const [n, i] of sorted.entries()) {
      const id = ids[n]!;
      if (!BATCH_ID_RE.test(id))
        throw new SnsError(
          400,
          'InvalidBatchEntryId',
          "The Id of a batch entry in a batch request doesn't abide by the specification.",
        );
      try {
        const input = this.parsePublish(
          form,
          `PublishBatchRequestEntries.member.${i}.`,
          topicArn,
          typeof trace === 'string' ? trace : undefined,
        );
        const mid = this.publish(input);
        ok.push(`<member><Id>${xmlEscape(id)}</Id><MessageId>${mid}</MessageId></member>`);
      } catch (err) {
        if (!(err instanceof SnsError)) throw err;
        failed.push(
          `<member><Id>${xmlEscape(id)}</Id><Code>${err.code}</Code><Message>${xmlEscape(err.message)}</Message><SenderFault>true</SenderFault></member>`,
        );
      }
    }
    this.ok(ctx, 'PublishBatch', `<Successful>${ok.join('')}</Successful><Failed>${failed.join('')}</Failed>`);
  }

  // ---- read-back (GetSubscriptionAttributes, SetSubscriptionAttributes, ListTagsForResource) ----

  private get readBack(): SnsReadBack {
    return new SnsReadBack(this, this.subs, this.core.account);
  }

  private entries(attrs: Record<string, string>): string {
    return Object.entries(attrs)
      .map(([k, v]) => `<entry><key>${xmlEscape(k)}</key><value>${xmlEscape(v)}</value></entry>`)
      .join('');
  }

  private wireGetSubscriptionAttributes(ctx: RequestCtx, form: Map<string, string>): void {
    const rb = this.readBack;
    const sub = rb.subscription(form);
    this.check(ctx, 'sns:GetSubscriptionAttributes', sub.topicArn);
    this.ok(ctx, 'GetSubscriptionAttributes', `<Attributes>${this.entries(rb.attributes(sub))}</Attributes>`);
  }

  private wireSetSubscriptionAttributes(ctx: RequestCtx, form: Map<string, string>): void {
    const rb = this.readBack;
    const sub = rb.subscription(form);
    const name = required(form, 'AttributeName');
    this.check(ctx, 'sns:SetSubscriptionAttributes', sub.topicArn);
    rb.set(sub, name, form.get('AttributeValue') ?? '');
    this.ok(ctx, 'SetSubscriptionAttributes', '');
  }

  private wireListTagsForResource(ctx: RequestCtx, form: Map<string, string>): void {
    const t = this.readBack.topicForTags(form);
    this.check(ctx, 'sns:ListTagsForResource', t.arn);
    // Topics of the local mesh carry no tags (svc-mesh sets none); the answer has SNS's shape.
    this.ok(ctx, 'ListTagsForResource', '<Tags></Tags>');
  }
}

/**
 * Read-back of subscriptions and tags (svc-codegen doctor, and users' own checks): kept apart from
 * the delivery code above. Shapes and errors as SNS answers them (docs/local-mesh.md).
 */
class SnsReadBack {
  constructor(
    private readonly sns: SnsService,
    private readonly subs: Map<string, Subscription>,
    private readonly account: string,
  ) {}

  subscription(form: Map<string, string>): Subscription {
    const arn = required(form, 'SubscriptionArn');
    if (!/^arn:aws[\w-]*:sns:[\w-]+:\d{12}:[\w.-]+:[0-9a-f-]{36}$/.test(arn)) throw invalid('SubscriptionArn');
    const sub = this.subs.get(arn);
    if (sub === undefined) throw new SnsError(404, 'NotFound', 'Subscription does not exist');
    return sub;
  }

  attributes(sub: Subscription): Record<string, string> {
    const a: Record<string, string> = {
      ConfirmationWasAuthenticated: 'true',
      PendingConfirmation: 'false',
      Owner: this.account,
      RawMessageDelivery: sub.attributes['RawMessageDelivery'] ?? 'false',
      TopicArn: sub.topicArn,
      Endpoint: sub.endpoint,
      Protocol: sub.protocol,
      SubscriptionArn: sub.arn,
      SubscriptionPrincipal: `arn:aws:iam::${this.account}:root`,
    };
    if (sub.filterPolicy !== undefined) {
      a['FilterPolicy'] = sub.attributes['FilterPolicy'] ?? JSON.stringify(sub.filterPolicy);
      a['FilterPolicyScope'] = sub.filterPolicyScope;
    }
    for (const k of ['RedrivePolicy', 'DeliveryPolicy']) if (sub.attributes[k] !== undefined) a[k] = sub.attributes[k]!;
    return a;
  }

  /** SetSubscriptionAttributes: FilterPolicy (empty removes it), FilterPolicyScope, RawMessageDelivery, RedrivePolicy, DeliveryPolicy. */
  set(sub: Subscription, name: string, value: string): void {
    if (name === 'FilterPolicy') {
      if (value === '') {
        delete sub.filterPolicy;
        delete sub.attributes['FilterPolicy'];
        return;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        throw invalid('FilterPolicy: failed to parse JSON');
      }
      const e = validateFilterPolicy(parsed);
      if (e) throw invalid(`FilterPolicy: ${e}`);
      sub.filterPolicy = parsed as Record<string, unknown>;
      sub.attributes['FilterPolicy'] = value;
    } else if (name === 'FilterPolicyScope') {
      if (value !== 'MessageAttributes' && value !== 'MessageBody')
        throw invalid('Attributes Reason: FilterPolicyScope');
      sub.filterPolicyScope = value;
      sub.attributes['FilterPolicyScope'] = value;
    } else if (name === 'RawMessageDelivery') {
      if (value !== 'true' && value !== 'false') throw invalid('Attributes Reason: RawMessageDelivery');
      sub.attributes[name] = value;
    } else if (name === 'RedrivePolicy' || name === 'DeliveryPolicy') {
      sub.attributes[name] = value;
    } else {
      throw invalid('AttributeName');
    }
  }

  topicForTags(form: Map<string, string>): Topic {
    const arn = required(form, 'ResourceArn');
    if (!SNS_ARN_RE.test(arn)) throw invalid('ResourceArn');
    const t = this.sns.topics.get(arn);
    if (t === undefined) throw new SnsError(404, 'ResourceNotFound', 'Resource does not exist');
    return t;
  }
}

/** Sets an untrusted key as an own property (`__proto__` would otherwise replace the prototype). */
function setOwn<T>(o: Record<string, T>, k: string, v: T): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

function required(form: Map<string, string>, key: string): string {
  const v = form.get(key);
  if (v === undefined || v === '') throw invalid(`${key} Reason: no value for required parameter`);
  return v;
}

/** `Attributes.entry.N.key` / `.value` (lowercase, awsQuery maps). */
function mapEntries(form: Map<string, string>, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of form) {
    const m = new RegExp(`^${prefix}\\.entry\\.(\\d+)\\.key$`).exec(k);
    if (m) setOwn(out, v, form.get(`${prefix}.entry.${m[1]}.value`) ?? '');
  }
  return out;
}

function messageAttributes(form: Map<string, string>, prefix: string): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  const esc = prefix.replace(/\./g, '\\.');
  const re = new RegExp(`^${esc}\\.entry\\.(\\d+)\\.Name$`);
  for (const [k, name] of form) {
    const m = re.exec(k);
    if (!m) continue;
    const base = `${prefix}.entry.${m[1]}.Value`;
    if (!ATTR_NAME_RE.test(name) || name.startsWith('.') || name.endsWith('.') || /^(AWS\.|Amazon\.)/i.test(name)) {
      throw new SnsError(
        400,
        'ParameterValueInvalid',
        `The message attribute name '${name.slice(0, 300)}' is invalid.`,
      );
    }
    const type = form.get(`${base}.DataType`);
    if (type === undefined || type === '') {
      throw new SnsError(
        400,
        'ParameterValueInvalid',
        `The message attribute '${name}' must contain a non-empty message attribute type.`,
      );
    }
    const t = type.split('.')[0];
    if (type.startsWith('String.Array')) {
      const v = form.get(`${base}.StringValue`) ?? '';
      let arr: unknown;
      try {
        arr = JSON.parse(v);
      } catch {
        arr = undefined;
      }
      if (!Array.isArray(arr)) {
        throw new SnsError(
          400,
          'ParameterValueInvalid',
          `The message attribute '${name}' with type 'String.Array' must contain a JSON array.`,
        );
      }
      setOwn(out, name, { Type: type, Value: v });
    } else if (t === 'String' || t === 'Number') {
      const v = form.get(`${base}.StringValue`);
      if (v === undefined || v === '') {
        throw new SnsError(
          400,
          'ParameterValueInvalid',
          `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${t}'.`,
        );
      }
      if (t === 'Number' && !/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(v.trim())) {
        throw new SnsError(
          400,
          'ParameterValueInvalid',
          `An invalid or out-of-range value '${v.slice(0, 100)}' was supplied for the message attribute '${name}' of type 'Number'.`,
        );
      }
      setOwn(out, name, { Type: type, Value: v });
    } else if (t === 'Binary') {
      const v = form.get(`${base}.BinaryValue`);
      if (v === undefined || v === '') {
        throw new SnsError(
          400,
          'ParameterValueInvalid',
          `The message attribute '${name}' must contain non-empty message attribute value for message attribute type 'Binary'.`,
        );
      }
      setOwn(out, name, { Type: type, Value: v });
    } else {
      throw new SnsError(
        400,
        'ParameterValueInvalid',
        `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`,
      );
    }
  }
  return out;
}

function encodeToken(n: number): string {
  return Buffer.from(`svc-mesh:${n}`).toString('base64');
}
function pageStart(token: string | undefined, total: number): number {
  if (token === undefined || token === '') return 0;
  const m = /^svc-mesh:(\d+)$/.exec(Buffer.from(token, 'base64').toString('utf8'));
  const n = m ? Number(m[1]) : Number.NaN;
  if (!Number.isInteger(n) || n < 0 || n > total) throw invalid('NextToken');
  return n;
}

/** The publisher's trace context from the message attributes, for the delivery's span. */
function snsTraceContext(attributes: unknown): { carrier?: { traceparent?: unknown; tracestate?: unknown } } {
  const carrier = snsCarrier(attributes);
  return carrier === undefined ? {} : { carrier };
}
