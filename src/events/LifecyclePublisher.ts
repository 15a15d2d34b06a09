import { type Context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { PublishError } from '../errors/PublishError.js';
import { SvcMeshError } from '../errors/SvcMeshError.js';
import {
  awsErrorMessage,
  awsErrorName,
  classifyAwsError,
  isAccessDenied,
  loadClassifier,
} from '../internal/awsErrors.js';
import { requireStage } from '../internal/config.js';
import type { LifecycleType } from '../internal/names.js';
import { withRetries } from '../internal/retry.js';
import type { Sdk } from '../invoke/Sdk.js';
import { ATTR_EVENT_TYPE, ATTR_HOP, ATTR_TARGET, TRACER_NAME } from '../tracing/constants.js';
import { type TraceCarrier, injectTraceContext } from '../tracing/propagation.js';
import { buildLifecycleMessage } from './encode.js';
import type { LifecycleError } from './types.js';

const tracer = trace.getTracer(TRACER_NAME);
const MAX_TRACED_BODY = 8_192;

/**
 * Whether lifecycle message bodies go on PRODUCER spans: `SVC_MESH_TRACE_PAYLOADS=1|true`, or
 * by default under the local mesh (`SVC_MESH_LOCAL=1`) where the trace viewer shows them.
 * Off in AWS unless asked for: payloads are user data, and the trace backend is another system.
 */
function tracePayloads(): boolean {
  const v = process.env['SVC_MESH_TRACE_PAYLOADS'];
  if (v !== undefined && v !== '') return v === '1' || v.toLowerCase() === 'true';
  return process.env['SVC_MESH_LOCAL'] === '1';
}

/** What one lifecycle event says about a run. */
export interface LifecycleRun {
  requestId: string;
  input?: unknown;
  result?: unknown;
  error?: LifecycleError;
  durationMs?: number;
  /** The invocation's attempt, when the platform says (the local mesh does; AWS Lambda does not). */
  attempt?: number;
  /** A `failed` sent before the deadline because the function was about to time out. */
  provisional?: boolean;
}

/**
 * Publishes a subscribable function's lifecycle events to its own SNS topics (from
 * `SVC_MESH_TOPICS`, else its own discovery record). The SNS client is loaded on first publish.
 * @internal
 */
export class LifecyclePublisher {
  readonly #sdk: Sdk;
  #topics: Promise<Partial<Record<LifecycleType, string>>> | undefined;

  constructor(sdk: Sdk) {
    this.#sdk = sdk;
  }

  /** The function's own topics (cached once found). */
  topics(): Promise<Partial<Record<LifecycleType, string>>> {
    const c = this.#sdk.config;
    if (c.topics !== undefined) return Promise.resolve(c.topics);
    this.#topics ??= (async () => {
      const self = c.self;
      if (self === undefined)
        throw new PublishError(
          '(unknown)',
          'start',
          undefined,
          'SVC_MESH_SERVICE and SVC_MESH_FUNCTION are not set, so the function cannot find its own topics',
        );
      const stage = requireStage(c, `the lifecycle topics of ${self}`);
      const where = await this.#sdk.resolver.resolve(self, stage);
      if (where.stage !== undefined && where.stage !== stage)
        throw new PublishError(
          self,
          'start',
          undefined,
          `its discovery record exists only in stage ${where.stage}, not ${stage}`,
        );
      if (!where.topics)
        throw new PublishError(
          self,
          'start',
          undefined,
          `its discovery record (${where.location}) has no topics; is it subscribable: true?`,
        );
      return where.topics;
    })();
    this.#topics.catch(() => (this.#topics = undefined));
    return this.#topics;
  }

  /** Publishes one event under a PRODUCER span child of `parent`. Throws {@link PublishError}. */
  async publish(type: LifecycleType, run: LifecycleRun, parent: Context): Promise<void> {
    const c = this.#sdk.config;
    const self = c.self ?? '(unknown)';
    const span = tracer.startSpan(`publish ${self} ${type}`, { kind: SpanKind.PRODUCER }, parent);
    if (span.isRecording())
      span.setAttributes({
        'messaging.system': 'aws_sns',
        'messaging.operation.type': 'send',
        'messaging.operation.name': 'publish',
        [ATTR_HOP]: 'event',
        [ATTR_TARGET]: self,
        [ATTR_EVENT_TYPE]: type,
      });
    let topicArn: string | undefined;
    try {
      if (c.service === undefined || c.function === undefined)
        throw new PublishError(self, type, undefined, 'SVC_MESH_SERVICE and SVC_MESH_FUNCTION are not set');
      const stage = requireStage(c, `the lifecycle events of ${self}`);
      topicArn = (await this.topics())[type];
      if (topicArn === undefined)
        throw new PublishError(
          self,
          type,
          undefined,
          `no topic ARN for '${type}' (SVC_MESH_TOPICS / discovery record)`,
        );
      if (span.isRecording()) span.setAttribute('messaging.destination.name', topicArn.split(':').pop() ?? topicArn);
      const carrier: TraceCarrier = {};
      injectTraceContext(trace.setSpan(parent, span), carrier);
      const msg = buildLifecycleMessage({
        type,
        stage,
        service: c.service,
        function: c.function,
        ...run,
        trace: carrier,
      });
      if (span.isRecording() && tracePayloads()) {
        // the CloudEvents body on the span, for the trace viewer's "payloads" (opt-in: it is user data)
        span.addEvent('svcmesh.lifecycle.message', {
          'svcmesh.event.body':
            msg.Message.length > MAX_TRACED_BODY ? `${msg.Message.slice(0, MAX_TRACED_BODY)}…` : msg.Message,
        });
      }
      const { client, commands } = await this.#sdk.clients.sns();
      const arn = topicArn;
      const out = await withRetries(
        () =>
          client.send(
            new commands.PublishCommand({
              TopicArn: arn,
              Message: msg.Message,
              MessageAttributes: msg.MessageAttributes,
            }),
          ),
        {
          retries: 2,
          baseMs: 50,
          deadline: Date.now() + 2_000,
          // Same event id on every attempt: subscribers deduplicate a repeat.
          shouldRetry: async (err) => {
            await loadClassifier();
            return classifyAwsError(err) !== 'fatal';
          },
        },
      );
      if (span.isRecording() && typeof out?.MessageId === 'string')
        span.setAttribute('messaging.message.id', out.MessageId);
      span.end();
    } catch (err) {
      const e =
        err instanceof SvcMeshError
          ? err
          : new PublishError(
              self,
              type,
              topicArn,
              `${isAccessDenied(err) ? 'access denied: ' : ''}${awsErrorName(err)}: ${awsErrorMessage(err)}`,
              { cause: err },
            );
      if (span.isRecording()) {
        span.recordException(e);
        span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
      }
      span.end();
      throw e;
    }
  }
}
