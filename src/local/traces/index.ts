/** OTLP collector, trace store, JSON API and viewer. (Implementation lands with the tracing issue.) */
export {};
