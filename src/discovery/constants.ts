/** SSM GetParameters accepts at most 10 names per request. */
export const SSM_BATCH_SIZE = 10;
/** Discovery retries of throttled or failed reads (after the first attempt). */
export const DISCOVERY_RETRIES = 2;
/** Time budget for one discovery read including its retries, in ms. */
export const DISCOVERY_BUDGET_MS = 3_000;
/** After serving a stale record, wait this long before hitting discovery again. */
export const STALE_GRACE_MS = 5_000;
