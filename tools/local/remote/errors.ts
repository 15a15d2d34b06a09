/**
 * Typed errors of the hybrid mode (`svc-mesh dev --remote`): each has a stable `code` and a
 * message that says what was wrong, where, and how to fix it.
 * @internal
 */

export class HybridError extends Error {
  override readonly name: string = 'HybridError';
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** No usable credentials for the remote account (none found, or an expired session). */
export class RemoteCredentialsError extends HybridError {
  override readonly name = 'RemoteCredentialsError';
  constructor(
    readonly profile: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      'REMOTE_NO_CREDENTIALS',
      `svc-mesh dev --remote: no usable AWS credentials for profile '${profile}' (${detail}). ` +
        `Nothing was sent. Sign in (e.g. \`aws sso login --profile ${profile}\`) or pick another profile with --profile, then start again.`,
      options,
    );
  }
}

/** A stage of the remote chain is protected (`prod` by default). */
export class ProtectedStageError extends HybridError {
  override readonly name = 'ProtectedStageError';
  constructor(readonly stage: string) {
    super(
      'REMOTE_PROTECTED_STAGE',
      `svc-mesh dev --remote: stage '${stage}' is protected (protected stages: see --protected-stages; 'prod' by default), ` +
        `so the hybrid mesh will not call its functions. Use a development stage (--stage-fallback dev), or add --force if you really mean it.`,
    );
  }
}

/** No stage of the chain has any discovery record, locally or remotely. */
export class NoDeployedRecordsError extends HybridError {
  override readonly name = 'NoDeployedRecordsError';
  constructor(
    readonly searchedLocally: string[],
    readonly searchedRemotely: string[],
    endpoint: string,
  ) {
    super(
      'REMOTE_NO_RECORDS',
      `svc-mesh dev --remote: the fallback stage has no deployed records. Searched locally: ${searchedLocally.join(', ') || '(none)'}; ` +
        `remotely at ${endpoint}: ${searchedRemotely.join(', ')} (SSM paths /svc-mesh/<stage>/). ` +
        'Deploy the team stage first, or name the stage it is deployed at with --stage-fallback <stage>.',
    );
  }
}

/** The remote endpoint could not be reached (connection refused, DNS, TLS, reset, timeout). */
export class RemoteUnreachableError extends HybridError {
  override readonly name = 'RemoteUnreachableError';
  constructor(
    readonly endpoint: string,
    readonly operation: string,
    detail: string,
    options?: { cause?: unknown; atStart?: boolean },
  ) {
    super(
      'REMOTE_UNREACHABLE',
      `svc-mesh dev --remote: ${operation} could not reach ${endpoint} (${detail}). ` +
        (options?.atStart === true
          ? 'Nothing was started; check the network/VPN or --remote-endpoint, and start again.'
          : 'Local functions keep serving; check the network/VPN or --remote-endpoint, and call again.'),
      options,
    );
  }
}

export const isHybridError = (e: unknown): e is HybridError => e instanceof HybridError;
