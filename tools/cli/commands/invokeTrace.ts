/**
 * `svc-mesh invoke` against the local mesh records its own root span, so the trace starts with
 * the command (`svc-mesh invoke <target>`) instead of a "(remote parent)" nobody recorded. Only
 * against a local mesh (it collects spans on its own port); against AWS, moto or LocalStack
 * nothing changes.
 * @internal
 */

/**
 * Runs `call` under a root span exported to the local mesh at `endpoint` (undefined: not a
 * mesh, just `call`); prints the trace id, and the command that shows it, to stderr.
 */
export async function withCliSpan<T>(endpoint: string | undefined, target: string, call: () => Promise<T>): Promise<T> {
  if (endpoint === undefined || (process.env['OTEL_SDK_DISABLED'] ?? '').toLowerCase() === 'true') return call();
  const { startTracing } = await import('svc-mesh/tracing');
  const { SpanKind, SpanStatusCode, trace } = await import('@opentelemetry/api');
  const tracing = startTracing({
    serviceName: 'svc-mesh-cli',
    endpoint,
    captureConsole: false,
    baggageAttributes: false,
  });
  const tracer = trace.getTracer('svc-mesh-cli');
  let traceId = '';
  try {
    return await tracer.startActiveSpan(`svc-mesh invoke ${target}`, { kind: SpanKind.INTERNAL }, async (span) => {
      traceId = span.spanContext().traceId;
      try {
        return await call();
      } catch (err) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message ?? String(err) });
        const code = (err as { code?: unknown }).code;
        if (typeof code === 'string') span.setAttribute('svcmesh.error.code', code);
        throw err;
      } finally {
        span.end();
      }
    });
  } finally {
    await tracing.shutdown().catch(() => undefined);
    if (traceId !== '') process.stderr.write(`trace ${traceId} (npx svc-mesh traces ${traceId.slice(0, 8)})\n`);
  }
}
