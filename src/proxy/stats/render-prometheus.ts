// Renders ProxyStats in Prometheus text format with Envoy's metric names and tag-extracted labels.

import type { ProxyStats } from "./proxy-stats.js";

const CLUSTER_COUNTERS = [
  "upstream_rq_total", "upstream_rq_timeout", "upstream_rq_retry", "upstream_rq_retry_success",
  "upstream_rq_retry_limit_exceeded", "upstream_rq_retry_overflow", "upstream_rq_pending_overflow", "upstream_rq_pending_total",
  "upstream_rq_cancelled", "upstream_rq_pending_failure_eject", "upstream_cx_overflow", "upstream_cx_max_requests", "upstream_cx_idle_timeout",
  "upstream_cx_max_duration_reached", "upstream_cx_total",
  "upstream_cx_connect_fail", "upstream_cx_connect_timeout", "upstream_cx_none_healthy", "upstream_cx_tx_bytes_total", "upstream_cx_rx_bytes_total",
] as const;
const CLUSTER_GAUGES = ["upstream_rq_active", "upstream_rq_pending_active", "upstream_cx_active"] as const;
const HCM_COUNTERS = [
  "downstream_rq_total", "no_route", "no_cluster", "rq_direct_response", "rq_redirect", "downstream_rq_ws_on_non_ws_route",
  "fault_delays_injected", "fault_aborts_injected", "cors_origin_valid", "cors_origin_invalid",
  "jwt_authn_allowed", "jwt_authn_denied", "jwt_authn_jwks_fetch_success", "jwt_authn_jwks_fetch_failed",
] as const;
const DOWNSTREAM_COUNTERS = ["downstream_cx_total", "downstream_cx_protocol_error"] as const;

/**
 * `cluster.<c>.upstream_rq_200` → `envoy_cluster_upstream_rq{response_code="200",cluster_name="<c>"}`,
 * `cluster.<c>.upstream_rq_2xx` → `envoy_cluster_upstream_rq_xx{response_code_class="2",cluster_name="<c>"}`,
 * `http.<p>.downstream_rq_2xx` → `envoy_http_downstream_rq_xx{response_code_class="2",http_conn_manager_prefix="<p>"}`,
 * a StatGroup's `cluster.<c>.outlier_detection.ejections_active` → `envoy_cluster_outlier_detection_ejections_active{cluster_name="<c>"}`
 * (Envoy's default tag extractors, source/common/config/well_known_names.cc).
 */
export function renderPrometheus(stats: ProxyStats): string {
  const out: string[] = [];
  const family = (name: string, type: "counter" | "gauge", lines: string[]): void => {
    if (lines.length === 0) return;
    out.push(`# TYPE ${name} ${type}`, ...lines);
  };
  for (const key of [...CLUSTER_COUNTERS, ...CLUSTER_GAUGES]) {
    const type = (CLUSTER_GAUGES as readonly string[]).includes(key) ? "gauge" : "counter";
    family(`envoy_cluster_${key}`, type, stats.clusters.map((c) => `envoy_cluster_${key}{cluster_name="${esc(c.name)}"} ${c.stats[key]}`));
  }
  const byCode: string[] = [];
  const byClass: string[] = [];
  for (const c of stats.clusters) {
    const label = `cluster_name="${esc(c.name)}"`;
    c.stats.upstream_rq_by_code.forEach((n, code) => { if (n > 0) byCode.push(`envoy_cluster_upstream_rq{response_code="${code}",${label}} ${n}`); });
    c.stats.upstream_rq_by_class.forEach((n, cls) => { if (n > 0) byClass.push(`envoy_cluster_upstream_rq_xx{response_code_class="${cls}",${label}} ${n}`); });
  }
  const groups = new Map<string, { gauge: boolean; lines: string[] }>();
  for (const c of stats.clusters) {
    const label = `{cluster_name="${esc(c.name)}"}`;
    for (const g of c.stats.groups) {
      g.forEach((name, value, gauge) => {
        const metric = `envoy_cluster_${name.replace(/\./g, "_")}`;
        let f = groups.get(metric);
        if (!f) { f = { gauge, lines: [] }; groups.set(metric, f); }
        f.lines.push(`${metric}${label} ${value}`);
      });
    }
  }
  for (const [metric, f] of groups) family(metric, f.gauge ? "gauge" : "counter", f.lines);
  family("envoy_cluster_upstream_rq", "counter", byCode);
  family("envoy_cluster_upstream_rq_xx", "counter", byClass);
  for (const key of HCM_COUNTERS) {
    family(`envoy_http_${key}`, "counter", stats.httpConnectionManagers.map((h) => `envoy_http_${key}{http_conn_manager_prefix="${esc(h.statPrefix)}"} ${h.stats[key]}`));
  }
  const rbac = new Map<string, string[]>();
  for (const h of stats.httpConnectionManagers) {
    for (const [name, c] of h.stats.rbac) {
      const metric = `envoy_http_rbac_${name.replace(/[^a-zA-Z0-9_]/g, "_")}`;
      let lines = rbac.get(metric);
      if (lines === undefined) rbac.set(metric, (lines = []));
      lines.push(`${metric}{http_conn_manager_prefix="${esc(h.statPrefix)}"} ${c.value}`);
    }
  }
  for (const [metric, lines] of rbac) family(metric, "counter", lines);
  family("envoy_http_downstream_rq_active", "gauge", stats.httpConnectionManagers.map((h) => `envoy_http_downstream_rq_active{http_conn_manager_prefix="${esc(h.statPrefix)}"} ${h.stats.downstream_rq_active}`));
  const hcmClass: string[] = [];
  for (const h of stats.httpConnectionManagers) {
    h.stats.downstream_rq_by_class.forEach((n, cls) => { if (n > 0) hcmClass.push(`envoy_http_downstream_rq_xx{response_code_class="${cls}",http_conn_manager_prefix="${esc(h.statPrefix)}"} ${n}`); });
  }
  family("envoy_http_downstream_rq_xx", "counter", hcmClass);
  for (const key of DOWNSTREAM_COUNTERS) family(`envoy_http_${key}`, "counter", [`envoy_http_${key} ${stats.downstream[key]}`]);
  family("envoy_http_downstream_cx_active", "gauge", [`envoy_http_downstream_cx_active ${stats.downstream.downstream_cx_active}`]);
  return out.join("\n") + "\n";
}

function esc(v: string): string {
  return v.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}
