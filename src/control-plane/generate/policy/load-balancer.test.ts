// loadBalancer → lb_policy / ring hash config, and consistent hash keys → route hash_policy.

import { test } from "node:test";
import assert from "node:assert/strict";
import { hashPolicy, loadBalancerFields } from "./load-balancer.js";
import { clusterRoundTrip, routeRoundTrip } from "./testing-envelopes.js";

test("simple policies: LEAST_CONN is LEAST_REQUEST, RANDOM, ROUND_ROBIN; unset or PASSTHROUGH changes nothing", () => {
  assert.deepEqual(loadBalancerFields({ simple: "LEAST_CONN" }), { lb_policy: "LEAST_REQUEST" });
  assert.equal(clusterRoundTrip(loadBalancerFields({ simple: "RANDOM" })).lb_policy, "RANDOM");
  assert.deepEqual(loadBalancerFields({ simple: "ROUND_ROBIN" }), { lb_policy: "ROUND_ROBIN" });
  assert.deepEqual(loadBalancerFields({ simple: "PASSTHROUGH" }), {});
  assert.deepEqual(loadBalancerFields(undefined), {});
});

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
