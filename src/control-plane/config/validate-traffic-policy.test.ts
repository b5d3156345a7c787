// DestinationRule trafficPolicy validation (issue 5's bad input): each rejection names the file, resource and field.

import { test } from "node:test";
import assert from "node:assert/strict";
import { loadFile } from "./resource-loader.js";

const doc = (policy: string) =>
  `apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: reviews\n  namespace: shop\nspec:\n  host: reviews\n  trafficPolicy:\n${policy}`;

const CASES: [string, string, RegExp][] = [
  ["maxEjectionPercent over 100", `    outlierDetection: {maxEjectionPercent: 120}\n`, /^spec\.trafficPolicy\.outlierDetection\.maxEjectionPercent: percentage 120 is not in range 0\.\.100/],
  ["minHealthPercent over 100", `    outlierDetection: {minHealthPercent: 101}\n`, /^spec\.trafficPolicy\.outlierDetection\.minHealthPercent: percentage 101/],
  ["a consistentHash with two keys", `    loadBalancer: {consistentHash: {httpHeaderName: x-user, useSourceIp: true}}\n`, /^spec\.trafficPolicy\.loadBalancer\.consistentHash: .*only one of the alternatives may be set \(found: httpHeaderName, useSourceIp\)/],
  [
    "distribute weights not summing to 100",
    `    outlierDetection: {consecutive5xxErrors: 3}\n    loadBalancer:\n      localityLbSetting:\n        distribute:\n        - from: us-east/*\n          to: {"us-east/*": 70, "us-west/*": 20}\n`,
    /^spec\.trafficPolicy\.loadBalancer\.localityLbSetting\.distribute\[0\]\.to: total locality weight 90 != 100/,
  ],
  [
    "a distribute wildcard not at the end",
    `    loadBalancer:\n      localityLbSetting:\n        distribute:\n        - from: "*/zone1"\n          to: {"us-east/*": 100}\n`,
    /distribute\[0\]\.from: locality \*\/zone1 wildcard/,
  ],
  [
    "failover together with a topology failoverPriority label",
    `    outlierDetection: {consecutive5xxErrors: 3}\n    loadBalancer:\n      localityLbSetting:\n        failover: [{from: us-east, to: us-west}]\n        failoverPriority: [topology.kubernetes.io/region]\n`,
    /failoverPriority\[0\]: can not simultaneously set 'failover' and topology label/,
  ],
  ["negative interval", `    outlierDetection: {interval: -1s}\n`, /^spec\.trafficPolicy\.outlierDetection\.interval: duration "-1s" is negative/],
  ["malformed baseEjectionTime", `    outlierDetection: {baseEjectionTime: 30 seconds}\n`, /outlierDetection\.baseEjectionTime: invalid duration "30 seconds"/],
  ["negative connectTimeout", `    connectionPool: {tcp: {connectTimeout: -5s}}\n`, /connectionPool\.tcp\.connectTimeout: duration "-5s" is negative/],
  ["negative http idleTimeout", `    connectionPool: {http: {idleTimeout: -1m}}\n`, /connectionPool\.http\.idleTimeout: duration "-1m" is negative/],
  ["negative tcpKeepalive time", `    connectionPool: {tcp: {tcpKeepalive: {time: -10s}}}\n`, /connectionPool\.tcp\.tcpKeepalive\.time: duration "-10s" is negative/],
  ["negative httpCookie ttl", `    loadBalancer: {consistentHash: {httpCookie: {name: s, ttl: -1s}}}\n`, /httpCookie\.ttl: duration "-1s" is negative/],
  ["warmup without duration", `    loadBalancer: {simple: ROUND_ROBIN, warmup: {aggression: 2}}\n`, /^spec\.trafficPolicy\.loadBalancer\.warmup\.duration: (is required|warmup duration is required)/],
  ["negative warmup duration", `    loadBalancer: {simple: ROUND_ROBIN, warmup: {duration: -30s}}\n`, /loadBalancer\.warmup\.duration: duration "-30s" is negative/],
  ["warmup aggression below 1", `    loadBalancer: {simple: ROUND_ROBIN, warmup: {duration: 30s, aggression: 0.5}}\n`, /warmup\.aggression: warmup aggression 0\.5 must be at least 1\.0/],
  ["warmup minimumPercent over 100", `    loadBalancer: {simple: ROUND_ROBIN, warmup: {duration: 30s, minimumPercent: 150}}\n`, /^spec\.trafficPolicy\.loadBalancer\.warmup\.minimumPercent: (must be <= 100|warmup minimumPercent 150)/],
  ["negative http1MaxPendingRequests", `    connectionPool: {http: {http1MaxPendingRequests: -1}}\n`, /connectionPool\.http\.http1MaxPendingRequests/],
  ["negative maxConnections", `    connectionPool: {tcp: {maxConnections: -1}}\n`, /connectionPool\.tcp\.maxConnections/],
];

for (const [name, policy, re] of CASES) {
  test(`rejected: ${name}`, () => {
    const r = loadFile("reviews-dr.yaml", doc(policy));
    assert.equal(r.entries[0]?.resource, undefined, `should reject:\n${policy}`);
    const all = r.diagnostics.map((x) => `${x.field}: ${x.reason}`);
    const d = r.diagnostics.find((x) => re.test(`${x.field}: ${x.reason}`));
    assert.ok(d, `${re} in ${JSON.stringify(all)}`);
    assert.deepEqual([d.file, d.kind, d.namespace, d.name], ["reviews-dr.yaml", "DestinationRule", "shop", "reviews"]);
  });
}

test("in a subset and in portLevelSettings too, with the path to the field", () => {
  const y = `apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: reviews, namespace: shop}\nspec:\n  host: reviews\n  subsets:\n  - name: v1\n    labels: {version: v1}\n    trafficPolicy:\n      portLevelSettings:\n      - port: {number: 9080}\n        outlierDetection: {maxEjectionPercent: 101}\n`;
  const r = loadFile("reviews-dr.yaml", y);
  assert.equal(r.entries[0]?.resource, undefined);
  assert.ok(r.diagnostics.some((x) => x.field === "spec.subsets[0].trafficPolicy.portLevelSettings[0].outlierDetection.maxEjectionPercent"), JSON.stringify(r.diagnostics));
});

test("a full valid policy (locality failover, warmup, keepalive) is accepted", () => {
  const policy = `    connectionPool:
      tcp: {maxConnections: 10, connectTimeout: 250ms, tcpKeepalive: {probes: 3, time: 60s, interval: 10s}, idleTimeout: 1h}
      http: {http1MaxPendingRequests: 1, maxRetries: 2, idleTimeout: 30s}
    outlierDetection: {consecutive5xxErrors: 3, interval: 1s, baseEjectionTime: 30s, maxEjectionPercent: 100, minHealthPercent: 0}
    loadBalancer:
      simple: LEAST_REQUEST
      warmup: {duration: 30s, aggression: 1.5, minimumPercent: 20}
      localityLbSetting:
        enabled: true
        failover: [{from: us-east, to: us-west}]
        failoverPriority: [version]
`;
  const r = loadFile("reviews-dr.yaml", doc(policy));
  assert.ok(r.entries[0]?.resource, JSON.stringify(r.diagnostics));
  assert.deepEqual(r.diagnostics.filter((d) => d.severity === "error"), []);
});
