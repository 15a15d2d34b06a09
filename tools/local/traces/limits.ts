/**
 * What one span may weigh in the trace store (docs/security.md, "bounded memory"): limits in
 * the spirit of OpenTelemetry's span limits, applied when a span is stored. Whatever is cut is
 * counted on the span (`dropped`), never lost silently.
 * @internal
 */

/** Characters kept of one string (attribute value, span or event name, status message). */
export const MAX_STRING_CHARS = 16_384;
/** Attributes kept per span, event, link or resource (OpenTelemetry's default, 128). */
export const MAX_ATTRIBUTES = 128;
/** Events and links kept per span (OpenTelemetry's default, 128). */
export const MAX_EVENTS = 128;
export const MAX_LINKS = 128;
/** Nesting kept in array and kvlist values. */
export const MAX_DEPTH = 8;
/** Default byte budget of the whole store (estimated while converting spans, see `Tally`). */
export const DEFAULT_MAX_STORE_BYTES = 256 * 1024 * 1024;
/** OTLP requests decoded at the same time; more wait, and past `MAX_QUEUED_INGESTS` get 503. */
export const MAX_CONCURRENT_INGESTS = 2;
export const MAX_QUEUED_INGESTS = 64;

/** Counts of what a span lost to the limits. */
export interface DroppedCounts {
  attributes: number;
  events: number;
  links: number;
  /** String values (or names) cut to `MAX_STRING_CHARS`. */
  truncated: number;
}

export function noneDropped(): DroppedCounts {
  return { attributes: 0, events: 0, links: 0, truncated: 0 };
}

export function anyDropped(d: DroppedCounts): boolean {
  return d.attributes + d.events + d.links + d.truncated > 0;
}

/** What converting one span (or resource) cost: what it dropped, and its estimated bytes. */
export interface Tally {
  dropped: DroppedCounts;
  /** Estimated bytes kept: two a character of strings, plus a fixed overhead per value. */
  bytes: number;
}

export function newTally(): Tally {
  return { dropped: noneDropped(), bytes: 0 };
}

/** Cuts a string to the limit, counting the cut and the bytes kept. */
export function capString(s: string, t: Tally): string {
  if (s.length <= MAX_STRING_CHARS) {
    t.bytes += 16 + 2 * s.length;
    return s;
  }
  t.dropped.truncated++;
  t.bytes += 18 + 2 * MAX_STRING_CHARS;
  return `${s.slice(0, MAX_STRING_CHARS)}…`;
}

/** A counting semaphore with a bounded queue: `acquire` resolves false when the queue is full. */
export class IngestGate {
  private active = 0;
  private readonly queue: (() => void)[] = [];
  constructor(
    private readonly concurrency = MAX_CONCURRENT_INGESTS,
    private readonly maxQueued = MAX_QUEUED_INGESTS,
  ) {}
  acquire(): Promise<boolean> {
    if (this.active < this.concurrency) {
      this.active++;
      return Promise.resolve(true);
    }
    if (this.queue.length >= this.maxQueued) return Promise.resolve(false);
    return new Promise((r) =>
      this.queue.push(() => {
        this.active++;
        r(true);
      }),
    );
  }
  release(): void {
    this.active--;
    this.queue.shift()?.();
  }
}
