/** `svc-mesh/tracing`: opt-in OpenTelemetry Node SDK set-up. (Implementation lands with the tracing issue.) */
export {};
