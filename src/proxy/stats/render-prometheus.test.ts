// Tests that ProxyStats render with Envoy's Prometheus metric names and labels.

import { test } from "node:test";
import assert from "node:assert/strict";
import { renderPrometheus } from "./render-prometheus.js";
import { ClusterStats, DownstreamStats, HttpConnectionManagerStats } from "./proxy-stats.js";

test("cluster and HCM counters render as envoy_cluster_* / envoy_http_* with tag-extracted labels", () => {
  const c = new ClusterStats();
  c.upstream_rq_total = 3;
  c.recordResponseCode(200);
  c.recordResponseCode(200);
  c.recordResponseCode(503);
  const h = new HttpConnectionManagerStats();
  h.downstream_rq_by_class[4] = 1;
  const text = renderPrometheus({
    clusters: [{ name: "outbound|9080||reviews.default.svc.cluster.local", stats: c }],
    httpConnectionManagers: [{ statPrefix: "outbound_0.0.0.0_9080", stats: h }],
    downstream: new DownstreamStats(),
  });
  const cl = 'cluster_name="outbound|9080||reviews.default.svc.cluster.local"';
  assert.ok(text.includes(`# TYPE envoy_cluster_upstream_rq_total counter\nenvoy_cluster_upstream_rq_total{${cl}} 3\n`));
  assert.ok(text.includes(`envoy_cluster_upstream_rq{response_code="200",${cl}} 2\n`));
  assert.ok(text.includes(`envoy_cluster_upstream_rq{response_code="503",${cl}} 1\n`));
  assert.ok(text.includes(`envoy_cluster_upstream_rq_xx{response_code_class="5",${cl}} 1\n`));
  assert.ok(text.includes(`# TYPE envoy_cluster_upstream_rq_active gauge`));
  assert.ok(text.includes(`envoy_http_downstream_rq_xx{response_code_class="4",http_conn_manager_prefix="outbound_0.0.0.0_9080"} 1\n`));
});
