/**
 * The stable error codes of svc-mesh. A code never changes meaning once released;
 * match on `err.code`, never on the message.
 */
export const ERROR_CODES = {
  // runtime: target names and declarations
  INVALID_TARGET: { fault: 'caller', retryable: false },
  UNDECLARED_CALL: { fault: 'caller', retryable: false },
  AMBIGUOUS_TARGET: { fault: 'caller', retryable: false },
  UNNAMED_CALL: { fault: 'caller', retryable: false },
  INVALID_CONFIG: { fault: 'caller', retryable: false },
  MISSING_DEPENDENCY: { fault: 'caller', retryable: false },
  // runtime: discovery
  TARGET_NOT_FOUND: { fault: 'caller', retryable: false },
  INVALID_DISCOVERY_RECORD: { fault: 'callee', retryable: false },
  DISCOVERY_FAILED: { fault: 'callee', retryable: true },
  // runtime: invoke
  REMOTE_FUNCTION_ERROR: { fault: 'callee', retryable: false },
  INVOKE_TIMEOUT: { fault: 'callee', retryable: false },
  PAYLOAD_TOO_LARGE: { fault: 'caller', retryable: false },
  PAYLOAD_NOT_SERIALIZABLE: { fault: 'caller', retryable: false },
  THROTTLED: { fault: 'callee', retryable: true },
  ACCESS_DENIED: { fault: 'caller', retryable: false },
  ABORTED: { fault: 'caller', retryable: false },
  INVOKE_FAILED: { fault: 'callee', retryable: false },
  // runtime: resiliency (docs/resiliency.md)
  CIRCUIT_OPEN: { fault: 'callee', retryable: true },
  BULKHEAD_REJECTED: { fault: 'caller', retryable: true },
  // runtime: events
  PUBLISH_FAILED: { fault: 'callee', retryable: true },
  INVALID_EVENT: { fault: 'caller', retryable: false },
  // codegen
  CODEGEN_INVALID_INPUT: { fault: 'caller', retryable: false },
  CODEGEN_OUTPUT_FAILED: { fault: 'caller', retryable: false },
  CONTRACT_BREAKING_CHANGE: { fault: 'caller', retryable: false },
  POLICY_TOO_LARGE: { fault: 'caller', retryable: false },
  // local mesh
  LOCAL_MESH_START_FAILED: { fault: 'caller', retryable: false },
  PORT_IN_USE: { fault: 'caller', retryable: false },
} as const satisfies Record<string, { fault: 'caller' | 'callee'; retryable: boolean }>;

/** A stable svc-mesh error code. */
export type ErrorCode = keyof typeof ERROR_CODES;
