// connectionPool → circuit breaker thresholds (Istio applyConnectionPool).

import { test } from "node:test";
import assert from "node:assert/strict";
import { connectionPoolFields } from "./connection-pool.js";
import { clusterRoundTrip } from "./testing-envelopes.js";

test("http2MaxRequests, http1MaxPendingRequests, maxRetries, maxConnections lower the MaxUint32 defaults", () => {
  const c = clusterRoundTrip(connectionPoolFields({ http: { http2MaxRequests: 1, http1MaxPendingRequests: 2, maxRetries: 3 }, tcp: { maxConnections: 4, connectTimeout: "250ms" } }));
  assert.deepEqual(c.circuit_breakers.thresholds, [
    { priority: "DEFAULT", max_connections: { value: 4 }, max_pending_requests: { value: 2 }, max_requests: { value: 1 }, max_retries: { value: 3 }, track_remaining: true },
  ]);
  assert.deepEqual(c.connect_timeout, { seconds: 0, nanos: 250000000 });
});

test("an empty section (or zeros) leaves every threshold at MaxUint32", () => {
  const t = (clusterRoundTrip(connectionPoolFields({ http: { http2MaxRequests: 0 } })).circuit_breakers.thresholds[0]) as Record<string, unknown>;
  assert.deepEqual(t.max_requests, { value: 4294967295 });
  assert.deepEqual(t.max_connections, { value: 4294967295 });
});

test("tcpKeepalive: SO_KEEPALIVE with probes, time and interval in whole seconds; an empty section uses OS defaults", () => {
  const c = clusterRoundTrip(connectionPoolFields({ tcp: { tcpKeepalive: { probes: 3, time: "7200s", interval: "75s" } } }));
  assert.deepEqual(c.upstream_connection_options, { tcp_keepalive: { keepalive_probes: { value: 3 }, keepalive_time: { value: 7200 }, keepalive_interval: { value: 75 } } });
  assert.deepEqual(connectionPoolFields({ tcp: { tcpKeepalive: {} } }).upstream_connection_options, { tcp_keepalive: {} });
  assert.equal(connectionPoolFields({ tcp: { maxConnections: 1 } }).upstream_connection_options, undefined);
});
