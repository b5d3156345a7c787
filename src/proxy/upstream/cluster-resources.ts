// ClusterResources: Envoy's ResourceManager for one cluster: connections, pending requests, requests and retries in use, against the circuit-breaker thresholds.

import type { StatGroup } from "../stats/proxy-stats.js";
import { DEFAULT_THRESHOLDS, type CircuitBreakerThresholds } from "./circuit-breakers.js";

/** One counted resource (Envoy ResourceLimit): canCreate() before inc(); every inc() is matched by one dec(). */
export class Resource {
  current = 0;

  constructor(public max: number) {}

  canCreate(): boolean { return this.current < this.max; }
  inc(): void { this.current++; }
  dec(): void { this.current--; }
  /** The `*_open` gauge: 1 while the breaker is open (no room left). */
  get open(): number { return this.current >= this.max ? 1 : 0; }
  /** The `remaining_*` gauge. */
  get remaining(): number { return this.current >= this.max ? 0 : this.max - this.current; }
}

/**
 * Owned by the ClusterState (one per cluster name, kept across CDS/EDS rebuilds so counts of requests in flight stay
 * right); `setThresholds` applies each new CDS version. Published as `circuit_breakers.default.*`: the open gauges
 * always, the remaining gauges with track_remaining (Envoy resource_manager_impl.h). The counts are plain fields
 * read on the hot path; the gauges are computed when stats are rendered.
 */
export class ClusterResources implements StatGroup {
  readonly connections = new Resource(DEFAULT_THRESHOLDS.maxConnections);
  readonly pendingRequests = new Resource(DEFAULT_THRESHOLDS.maxPendingRequests);
  readonly requests = new Resource(DEFAULT_THRESHOLDS.maxRequests);
  readonly retries = new Resource(DEFAULT_THRESHOLDS.maxRetries);
  private trackRemaining = false;

  setThresholds(t: CircuitBreakerThresholds): void {
    this.connections.max = t.maxConnections;
    this.pendingRequests.max = t.maxPendingRequests;
    this.requests.max = t.maxRequests;
    this.retries.max = t.maxRetries;
    this.trackRemaining = t.trackRemaining;
  }

  forEach(emit: (name: string, value: number, gauge: boolean) => void): void {
    emit("circuit_breakers.default.cx_open", this.connections.open, true);
    // Weft keeps one pool per host and protocol without a max_connection_pools limit: that breaker never opens.
    emit("circuit_breakers.default.cx_pool_open", 0, true);
    emit("circuit_breakers.default.rq_pending_open", this.pendingRequests.open, true);
    emit("circuit_breakers.default.rq_open", this.requests.open, true);
    emit("circuit_breakers.default.rq_retry_open", this.retries.open, true);
    if (!this.trackRemaining) return;
    emit("circuit_breakers.default.remaining_cx", this.connections.remaining, true);
    emit("circuit_breakers.default.remaining_pending", this.pendingRequests.remaining, true);
    emit("circuit_breakers.default.remaining_rq", this.requests.remaining, true);
    emit("circuit_breakers.default.remaining_retries", this.retries.remaining, true);
  }
}
