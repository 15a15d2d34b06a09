/**
 * `svc-mesh/events`: lifecycle events of subscribable functions (CloudEvents over SNS).
 *
 * @example
 * ```ts
 * import { defineSubscriber, decodeLifecycleEvent } from 'svc-mesh/events';
 * ```
 */
export { defineSubscriber } from './defineSubscriber.js';
export type { MeshSubscriber, SubscriberHandler } from './defineSubscriber.js';
export { decodeLifecycleEvent } from './decode.js';
export { isSnsEvent } from './sns.js';
export type { SnsRecordLike } from './sns.js';
export { buildLifecycleMessage } from './encode.js';
export type { LifecycleMessageInput, SnsMessage } from './encode.js';
export type { CloudEventBody, LifecycleError, LifecycleEvent } from './types.js';
export { SNS_MESSAGE_LIMIT, ATTR_TYPE } from './constants.js';
export { PublishError, isPublishError, InvalidEventError, isInvalidEventError } from './errors.js';
