/** Tracing names and attribute keys used on svc-mesh spans (stable: the trace viewer relies on them). */
export const TRACER_NAME = 'svc-mesh';
/** `sync` | `async` | `event`: how the hop was made. */
export const ATTR_HOP = 'svcmesh.hop';
export const ATTR_TARGET = 'svcmesh.target';
export const ATTR_CALLER = 'svcmesh.caller';
export const ATTR_STAGE = 'svcmesh.stage';
export const ATTR_DISCOVERY_SOURCE = 'svcmesh.discovery.source';
export const ATTR_ATTEMPTS = 'svcmesh.attempts';
export const ATTR_ERROR_CODE = 'svcmesh.error.code';
export const ATTR_EVENT_TYPE = 'svcmesh.event.type';
