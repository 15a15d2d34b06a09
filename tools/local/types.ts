/**
 * Public and internal types of the local mesh.
 */
import type { PolicyDocument } from '../../codegen/model.js';

/** A function the mesh runs, as resolved at start (from serverless.yml or given directly). */
export interface LocalFunction {
  service: string;
  /** The function key under `functions:`. */
  key: string;
  /** `service:key`. */
  target: string;
  stage: string;
  /** Physical Lambda name, e.g. `orders-dev-placeOrder`. */
  name: string;
  arn: string;
  handler: { raw: string; file: string | undefined; export: string };
  /** The task root: the service's directory. */
  dir: string;
  /** Seconds. */
  timeout: number;
  /** MB. */
  memorySize: number;
  reservedConcurrency?: number;
  /** The function's own variables: `environment:` plus codegen's SVC_MESH_* ones. */
  environment: Record<string, string>;
  /** The dummy access key its worker signs with (the IAM principal). */
  accessKeyId: string;
  roleName: string;
  policies: PolicyDocument[];
}

/** A function given to {@link StartLocalMeshOptions.functions} directly, without serverless.yml. */
export interface FunctionSpec {
  service: string;
  key: string;
  /** Absolute path of the handler file. */
  file: string;
  /** Export name (default `handler`). */
  export?: string;
  stage?: string;
  /** Physical name (default `{service}-{stage}-{key}`). */
  name?: string;
  timeout?: number;
  memorySize?: number;
  reservedConcurrency?: number;
  environment?: Record<string, string>;
  /** IAM policies for this function; without them, every checked call it makes is denied (when iam is on). */
  policies?: PolicyDocument[];
}

/** An event that could not be delivered, kept for inspection (`mesh.deadLetters()`, `GET /_mesh/dead-letters`). */
export interface DeadLetter {
  id: string;
  /** ISO time of the last attempt. */
  time: string;
  source: 'lambda:Event' | 'sns';
  functionName: string;
  functionArn: string;
  /** Attempts made (1 + retries). */
  attempts: number;
  /** Why it ended here: the last error, or e.g. "function not found". */
  error: { errorType: string; errorMessage: string };
  /** The event the function was (to be) invoked with: the user's input, unwrapped from svc-mesh's Event envelope. */
  payload: unknown;
  /** svc-mesh's Event envelope metadata (caller, trace context…), when the event came in one. */
  meta?: unknown;
  requestId: string;
  topicArn?: string;
  subscriptionArn?: string;
  messageId?: string;
}

/** One finished invocation, as `mesh.onInvoke` reports it. */
export interface InvocationRecord {
  requestId: string;
  functionName: string;
  target: string;
  type: 'RequestResponse' | 'Event';
  source: 'lambda' | 'sns';
  attempt: number;
  /** undefined on success. */
  errorType?: string;
  durationMs: number;
  coldStart: boolean;
}
