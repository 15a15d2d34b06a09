/**
 * The local trace service: OTLP/HTTP collector (JSON and protobuf), bounded trace store with
 * optional OTLP JSON-lines persistence, JSON API, live updates and the trace viewer.
 * The local mesh mounts it on its single port; `svc-mesh traces --serve` runs it alone.
 */
export { createTraceService, readPersisted } from './TraceService.js';
export type { TraceService, TraceServiceOptions } from './TraceService.js';
export {
  DEFAULT_LIST_LIMIT,
  DEFAULT_MAX_SPANS_PER_TRACE,
  DEFAULT_MAX_TRACES,
  MAX_LIST_LIMIT,
  serviceGraph,
  TraceStore,
} from './TraceStore.js';
export type {
  AttrValue,
  Attributes,
  Hop,
  OperationStats,
  ServiceEdge,
  ServiceGraph,
  ServiceNode,
  SpanEvent,
  SpanKindName,
  SpanLink,
  StoreListener,
  TraceDetail,
  TraceList,
  TraceQuery,
  TraceSpan,
  TraceStoreOptions,
  TraceSummary,
} from './TraceStore.js';
export { decodeJsonRequest, decodeProtobufRequest, normaliseRequest } from './otlp.js';
export { spansToOtlp } from './toOtlp.js';
export type { DecodedRequest, OtlpSpan, OtlpTraceRequest } from './otlp.js';
export { isTraceServiceError, TRACE_ERROR_CODES, TraceServiceError } from './errors.js';
export type { TraceErrorCode } from './errors.js';
