// Istio's DestinationRule merge: subset sections override, port level settings replace, consistent hash precedence.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { DestinationRuleSpec } from "../../model/istio-specs.js";
import { clusterTrafficPolicy, destinationConsistentHash, mergeSubsetTrafficPolicy, serviceConsistentHash } from "./traffic-policy.js";

const dr: DestinationRuleSpec = {
  host: "a",
  trafficPolicy: {
    connectionPool: { http: { http2MaxRequests: 10 } },
    outlierDetection: { consecutive5xxErrors: 3 },
    loadBalancer: { consistentHash: { httpHeaderName: "x-top" } },
    portLevelSettings: [{ port: { number: 81 }, loadBalancer: { consistentHash: { httpHeaderName: "x-port" } } }],
  },
  subsets: [
    { name: "v1", labels: { v: "1" }, trafficPolicy: { connectionPool: { http: { http2MaxRequests: 1 } } } },
    { name: "v2", labels: { v: "2" }, trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: "x-v2" } }, portLevelSettings: [{ port: { number: 80 } }] } },
  ],
};

test("a subset section replaces the top-level one; the others are inherited", () => {
  const p = clusterTrafficPolicy(dr, "v1", 80)!;
  assert.deepEqual(p.connectionPool, { http: { http2MaxRequests: 1 } });
  assert.deepEqual(p.outlierDetection, { consecutive5xxErrors: 3 });
  assert.deepEqual(p.loadBalancer, { consistentHash: { httpHeaderName: "x-top" } });
});

test("port level settings replace every section, unset ones fall back to defaults", () => {
  const top = clusterTrafficPolicy(dr, "", 81)!;
  assert.deepEqual(top, { connectionPool: undefined, outlierDetection: undefined, loadBalancer: { consistentHash: { httpHeaderName: "x-port" } }, tls: undefined });
  const v2 = clusterTrafficPolicy(dr, "v2", 80)!;
  assert.equal(v2.connectionPool, undefined, "subset port level wipes the inherited connectionPool");
  assert.equal(v2.loadBalancer, undefined);
  assert.equal(mergeSubsetTrafficPolicy(undefined, undefined, 80), undefined);
});

test("route hash: subset over destination port level over top level; default route: port level over top", () => {
  assert.deepEqual(destinationConsistentHash(dr, "v2", 81), { httpHeaderName: "x-v2" });
  assert.deepEqual(destinationConsistentHash(dr, "v1", 81), { httpHeaderName: "x-port" });
  assert.deepEqual(destinationConsistentHash(dr, "v1", undefined), { httpHeaderName: "x-top" }, "no destination port: port level ignored");
  assert.deepEqual(serviceConsistentHash(dr, 81), { httpHeaderName: "x-port" });
  assert.deepEqual(serviceConsistentHash(dr, 80), { httpHeaderName: "x-top" });
  assert.equal(destinationConsistentHash(undefined, "", 80), undefined);
});
