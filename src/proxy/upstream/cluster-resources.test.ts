// Tests of ClusterResources (Envoy's ResourceManager) and the circuit_breakers / connection options parsers.

import { test } from "node:test";
import assert from "node:assert/strict";
import { ClusterResources } from "./cluster-resources.js";
import { DEFAULT_THRESHOLDS, parseCircuitBreakers } from "./circuit-breakers.js";
import { parseConnectionOptions } from "./connection-options.js";

function gauges(r: ClusterResources): Record<string, number> {
  const out: Record<string, number> = {};
  r.forEach((name, value, gauge) => { assert.equal(gauge, true); out[name] = value; });
  return out;
}

test("a resource opens its breaker when the count reaches the threshold and closes it when one is given back", () => {
  const r = new ClusterResources();
  r.setThresholds({ ...DEFAULT_THRESHOLDS, maxPendingRequests: 2 });
  assert.equal(r.pendingRequests.canCreate(), true);
  r.pendingRequests.inc();
  r.pendingRequests.inc();
  assert.equal(r.pendingRequests.canCreate(), false);
  assert.equal(gauges(r)["circuit_breakers.default.rq_pending_open"], 1);
  r.pendingRequests.dec();
  assert.equal(r.pendingRequests.canCreate(), true);
  assert.equal(gauges(r)["circuit_breakers.default.rq_pending_open"], 0);
});

test("open gauges are always published, remaining_* only with track_remaining; lowering a threshold below the count opens the breaker", () => {
  const r = new ClusterResources();
  assert.deepEqual(Object.keys(gauges(r)), [
    "circuit_breakers.default.cx_open", "circuit_breakers.default.cx_pool_open", "circuit_breakers.default.rq_pending_open",
    "circuit_breakers.default.rq_open", "circuit_breakers.default.rq_retry_open",
  ]);
  r.requests.inc();
  r.requests.inc();
  r.setThresholds({ maxConnections: 10, maxPendingRequests: 5, maxRequests: 1, maxRetries: 3, trackRemaining: true });
  const g = gauges(r);
  assert.equal(g["circuit_breakers.default.rq_open"], 1);
  assert.equal(g["circuit_breakers.default.remaining_rq"], 0);
  assert.equal(g["circuit_breakers.default.remaining_cx"], 10);
  assert.equal(g["circuit_breakers.default.remaining_pending"], 5);
  assert.equal(g["circuit_breakers.default.remaining_retries"], 3);
});

test("circuit_breakers: the DEFAULT thresholds are read, HIGH ones ignored, Envoy's defaults when absent", () => {
  assert.deepEqual(parseCircuitBreakers("c", {}), DEFAULT_THRESHOLDS);
  const t = parseCircuitBreakers("c", {
    circuit_breakers: {
      thresholds: [
        { priority: "HIGH", max_connections: { value: 7 } },
        { max_connections: { value: 1 }, max_pending_requests: { value: 2 }, max_requests: { value: 3 }, max_retries: { value: 4 }, track_remaining: true },
      ],
    },
  });
  assert.deepEqual(t, { maxConnections: 1, maxPendingRequests: 2, maxRequests: 3, maxRetries: 4, trackRemaining: true });
  assert.throws(() => parseCircuitBreakers("c", { circuit_breakers: { thresholds: [{ max_requests: { value: -1 } }] } }), /c: circuit_breakers max_requests/);
});

test("connection options: tcp_keepalive, common_http_protocol_options and HTTP/2 max_concurrent_streams from HttpProtocolOptions", () => {
  const d = parseConnectionOptions("c", {});
  assert.equal(d.idleTimeoutMs, 3_600_000);
  assert.equal(d.keepaliveTimeMs, -1);
  const o = parseConnectionOptions("c", {
    upstream_connection_options: { tcp_keepalive: { keepalive_time: { value: 30 }, keepalive_probes: { value: 3 } } },
    typed_extension_protocol_options: {
      "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
        common_http_protocol_options: { idle_timeout: { seconds: 2 }, max_connection_duration: { seconds: 60 }, max_requests_per_connection: { value: 5 } },
        explicit_http_config: { http2_protocol_options: { max_concurrent_streams: { value: 8 } } },
      },
    },
  });
  assert.deepEqual(o, { idleTimeoutMs: 2000, maxConnectionDurationMs: 60_000, maxRequestsPerConnection: 5, maxConcurrentStreams: 8, keepaliveTimeMs: 30_000 });
  assert.throws(() => parseConnectionOptions("c", {
    typed_extension_protocol_options: { "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": { common_http_protocol_options: { idle_timeout: { seconds: -1 } } } },
  }), /c: idle_timeout/);
});
