/**
 * `svc-mesh/tracing`: the opt-in OpenTelemetry set-up for a Lambda function (or any Node process).
 *
 * The runtime (`svc-mesh`) depends on `@opentelemetry/api` only and creates its spans through it;
 * nothing is recorded until an SDK is registered. `startTracing()` registers one: a Node tracer
 * provider with a batch span processor and an OTLP/HTTP (JSON) exporter, W3C trace
 * context + baggage propagation, and AWS X-Ray header support so a trace joins X-Ray when a team
 * uses it. `defineFunction` flushes it before each invocation returns.
 *
 * Why not `NodeSDK` from `@opentelemetry/sdk-node`: it reads a dozen `OTEL_*` variables to pick
 * exporters for metrics and logs too and loads their packages, which costs cold-start time in
 * Lambda for signals svc-mesh does not produce. The pieces below are the same ones NodeSDK wires
 * for traces.
 *
 * @example
 * ```ts
 * // first line of the handler module (or `node --import svc-mesh/tracing/register`)
 * import { startTracing } from 'svc-mesh/tracing';
 * startTracing({ serviceName: 'orders' });
 * ```
 */
import { format } from 'node:util';
import { type Context, diag, propagation, trace } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { AWSXRayPropagator } from '@opentelemetry/propagator-aws-xray';
import { isLoopbackEndpoint } from '../../internal/names.js';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  type IdGenerator,
  NodeTracerProvider,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';

/** The default local mesh port (`svc-mesh dev`). */
export const LOCAL_MESH_DEFAULT_ENDPOINT = 'http://127.0.0.1:4710';
/** The OTLP/HTTP default (an OpenTelemetry or ADOT collector next to the function). */
export const OTLP_DEFAULT_ENDPOINT = 'http://localhost:4318';

export interface StartTracingOptions {
  /** `service.name`. Default: `SVC_MESH_SERVICE`, else `OTEL_SERVICE_NAME`, else the Lambda function name. */
  serviceName?: string;
  /**
   * OTLP/HTTP base URL (`/v1/traces` is appended) or full traces URL (ending in `/v1/traces`).
   * Default: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, else `OTEL_EXPORTER_OTLP_ENDPOINT`, else the
   * local mesh when `AWS_ENDPOINT_URL` points at one on this machine, else `http://localhost:4318`.
   */
  endpoint?: string;
  /** Extra resource attributes. */
  resourceAttributes?: Record<string, string | number | boolean>;
  /** Replace the OTLP exporter (tests, or another backend); unused when `spanProcessor` is given. */
  exporter?: SpanExporter;
  /** Replace the batch processor entirely (e.g. a SimpleSpanProcessor in tests). */
  spanProcessor?: SpanProcessor;
  /** Trace and span id generator, e.g. `AWSXRayIdGenerator` when X-Ray needs X-Ray-format ids. */
  idGenerator?: IdGenerator;
  /**
   * Record `console.*` output as `log` events on the active span, so a trace shows each
   * function's logs where they happened. Default: `SVC_MESH_TRACE_LOGS` (`1`/`true`), else on
   * under the local mesh (`SVC_MESH_LOCAL=1`), else off (in AWS, logs already go to CloudWatch).
   */
  captureConsole?: boolean;
  /**
   * Copy W3C baggage entries onto every span as `baggage.<key>` attributes (at most 16 entries,
   * 256 characters each), so the viewer shows what travelled with the request. Default: on under
   * the local mesh (`SVC_MESH_LOCAL=1`), else off (baggage may carry data not meant for a backend).
   */
  baggageAttributes?: boolean;
  /** Environment to read (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
}

/** What `startTracing()` returns. */
export interface Tracing {
  /** The registered provider (undefined when tracing is disabled by `OTEL_SDK_DISABLED`). */
  readonly provider: NodeTracerProvider | undefined;
  /** The traces URL spans are exported to. */
  readonly endpoint: string;
  readonly serviceName: string;
  /** Exports every finished span now. */
  forceFlush(): Promise<void>;
  /** Flushes and unregisters; `startTracing()` may be called again afterwards. */
  shutdown(): Promise<void>;
}

let current: Tracing | undefined;

/** Resolves the traces URL: explicit option, then the OTEL variables, then the local mesh, then 4318. */
export function resolveTracesEndpoint(
  endpoint: string | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  const withPath = (base: string) => (/\/v1\/traces\/?$/.test(base) ? base : `${base.replace(/\/+$/, '')}/v1/traces`);
  if (endpoint) return withPath(endpoint);
  const tracesUrl = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'];
  if (tracesUrl) return tracesUrl; // used as is, per the OTLP exporter specification
  const base = env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  if (base) return withPath(base);
  const mesh = env['AWS_ENDPOINT_URL'];
  if (isLoopbackEndpoint(mesh)) return withPath(mesh);
  return withPath(OTLP_DEFAULT_ENDPOINT);
}

/**
 * Registers the OpenTelemetry SDK for this process. Idempotent: a second call returns the
 * first set-up. Never throws for configuration read from the environment: a bad value is
 * reported through the OpenTelemetry diag logger and the default is used.
 */
export function startTracing(opts: StartTracingOptions = {}): Tracing {
  if (current) return current;
  const env = opts.env ?? process.env;
  const serviceName =
    opts.serviceName ??
    env['SVC_MESH_SERVICE'] ??
    env['OTEL_SERVICE_NAME'] ??
    env['AWS_LAMBDA_FUNCTION_NAME'] ??
    'unknown_service:node';
  const endpoint = resolveTracesEndpoint(opts.endpoint, env);

  if ((env['OTEL_SDK_DISABLED'] ?? '').toLowerCase() === 'true') {
    current = {
      provider: undefined,
      endpoint,
      serviceName,
      forceFlush: async () => undefined,
      shutdown: async () => {
        current = undefined;
      },
    };
    return current;
  }

  const attrs: Record<string, string | number | boolean> = {
    'service.name': serviceName,
    'cloud.provider': 'aws',
    'telemetry.distro.name': 'svc-mesh',
  };
  const set = (k: string, v: string | number | undefined) => {
    if (v !== undefined && v !== '') attrs[k] = v;
  };
  set('faas.name', env['AWS_LAMBDA_FUNCTION_NAME']);
  set('faas.version', env['AWS_LAMBDA_FUNCTION_VERSION']);
  set('faas.instance', env['AWS_LAMBDA_LOG_STREAM_NAME']);
  const mem = Number(env['AWS_LAMBDA_FUNCTION_MEMORY_SIZE']);
  if (Number.isFinite(mem) && mem > 0) attrs['faas.max_memory'] = mem * 1024 * 1024;
  set('cloud.region', env['AWS_REGION']);
  if (env['AWS_LAMBDA_FUNCTION_NAME']) attrs['cloud.platform'] = 'aws_lambda';
  set('svcmesh.function', env['SVC_MESH_FUNCTION']);
  set('deployment.environment.name', env['SVC_MESH_STAGE']);
  Object.assign(attrs, opts.resourceAttributes);
  // OTEL_RESOURCE_ATTRIBUTES is read (as every SDK does), ours win on conflict
  const resource = detectResources({ detectors: [envDetector] }).merge(resourceFromAttributes(attrs));

  // A given span processor exports on its own: no OTLP exporter is built for it.
  const processor =
    opts.spanProcessor ??
    new BatchSpanProcessor(opts.exporter ?? new OTLPTraceExporter({ url: endpoint, timeoutMillis: 5_000 }), {
      // Lambda: defineFunction force-flushes per invocation; the timer only matters for long-lived processes
      scheduledDelayMillis: 1_000,
      maxExportBatchSize: 512,
      maxQueueSize: 4_096,
    });
  const baggageAttrs = opts.baggageAttributes ?? env['SVC_MESH_LOCAL'] === '1';
  const provider = new NodeTracerProvider({
    resource,
    spanProcessors: baggageAttrs ? [new BaggageAttributes(), processor] : [processor],
    ...(opts.idGenerator ? { idGenerator: opts.idGenerator } : {}),
  });
  provider.register({
    // X-Ray first: the W3C propagator runs after it and wins when both headers are present,
    // because only traceparent/tracestate carry the full W3C context (tracestate, flags).
    propagator: new CompositePropagator({
      propagators: [new AWSXRayPropagator(), new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
  });

  const logsFlag = env['SVC_MESH_TRACE_LOGS'];
  const captureConsole =
    opts.captureConsole ??
    (logsFlag !== undefined && logsFlag !== ''
      ? logsFlag === '1' || logsFlag.toLowerCase() === 'true'
      : env['SVC_MESH_LOCAL'] === '1');
  const restoreConsole = captureConsole ? patchConsole() : () => undefined;

  const handle: Tracing = {
    provider,
    endpoint,
    serviceName,
    forceFlush: () => provider.forceFlush(),
    async shutdown() {
      restoreConsole();
      try {
        await provider.shutdown();
      } finally {
        trace.disable();
        propagation.disable();
        if (current === handle) current = undefined;
      }
    },
  };
  current = handle;
  diag.debug(`svc-mesh tracing: ${serviceName} exports to ${endpoint}`);
  return handle;
}

/** Copies the parent context's baggage onto each span as `baggage.<key>` attributes. */
class BaggageAttributes implements SpanProcessor {
  onStart(span: Parameters<SpanProcessor['onStart']>[0], parentContext: Context): void {
    const bag = propagation.getBaggage(parentContext);
    if (!bag) return;
    let n = 0;
    for (const [key, entry] of bag.getAllEntries()) {
      if (n++ >= 16) break;
      span.setAttribute(`baggage.${key}`, entry.value.length > 256 ? `${entry.value.slice(0, 256)}…` : entry.value);
    }
  }
  onEnd(): void {}
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const MAX_LOG_CHARS = 4_096;
const SEVERITY: Record<string, string> = { debug: 'debug', info: 'info', log: 'info', warn: 'warn', error: 'error' };

/** Adds every console line to the active span as a `log` event; returns the undo. */
function patchConsole(): () => void {
  const originals = new Map<string, (...args: unknown[]) => void>();
  const con = console as unknown as Record<string, (...args: unknown[]) => void>;
  for (const [method, severity] of Object.entries(SEVERITY)) {
    const orig = con[method];
    if (typeof orig !== 'function') continue;
    originals.set(method, orig);
    con[method] = function (this: unknown, ...args: unknown[]) {
      try {
        const span = trace.getActiveSpan();
        if (span?.isRecording()) {
          const text = format(...args);
          span.addEvent('log', {
            'log.severity': severity,
            'log.message': text.length > MAX_LOG_CHARS ? `${text.slice(0, MAX_LOG_CHARS)}…` : text,
          });
        }
      } catch {
        // logging must never fail because of tracing
      }
      return orig.apply(this, args);
    };
  }
  return () => {
    for (const [method, orig] of originals) con[method] = orig;
  };
}

/** The running set-up, if `startTracing()` was called. */
export function getTracing(): Tracing | undefined {
  return current;
}
