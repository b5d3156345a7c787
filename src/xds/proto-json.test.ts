// Tests for toProtoJson: Envoy admin's proto3 JSON rendering of decoded resources.

import { test } from "node:test";
import assert from "node:assert/strict";
import { packAny, unpackAny } from "./any.js";
import { toProtoJson } from "./proto-json.js";
import { CLUSTER_TYPE, LISTENER_TYPE } from "./type-urls.js";

test("durations render as seconds strings, wrappers as bare values, structs as JSON", () => {
  const cluster = unpackAny(packAny(CLUSTER_TYPE, {
    name: "outbound|9080||reviews.default.svc.cluster.local",
    type: "EDS",
    connect_timeout: { seconds: 10 },
    per_connection_buffer_limit_bytes: { value: 32768 },
    metadata: { filter_metadata: { istio: { fields: { config: { stringValue: "/apis/x" } } } } },
    common_lb_config: { healthy_panic_threshold: { value: 50 } },
    dns_refresh_rate: { seconds: 0, nanos: 500_000_000 },
  }));
  const json = toProtoJson(CLUSTER_TYPE, cluster);
  assert.equal(json.connect_timeout, "10s");
  assert.equal(json.dns_refresh_rate, "0.5s");
  assert.equal(json.per_connection_buffer_limit_bytes, 32768);
  assert.deepEqual(json.metadata, { filter_metadata: { istio: { config: "/apis/x" } } });
  assert.deepEqual(json.common_lb_config, { healthy_panic_threshold: { value: 50 } });
});

test("nested Any fields keep their @type and are rendered by their own type", () => {
  const listener = unpackAny(packAny(LISTENER_TYPE, {
    name: "0.0.0.0_9080",
    bind_to_port: { value: false },
    filter_chains: [{ filters: [{ name: "envoy.filters.network.http_connection_manager", typed_config: {
      "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
      stat_prefix: "outbound_0.0.0.0_9080",
      stream_idle_timeout: { seconds: 300 },
    } }] }],
  }));
  const json = toProtoJson(LISTENER_TYPE, listener) as any;
  assert.equal(json.bind_to_port, false);
  const hcm = json.filter_chains[0].filters[0].typed_config;
  assert.equal(hcm["@type"], "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager");
  assert.equal(hcm.stream_idle_timeout, "300s");
});
