// loadBalancer → lb_policy / ring hash config, and consistent hash keys → route hash_policy.

import { test } from "node:test";
import assert from "node:assert/strict";
import { hashPolicy, loadBalancerFields } from "./load-balancer.js";
import type { LoadBalancerSpec } from "./istio-policy-specs.js";
import { clusterRoundTrip, routeRoundTrip } from "./testing-envelopes.js";

test("simple policies: LEAST_CONN is LEAST_REQUEST, RANDOM, ROUND_ROBIN; unset changes nothing", () => {
  assert.deepEqual(loadBalancerFields({ simple: "LEAST_CONN" }), { lb_policy: "LEAST_REQUEST" });
  assert.equal(clusterRoundTrip(loadBalancerFields({ simple: "RANDOM" })).lb_policy, "RANDOM");
  assert.deepEqual(loadBalancerFields({ simple: "ROUND_ROBIN" }), { lb_policy: "ROUND_ROBIN" });
  assert.deepEqual(loadBalancerFields({ simple: "UNSPECIFIED" }), {});
  assert.deepEqual(loadBalancerFields(undefined), {});
});

test("PASSTHROUGH: ORIGINAL_DST, CLUSTER_PROVIDED, destination from x-envoy-original-dst-host; a hash changes nothing", () => {
  const c = clusterRoundTrip(loadBalancerFields({ simple: "PASSTHROUGH" }));
  assert.equal(c.type, "ORIGINAL_DST");
  assert.equal(c.lb_policy, "CLUSTER_PROVIDED");
  assert.deepEqual(c.original_dst_lb_config, { use_http_header: true });
  assert.deepEqual(loadBalancerFields({ simple: "PASSTHROUGH", consistentHash: { httpHeaderName: "x" } }).lb_policy, "CLUSTER_PROVIDED");
});

// Istio setWarmup / setSlowStartConfig, table-driven: DestinationRule loadBalancer → Envoy cluster fields.
const WARMUP_CASES: { name: string; lb: LoadBalancerSpec; want: Record<string, unknown> }[] = [
  {
    name: "warmup on ROUND_ROBIN with defaults (aggression 1, minimum 10%)",
    lb: { simple: "ROUND_ROBIN", warmup: { duration: "30s" } },
    want: { lb_policy: "ROUND_ROBIN", round_robin_lb_config: { slow_start_config: { slow_start_window: { seconds: 30 }, aggression: { default_value: 1, runtime_key: "(" }, min_weight_percent: { value: 10 } } } },
  },
  {
    name: "warmup on LEAST_REQUEST with aggression and minimumPercent",
    lb: { simple: "LEAST_REQUEST", warmup: { duration: "1m", aggression: 2.5, minimumPercent: 20 } },
    want: { lb_policy: "LEAST_REQUEST", least_request_lb_config: { slow_start_config: { slow_start_window: { seconds: 60 }, aggression: { default_value: 2.5, runtime_key: "(" }, min_weight_percent: { value: 20 } } } },
  },
  {
    name: "warmup without simple: Istio's default LEAST_REQUEST carries it",
    lb: { warmupDurationSecs: "15s" },
    want: { lb_policy: "LEAST_REQUEST", least_request_lb_config: { slow_start_config: { slow_start_window: { seconds: 15 } } } },
  },
  {
    name: "deprecated warmupDurationSecs: window only; warmup wins when both are set",
    lb: { simple: "ROUND_ROBIN", warmupDurationSecs: "5s", warmup: { duration: "7s" } },
    want: { lb_policy: "ROUND_ROBIN", round_robin_lb_config: { slow_start_config: { slow_start_window: { seconds: 7 }, aggression: { default_value: 1, runtime_key: "(" }, min_weight_percent: { value: 10 } } } },
  },
  { name: "RANDOM ignores warmup", lb: { simple: "RANDOM", warmup: { duration: "7s" } }, want: { lb_policy: "RANDOM" } },
  {
    name: "a consistent hash replaces the slow start config (lb_config is a oneof)",
    lb: { simple: "ROUND_ROBIN", warmup: { duration: "7s" }, consistentHash: { httpHeaderName: "x", maglev: { tableSize: 65537 } } },
    want: { lb_policy: "MAGLEV", maglev_lb_config: { table_size: { value: 65537 } } },
  },
];

for (const c of WARMUP_CASES) {
  test(`warmup: ${c.name}`, () => {
    const fields = loadBalancerFields(c.lb);
    assert.deepEqual(fields, c.want);
    const decoded = clusterRoundTrip(fields);
    assert.equal(decoded.lb_policy, c.want.lb_policy);
  });
}

test("consistentHash: ringHash.minimumRingSize, deprecated default 1024, maglev table size", () => {
  const ring = clusterRoundTrip(loadBalancerFields({ simple: "ROUND_ROBIN", consistentHash: { httpHeaderName: "x", ringHash: { minimumRingSize: 2048 } } }));
  assert.equal(ring.lb_policy, "RING_HASH");
  assert.deepEqual(ring.ring_hash_lb_config, { minimum_ring_size: { value: 2048 } });
  assert.deepEqual(loadBalancerFields({ consistentHash: { useSourceIp: true } }), { lb_policy: "RING_HASH", ring_hash_lb_config: { minimum_ring_size: { value: 1024 } } });
  assert.deepEqual(loadBalancerFields({ consistentHash: { httpHeaderName: "x", ringHash: {} } }), { lb_policy: "RING_HASH" });
  assert.deepEqual(clusterRoundTrip(loadBalancerFields({ consistentHash: { maglev: { tableSize: 65537 } } })).maglev_lb_config, { table_size: { value: 65537 } });
});

test("hash keys become header, cookie, connection_properties and query_parameter hash policies", () => {
  const policies = [
    hashPolicy({ httpHeaderName: "x-user" }),
    hashPolicy({ httpCookie: { name: "session", path: "/", ttl: "10s" } }),
    hashPolicy({ useSourceIp: true }),
    hashPolicy({ httpQueryParameterName: "u" }),
  ];
  const r = routeRoundTrip({ hash_policy: policies });
  assert.deepEqual(r.route.hash_policy, [
    { header: { header_name: "x-user" } },
    { cookie: { name: "session", path: "/", ttl: { seconds: 10 } } },
    { connection_properties: { source_ip: true } },
    { query_parameter: { name: "u" } },
  ]);
  assert.equal(hashPolicy({ ringHash: { minimumRingSize: 8 } }), undefined);
});
