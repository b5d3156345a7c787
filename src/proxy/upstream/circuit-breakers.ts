// CircuitBreakers: a cluster's DEFAULT-priority thresholds (circuit_breakers.thresholds) read from CDS.

import { arrayField, objectField, wrapped, type XdsObject } from "../config/xds-fields.js";

export interface CircuitBreakerThresholds {
  maxConnections: number;
  maxPendingRequests: number;
  maxRequests: number;
  maxRetries: number;
  trackRemaining: boolean;
}

/** Envoy's defaults: 1024 connections, pending and requests, 3 retries. */
export function parseCircuitBreakers(name: string, c: XdsObject): CircuitBreakerThresholds {
  const out: CircuitBreakerThresholds = { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3, trackRemaining: false };
  const cb = objectField(name, c, "circuit_breakers");
  if (!cb) return out;
  for (const t of arrayField(name, cb, "thresholds")) {
    if (t.priority !== undefined && t.priority !== "DEFAULT" && t.priority !== 0) continue;
    out.maxConnections = wrapped(t, "max_connections", 1024);
    out.maxPendingRequests = wrapped(t, "max_pending_requests", 1024);
    out.maxRequests = wrapped(t, "max_requests", 1024);
    out.maxRetries = wrapped(t, "max_retries", 3);
    out.trackRemaining = t.track_remaining === true;
    break;
  }
  return out;
}
