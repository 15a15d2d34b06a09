import { DiscoveryRecordError } from './DiscoveryRecordError.js';

/** The target a caller resolved: whose record it asked for. */
export interface DiscoveryRecordIdentity {
  service: string;
  function: string;
  stage: string;
}

/**
 * Thrown when a discovery record is well-formed but is not the record of the target it was read
 * for: it names another service, function or stage (a record copied or written to the wrong
 * name), or it is a version-1 record, which names nothing, whose Lambda function is not the
 * target's default name. The call is refused; nothing is invoked. Code `INVALID_DISCOVERY_RECORD`.
 *
 * @example
 * ```ts
 * import { isInvalidDiscoveryRecordError } from 'svc-mesh/errors';
 * try { await sdk.invoke('payments:charge', input); }
 * catch (err) { if (isInvalidDiscoveryRecordError(err)) console.error(err.expected, err.found); throw err; }
 * ```
 */
export class InvalidDiscoveryRecordError extends DiscoveryRecordError {
  override readonly name = 'InvalidDiscoveryRecordError' as const;
  /** The target and stage the record was read for. */
  readonly expected: DiscoveryRecordIdentity;
  /** What the record says it is (version 2), or the Lambda function name it points at (version 1). */
  readonly found: Partial<DiscoveryRecordIdentity> & { functionArn: string };
  constructor(
    source: string,
    expected: DiscoveryRecordIdentity,
    found: Partial<DiscoveryRecordIdentity> & { functionArn: string },
    reason: string,
  ) {
    super(source, reason);
    this.expected = expected;
    this.found = found;
  }
}

export function isInvalidDiscoveryRecordError(err: unknown): err is InvalidDiscoveryRecordError {
  return err instanceof Error && err.name === 'InvalidDiscoveryRecordError';
}
