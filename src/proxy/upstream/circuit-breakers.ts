// CircuitBreakers: a cluster's DEFAULT-priority thresholds (circuit_breakers.thresholds) read from CDS.

import { arrayField, invalid, objectField, wrapped, type XdsObject } from "../config/xds-fields.js";

export interface CircuitBreakerThresholds {
  maxConnections: number;
  maxPendingRequests: number;
  maxRequests: number;
  maxRetries: number;
  /** track_remaining: publish circuit_breakers.default.remaining_* gauges. */
  trackRemaining: boolean;
}

/** Envoy's defaults (resource_manager_impl / cluster_manager): 1024 connections, pending and requests, 3 retries. */
export const DEFAULT_THRESHOLDS: Readonly<CircuitBreakerThresholds> = Object.freeze({
  maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3, trackRemaining: false,
});

/**
 * The thresholds of priority DEFAULT (an entry without priority is DEFAULT). HIGH-priority thresholds are ignored:
 * Weft routes never ask for RoutingPriority HIGH. Limits are UInt32Values; a negative or fractional one is invalid.
 */
export function parseCircuitBreakers(name: string, c: XdsObject): CircuitBreakerThresholds {
  const out: CircuitBreakerThresholds = { ...DEFAULT_THRESHOLDS };
  const cb = objectField(name, c, "circuit_breakers");
  if (!cb) return out;
  for (const t of arrayField(name, cb, "thresholds")) {
    if (t.priority !== undefined && t.priority !== "DEFAULT" && t.priority !== 0) continue;
    out.maxConnections = limit(name, t, "max_connections", DEFAULT_THRESHOLDS.maxConnections);
    out.maxPendingRequests = limit(name, t, "max_pending_requests", DEFAULT_THRESHOLDS.maxPendingRequests);
    out.maxRequests = limit(name, t, "max_requests", DEFAULT_THRESHOLDS.maxRequests);
    out.maxRetries = limit(name, t, "max_retries", DEFAULT_THRESHOLDS.maxRetries);
    out.trackRemaining = t.track_remaining === true;
    break;
  }
  return out;
}

function limit(name: string, t: XdsObject, key: string, fallback: number): number {
  const v = wrapped(t, key, fallback);
  if (!Number.isInteger(v) || v < 0) invalid(name, `circuit_breakers ${key} must be a non-negative integer, got ${String(v)}`);
  return v;
}
