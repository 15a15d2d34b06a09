/**
 * The per-invocation scope held in AsyncLocalStorage by `defineFunction`: the deadline budget
 * for nested calls and who "we" are.
 * @internal
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context } from '@opentelemetry/api';

export interface InvocationScope {
  /** Epoch ms by which this invocation must have answered. */
  readonly deadline: number;
  /** Lambda request id of this invocation. */
  readonly requestId: string;
  /** `svc:fn` of the mesh caller of this invocation, if any. */
  readonly caller: string | undefined;
  /**
   * The invocation's trace context. Kept here as well as in the OpenTelemetry context because
   * without a registered context manager `context.active()` is always empty, and the trace must
   * still pass through to nested calls.
   */
  readonly trace: Context;
}

export const invocationScope = new AsyncLocalStorage<InvocationScope>();

export function currentScope(): InvocationScope | undefined {
  return invocationScope.getStore();
}
