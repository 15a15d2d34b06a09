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
  /**
   * Lambda request id of the invocation: the same on every event of one invocation, and on
   * every attempt of an async invocation (Lambda retries keep it; each attempt's events get new
   * `id`s). Deduplicate per invocation on `requestId`; per delivery on `id`.
   */
  requestId: string;
  /**
   * Which attempt of the invocation this is (1, then 2 and 3 for Lambda's async retries), when
   * the platform says so: the local mesh does; AWS Lambda does not expose it (absent there).
   */
  attempt?: number;
  /**
   * `true` on a `failed` event sent shortly before the deadline because the function was about
   * to time out (`error.type` `Sandbox.Timedout`). It is a forecast: if the function still
   * finished, its real `success` or `failed` follows with the same `requestId`, and the later
   * event is the truth. Without a later event, the function did time out.
   */
  provisional?: boolean;
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
    attempt?: number;
    provisional?: boolean;
    truncated?: string[];
  };
}
