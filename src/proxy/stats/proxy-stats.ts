// Envoy-named counters for clusters, hosts and HTTP connection managers; plain fields incremented on the hot path.

/**
 * A set of a cluster's stats kept by one subsystem (circuit breakers, outlier detection, health checking, load
 * balancing), enumerated with Envoy's names below `cluster.<name>.` (e.g. "outlier_detection.ejections_active").
 */
export interface StatGroup {
  forEach(emit: (name: string, value: number, gauge: boolean) => void): void;
}

/** Counters of one upstream cluster (`cluster.<name>.*` in Envoy). Resolved once per cluster build, kept across rebuilds. */
export class ClusterStats {
  /** Subsystems' stats, rendered after the counters below. */
  readonly groups: StatGroup[] = [];
  upstream_rq_total = 0;
  upstream_rq_active = 0;
  upstream_rq_timeout = 0;
  upstream_cx_total = 0;
  upstream_cx_active = 0;
  upstream_cx_connect_fail = 0;
  upstream_cx_connect_timeout = 0;
  upstream_cx_none_healthy = 0;
  upstream_rq_retry = 0;
  upstream_rq_retry_success = 0;
  upstream_rq_retry_limit_exceeded = 0;
  upstream_rq_retry_overflow = 0;
  /** Requests refused by the max_pending_requests or max_requests circuit breaker (503 UO). */
  upstream_rq_pending_overflow = 0;
  /** Requests that waited for a connection (Envoy counts every request not attached at once). */
  upstream_rq_pending_total = 0;
  /** Requests waiting for a connection now (gauge). */
  upstream_rq_pending_active = 0;
  /** Requests cancelled (downstream gone) while waiting for a connection. */
  upstream_rq_cancelled = 0;
  /** Pending requests failed because the connection they waited for failed, or the pool closed (Envoy purgePendingStreams). */
  upstream_rq_pending_failure_eject = 0;
  /** New connections refused (or forced, for an empty pool) by the max_connections circuit breaker. */
  upstream_cx_overflow = 0;
  /** Connections closed after max_requests_per_connection requests. */
  upstream_cx_max_requests = 0;
  /** Connections closed by the idle timeout. */
  upstream_cx_idle_timeout = 0;
  /** Connections drained at max_connection_duration. */
  upstream_cx_max_duration_reached = 0;
  upstream_cx_tx_bytes_total = 0;
  upstream_cx_rx_bytes_total = 0;
  /** upstream_rq_<code>: index = status code (100..599). */
  readonly upstream_rq_by_code: number[] = new Array<number>(600).fill(0);
  /** upstream_rq_<N>xx: index = N (1..5). */
  readonly upstream_rq_by_class: number[] = [0, 0, 0, 0, 0, 0];

  recordResponseCode(code: number): void {
    if (code >= 100 && code < 600) {
      this.upstream_rq_by_code[code]++;
      this.upstream_rq_by_class[(code / 100) | 0]++;
    }
  }
}

/** Counters of one endpoint, as the admin /clusters page shows them. */
export class HostStats {
  rq_total = 0;
  rq_active = 0;
  cx_active = 0;
}

/** Counters of one HttpConnectionManager (`http.<stat_prefix>.*`), shared by every listener with that stat_prefix. */
export class HttpConnectionManagerStats {
  downstream_rq_total = 0;
  downstream_rq_active = 0;
  /** downstream_rq_<N>xx: index = N (1..5). */
  readonly downstream_rq_by_class: number[] = [0, 0, 0, 0, 0, 0];
  no_route = 0;
  no_cluster = 0;
  rq_direct_response = 0;
  rq_redirect = 0;
  /** Upgrade requests refused (403) because the HCM does not enable their upgrade type. */
  downstream_rq_ws_on_non_ws_route = 0;
  /** `fault.delays_injected` / `fault.aborts_injected` (envoy.filters.http.fault). */
  fault_delays_injected = 0;
  fault_aborts_injected = 0;
  /** `cors.origin_valid` / `cors.origin_invalid` (envoy.filters.http.cors). */
  cors_origin_valid = 0;
  cors_origin_invalid = 0;
  /** `jwt_authn.allowed` / `.denied` / `.jwks_fetch_success` / `.jwks_fetch_failed` (envoy.filters.http.jwt_authn). */
  jwt_authn_allowed = 0;
  jwt_authn_denied = 0;
  jwt_authn_jwks_fetch_success = 0;
  jwt_authn_jwks_fetch_failed = 0;
  /**
   * envoy.filters.http.rbac counters below `rbac.`, named after the filters' stat prefixes: `<rules_stat_prefix>allowed`,
   * `<rules_stat_prefix>denied`, `<shadow_rules_stat_prefix>shadow_allowed`, `<shadow_rules_stat_prefix>shadow_denied`.
   */
  readonly rbac = new Map<string, { value: number }>();

  /** The rbac counter `name` (created at 0 on first use; filters resolve theirs once per config). */
  rbacCounter(name: string): { value: number } {
    let c = this.rbac.get(name);
    if (c === undefined) this.rbac.set(name, (c = { value: 0 }));
    return c;
  }
}

/** Process-wide downstream counters (Envoy keeps these per HCM/listener; Weft sums them). */
export class DownstreamStats {
  downstream_cx_total = 0;
  downstream_cx_active = 0;
  downstream_cx_protocol_error = 0;
}

/** A read-only view of every counter, for /stats and /stats/prometheus (see render-prometheus.ts for the names). */
export interface ProxyStats {
  clusters: ReadonlyArray<{ name: string; stats: ClusterStats }>;
  httpConnectionManagers: ReadonlyArray<{ statPrefix: string; stats: HttpConnectionManagerStats }>;
  downstream: DownstreamStats;
}
