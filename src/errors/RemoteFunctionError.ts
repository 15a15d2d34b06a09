import { SvcMeshError } from './SvcMeshError.js';

/** What the caller knows about a remote function error. */
export interface RemoteFunctionErrorDetails {
  target: string;
  functionArn?: string | undefined;
  requestId?: string | undefined;
  /** The remote `errorType` (the thrown error's `name`), e.g. `CardDeclinedError`. */
  errorType: string;
  /** The remote `errorMessage`. */
  errorMessage: string;
  /** The remote stack, one line per entry, without svc-mesh's marker line. */
  remoteTrace: readonly string[];
  /** The callee's stable error `code`, when the callee is wrapped by `defineFunction`. */
  remoteCode?: string | undefined;
  /** Small JSON data the callee attached (`err.data`), when it is wrapped by `defineFunction`. */
  remoteData?: unknown;
  /** `Unhandled` (Node.js) or `Handled` (legacy runtimes). */
  functionError?: string | undefined;
}

/** Where a failure started: the innermost function's error, through every RemoteFunctionError hop. */
export interface RemoteFailureRoot {
  /** `service:function` that threw first. */
  target: string;
  errorType: string;
  /** Its message (at most 300 characters). */
  message: string;
  /** Its stable `code`, when it had one. */
  code?: string;
}

const SAID_ONCE =
  'The error was thrown inside the called function; see its logs or the remote trace on this error (`remoteTrace`).';
const SAID_ONCE_RE =
  /\.? The error was thrown inside the called function; see its logs or the remote trace on this error \(`remoteTrace`\)\.$/;
const ROOT_MESSAGE_LIMIT = 300;

function rootOf(d: RemoteFunctionErrorDetails): RemoteFailureRoot {
  const data = d.remoteData as { root?: Partial<RemoteFailureRoot> } | undefined;
  const r = d.errorType === 'RemoteFunctionError' && typeof data === 'object' && data !== null ? data.root : undefined;
  if (
    r !== undefined &&
    typeof r.target === 'string' &&
    typeof r.errorType === 'string' &&
    typeof r.message === 'string'
  ) {
    return {
      target: r.target,
      errorType: r.errorType,
      message: r.message,
      ...(typeof r.code === 'string' ? { code: r.code } : {}),
    };
  }
  const message = d.errorMessage.replace(SAID_ONCE_RE, '');
  return {
    target: d.target,
    errorType: d.errorType,
    message: message.length > ROOT_MESSAGE_LIMIT ? `${message.slice(0, ROOT_MESSAGE_LIMIT)}…` : message,
    ...(d.remoteCode === undefined ? {} : { code: d.remoteCode }),
  };
}

/**
 * Thrown when the called function itself failed: Lambda answered 200 with
 * `X-Amz-Function-Error`. Rebuilds the remote `errorType`, `errorMessage` and `trace`, and the
 * remote `code`/`data` when the callee is mesh-aware (see docs/wire-format.md).
 *
 * @example
 * ```ts
 * import { isRemoteFunctionError } from 'svc-mesh/errors';
 * try { await sdk.invoke('payments:charge', input); }
 * catch (err) { if (isRemoteFunctionError(err) && err.remoteCode === 'CARD_DECLINED') return { declined: true }; throw err; }
 * ```
 */
export class RemoteFunctionError extends SvcMeshError {
  override readonly name = 'RemoteFunctionError' as const;
  readonly target: string;
  readonly functionArn: string | undefined;
  readonly requestId: string | undefined;
  readonly errorType: string;
  readonly errorMessage: string;
  readonly remoteTrace: readonly string[];
  readonly remoteCode: string | undefined;
  readonly remoteData: unknown;
  /**
   * Where the failure started, however many functions passed it on: a RemoteFunctionError from a
   * callee that itself got one keeps the innermost target, type, message and code.
   */
  readonly root: RemoteFailureRoot;
  /** Carried across the next hop (the error marker's `data`), so the caller's caller still has `root`. */
  readonly data: { root: RemoteFailureRoot };
  constructor(d: RemoteFunctionErrorDetails) {
    const root = rootOf(d);
    const rid = d.requestId ? ` (request id ${d.requestId})` : '';
    // Each hop once, the closing sentence once: a nested message already names the hops below.
    const inner = d.errorMessage.replace(SAID_ONCE_RE, '');
    super(
      'REMOTE_FUNCTION_ERROR',
      d.errorType === 'RemoteFunctionError'
        ? `'${d.target}' failed${rid}: ${inner}. ${SAID_ONCE}`
        : `'${d.target}' failed with ${d.errorType}${d.remoteCode ? ` [${d.remoteCode}]` : ''}: ${inner}${rid}. ${SAID_ONCE}`,
    );
    this.root = root;
    this.data = { root };
    this.target = d.target;
    this.functionArn = d.functionArn;
    this.requestId = d.requestId;
    this.errorType = d.errorType;
    this.errorMessage = d.errorMessage;
    this.remoteTrace = d.remoteTrace;
    this.remoteCode = d.remoteCode;
    this.remoteData = d.remoteData;
    if (d.remoteTrace.length > 0 && this.stack) {
      this.stack += `\n    --- remote (${d.target}) ---\n${d.remoteTrace.join('\n')}`;
    }
  }

  override toJSON(): ReturnType<SvcMeshError['toJSON']> & {
    target: string;
    requestId: string | undefined;
    errorType: string;
    remoteCode: string | undefined;
    root: RemoteFailureRoot;
  } {
    return {
      ...super.toJSON(),
      target: this.target,
      requestId: this.requestId,
      errorType: this.errorType,
      remoteCode: this.remoteCode,
      root: this.root,
    };
  }
}

export function isRemoteFunctionError(err: unknown): err is RemoteFunctionError {
  return err instanceof Error && err.name === 'RemoteFunctionError';
}
