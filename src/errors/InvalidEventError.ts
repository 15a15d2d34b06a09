import { SvcMeshError } from './SvcMeshError.js';

/** Thrown by `defineSubscriber` / `decodeLifecycleEvent` when an incoming event is not a svc-mesh lifecycle event. */
export class InvalidEventError extends SvcMeshError {
  override readonly name = 'InvalidEventError' as const;
  constructor(reason: string) {
    super(
      'INVALID_EVENT',
      `Not a svc-mesh lifecycle event: ${reason}. A subscriber receives SNS records whose Message is the CloudEvents ` +
        'JSON published by a subscribable function (see docs/wire-format.md); check the subscription in serverless.yml ' +
        '(events: - function: {service, name, type}).',
    );
  }
}

export function isInvalidEventError(err: unknown): err is InvalidEventError {
  return err instanceof Error && err.name === 'InvalidEventError';
}
