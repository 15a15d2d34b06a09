import { InvalidEventError } from '../errors/InvalidEventError.js';
import { LIFECYCLE_TYPES, type LifecycleType, parseTarget } from '../internal/names.js';
import { EVENT_SOURCE_PREFIX, EVENT_TYPE_PREFIX } from './constants.js';
import { type SnsRecordLike, isSnsEvent } from './sns.js';
import type { LifecycleEvent } from './types.js';

/**
 * Decodes one SNS record (or an SNS event with one record) into a {@link LifecycleEvent}.
 * Throws {@link InvalidEventError} saying what is wrong.
 *
 * @example
 * ```ts
 * import { decodeLifecycleEvent } from 'svc-mesh/events';
 * const event = decodeLifecycleEvent(snsEvent.Records[0]);
 * ```
 */
export function decodeLifecycleEvent<I = unknown, O = unknown>(recordOrEvent: unknown): LifecycleEvent<I, O> {
  const record: SnsRecordLike | undefined = isSnsEvent(recordOrEvent)
    ? recordOrEvent.Records[0]
    : (recordOrEvent as SnsRecordLike | undefined);
  const message = record?.Sns?.Message;
  if (typeof message !== 'string') throw new InvalidEventError('the record has no Sns.Message string');
  let raw: unknown;
  try {
    raw = JSON.parse(message);
  } catch {
    throw new InvalidEventError(`Sns.Message is not JSON (starts with ${JSON.stringify(message.slice(0, 40))})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new InvalidEventError('Sns.Message is not a JSON object');
  // Own properties only: nothing inherited counts as part of the event.
  const ce = ownView(raw as Record<string, unknown>);
  if (ce['specversion'] !== '1.0')
    throw new InvalidEventError(`specversion is ${JSON.stringify(ce['specversion'])}, expected "1.0"`);
  const type =
    typeof ce['type'] === 'string' && ce['type'].startsWith(EVENT_TYPE_PREFIX)
      ? ce['type'].slice(EVENT_TYPE_PREFIX.length)
      : undefined;
  if (type === undefined || !(LIFECYCLE_TYPES as readonly string[]).includes(type))
    throw new InvalidEventError(`type ${JSON.stringify(ce['type'])} is not svc-mesh.function.start|success|failed`);
  const src = typeof ce['source'] === 'string' ? ce['source'] : '';
  const parts = src.startsWith(EVENT_SOURCE_PREFIX) ? src.slice(EVENT_SOURCE_PREFIX.length).split(':') : [];
  if (parts.length !== 3)
    throw new InvalidEventError(`source ${JSON.stringify(src)} is not svc-mesh:{stage}:{service}:{function}`);
  const [stage, service, fn] = parts as [string, string, string];
  let source: string;
  try {
    const t = parseTarget(`${service}:${fn}`);
    source = `${t.service}:${t.function}`;
  } catch {
    throw new InvalidEventError(`source ${JSON.stringify(src)} does not name a valid service:function`);
  }
  if (typeof ce['id'] !== 'string' || ce['id'].length === 0) throw new InvalidEventError('id is missing');
  const data = ce['data'];
  if (typeof data !== 'object' || data === null) throw new InvalidEventError('data is missing');
  const d = ownView(data as Record<string, unknown>);
  const event: LifecycleEvent<I, O> = {
    id: ce['id'],
    type: type as LifecycleType,
    source,
    stage,
    time: typeof ce['time'] === 'string' ? ce['time'] : '',
    requestId: typeof d['requestId'] === 'string' ? d['requestId'] : '',
    input: d['input'] as I,
  };
  if (Object.hasOwn(data, 'result')) event.result = d['result'] as O;
  const e = d['error'];
  if (e !== null && typeof e === 'object') {
    const err = ownView(e as Record<string, unknown>);
    event.error = { type: String(err['type'] ?? 'Error'), message: String(err['message'] ?? '') };
    if (typeof err['code'] === 'string') event.error.code = err['code'];
  }
  if (typeof d['durationMs'] === 'number') event.durationMs = d['durationMs'];
  if (typeof d['attempt'] === 'number' && Number.isInteger(d['attempt']) && d['attempt'] > 0)
    event.attempt = d['attempt'];
  if (d['provisional'] === true) event.provisional = true;
  if (Array.isArray(d['truncated'])) event.truncated = d['truncated'].filter((x): x is string => typeof x === 'string');
  return event;
}

/** A copy of `o`'s own enumerable properties on a null prototype (so `x[k]` never reads inherited values). */
function ownView(o: Record<string, unknown>): Record<string, unknown> {
  return Object.assign(Object.create(null) as Record<string, unknown>, o);
}
