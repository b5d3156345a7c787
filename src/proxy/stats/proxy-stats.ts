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
  /** Retries in progress (Envoy's max_retries resource), checked against the cluster's circuit breaker. */
  retries_active = 0;
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
