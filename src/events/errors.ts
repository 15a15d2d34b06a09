/** Errors thrown by lifecycle events (the classes live in src/errors; re-exported here by capability). */
export { PublishError, isPublishError } from '../errors/PublishError.js';
export { InvalidEventError, isInvalidEventError } from '../errors/InvalidEventError.js';
