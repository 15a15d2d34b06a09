import type { LifecycleType } from '../internal/names.js';

/** The error carried by a `failed` event. */
export interface LifecycleError {
  /** The thrown error's `name` (`Sandbox.Timedout` when the function was about to time out). */
  type: string;
  message: string;
  /** The error's stable `code`, when it had one. */
  code?: string;
}

/**
 * A decoded lifecycle event, as a subscriber receives it.
 *
 * @example
 * ```ts
 * import { defineSubscriber } from 'svc-mesh';
 * export const onFailed = defineSubscriber<ChargeInput, ChargeOutput>(async (event) => {
 *   if (event.type === 'failed') console.log(event.source, event.error?.message, event.input);
 * });
 * ```
 */
export interface LifecycleEvent<I = unknown, O = unknown> {
  /** CloudEvents id: unique per event; use it to deduplicate (SNS delivers at least once). */
  id: string;
  type: LifecycleType;
  /** The function that ran, `service:function`. */
  source: string;
  stage: string;
  /** ISO-8601 time of the event. */
  time: string;
  /** Lambda request id of the run. */
  requestId: string;
  /** The run's input (undefined when left out for size: see `truncated`). */
  input: I;
  /** The result (`success` only). */
  result?: O;
  /** The error (`failed` only). */
  error?: LifecycleError;
  /** Run time in ms (`success` and `failed`). */
  durationMs?: number;
  /** Fields left out because the message would exceed SNS's 256 KiB, e.g. `['input']`. */
  truncated?: string[];
}

/** The CloudEvents 1.0 structured JSON body published to SNS. */
export interface CloudEventBody {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time: string;
  datacontenttype: 'application/json';
  traceparent?: string;
  tracestate?: string;
  data: {
    requestId: string;
    input?: unknown;
    result?: unknown;
    error?: LifecycleError;
    durationMs?: number;
    truncated?: string[];
  };
}
