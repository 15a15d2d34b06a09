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
  constructor(d: RemoteFunctionErrorDetails) {
    super(
      'REMOTE_FUNCTION_ERROR',
      `'${d.target}' failed with ${d.errorType}${d.remoteCode ? ` [${d.remoteCode}]` : ''}: ${d.errorMessage}` +
        `${d.requestId ? ` (request id ${d.requestId})` : ''}. The error was thrown inside the called function; ` +
        'see its logs or the remote trace on this error (`remoteTrace`).',
    );
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
  } {
    return {
      ...super.toJSON(),
      target: this.target,
      requestId: this.requestId,
      errorType: this.errorType,
      remoteCode: this.remoteCode,
    };
  }
}

export function isRemoteFunctionError(err: unknown): err is RemoteFunctionError {
  return err instanceof Error && err.name === 'RemoteFunctionError';
}
