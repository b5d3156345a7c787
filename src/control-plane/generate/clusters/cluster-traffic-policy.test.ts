// DestinationRule trafficPolicy → sidecar clusters (Istio applyTrafficPolicy), from YAML-shaped rules to Envoy fields.

import { test } from "node:test";
import assert from "node:assert/strict";
import { CLUSTER_TYPE } from "../../../xds/type-urls.js";
import { parseProxy } from "../../model/proxy.js";
import { PushContext } from "../../model/push-context.js";
import { TestSnapshot, type ResourceDoc } from "../../model/test-snapshot.js";
import { generate } from "../generator.js";
import { DOMAIN, node } from "../testing/bookinfo-fixture.js";
import { assertRoundTrip } from "../testing/proto-round-trip.js";
import { clusterPolicyFields } from "./cluster-traffic-policy.js";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const HOST = "echo.shop.svc.cluster.local";
const MAX = 4294967295;

function push(dr?: Record<string, unknown>, extra: ResourceDoc[] = []): PushContext {
  const docs: ResourceDoc[] = [
    {
      kind: "ServiceEntry",
      metadata: { name: "echo", namespace: "shop" },
      spec: { hosts: [HOST], ports: [{ number: 8080, name: "http", protocol: "HTTP", targetPort: 9090 }], resolution: "STATIC", workloadSelector: { labels: { app: "echo" } } },
    },
    ...extra,
  ];
  if (dr) docs.push({ kind: "DestinationRule", metadata: { name: "echo", namespace: "shop" }, spec: { host: HOST, ...dr } });
  return PushContext.build(new TestSnapshot(docs), [], { domain: DOMAIN });
}

const server = parseProxy(node({ ip: "127.0.9.40", workload: "echo", namespace: "shop", labels: { app: "echo" }, appPort: 9999 }), "");

function cluster(p: PushContext, name: string): Obj {
  const r = generate(CLUSTER_TYPE, server, p, [name])[0];
  assert.ok(r, name);
  return assertRoundTrip(CLUSTER_TYPE, r.resource) as Obj;
}

/** Table: a merged trafficPolicy → the Envoy cluster fields it must produce (round-tripped through the real protos). */
const CASES: { name: string; policy: Record<string, unknown> | undefined; want: Obj }[] = [
  {
    name: "no policy: Istio defaults (LEAST_REQUEST, MaxUint32 thresholds)",
    policy: undefined,
    want: { lb_policy: "LEAST_REQUEST", circuit_breakers: { thresholds: [{ priority: "DEFAULT", max_connections: { value: MAX }, max_pending_requests: { value: MAX }, max_requests: { value: MAX }, max_retries: { value: MAX }, track_remaining: true }] } },
  },
  {
    name: "connectionPool and outlierDetection together",
    policy: {
      connectionPool: { tcp: { maxConnections: 1, connectTimeout: "2s", tcpKeepalive: { time: "30s" } }, http: { http1MaxPendingRequests: 1, http2MaxRequests: 5, maxRetries: 0 } },
      outlierDetection: { consecutiveGatewayErrors: 2, interval: "5s", baseEjectionTime: "1m", maxEjectionPercent: 30, minHealthPercent: 20 },
    },
    want: {
      lb_policy: "LEAST_REQUEST",
      connect_timeout: { seconds: 2 },
      circuit_breakers: { thresholds: [{ priority: "DEFAULT", max_connections: { value: 1 }, max_pending_requests: { value: 1 }, max_requests: { value: 5 }, max_retries: { value: MAX }, track_remaining: true }] },
      upstream_connection_options: { tcp_keepalive: { keepalive_time: { value: 30 } } },
      outlier_detection: {
        consecutive_gateway_failure: { value: 2 },
        enforcing_consecutive_gateway_failure: { value: 100 },
        enforcing_success_rate: { value: 0 },
        interval: { seconds: 5 },
        base_ejection_time: { seconds: 60 },
        max_ejection_percent: { value: 30 },
      },
      common_lb_config: { healthy_panic_threshold: { value: 20 } },
    },
  },
  {
    name: "distribute adds locality_weighted_lb_config without outlier detection",
    policy: { loadBalancer: { simple: "RANDOM", localityLbSetting: { distribute: [{ from: "a/*", to: { "a/*": 100 } }] } } },
    want: { lb_policy: "RANDOM", common_lb_config: { locality_weighted_lb_config: {} } },
  },
];

for (const c of CASES) {
  test(`cluster policy: ${c.name}`, () => {
    const decoded = assertRoundTrip(CLUSTER_TYPE, { name: "outbound|8080||x", type: "EDS", ...clusterPolicyFields(c.policy as never) }) as Obj;
    for (const [k, v] of Object.entries(c.want)) assert.deepEqual(decoded[k], v, k);
  });
}

test("PASSTHROUGH: the outbound cluster is ORIGINAL_DST without EDS config, and still round-trips", () => {
  const c = cluster(push({ trafficPolicy: { loadBalancer: { simple: "PASSTHROUGH" } } }), `outbound|8080||${HOST}`);
  assert.equal(c.type, "ORIGINAL_DST");
  assert.equal(c.lb_policy, "CLUSTER_PROVIDED");
  assert.equal(c.eds_cluster_config, undefined);
  assert.deepEqual(c.original_dst_lb_config, { use_http_header: true });
});

test("inbound clusters get the DestinationRule's connection pool (port level applied) as Istio does, nothing else", () => {
  const p = push({
    trafficPolicy: {
      connectionPool: { tcp: { maxConnections: 3, connectTimeout: "1s" } },
      outlierDetection: { consecutive5xxErrors: 1 },
      loadBalancer: { simple: "RANDOM" },
      portLevelSettings: [{ port: { number: 8080 }, connectionPool: { http: { http1MaxPendingRequests: 4 } } }],
    },
  });
  const c = cluster(p, "inbound|9090||");
  assert.equal(c.type, "STATIC");
  assert.equal(c.lb_policy, "ROUND_ROBIN");
  assert.equal(c.outlier_detection, undefined);
  const t = c.circuit_breakers.thresholds[0];
  assert.deepEqual([t.max_connections.value, t.max_pending_requests.value], [MAX, 4], "the port level section replaces the top-level one");
  assert.deepEqual(c.connect_timeout, { seconds: 10 });
  assert.deepEqual(cluster(push(), "inbound|9090||").circuit_breakers.thresholds[0].max_connections, { value: MAX }, "defaults without a rule");
});

test("a Sidecar's ingress connectionPool, else its inboundConnectionPool, replaces the rule's on inbound clusters", () => {
  const sidecar = (spec: Record<string, unknown>): ResourceDoc => ({ kind: "Sidecar", metadata: { name: "default", namespace: "shop" }, spec });
  const dr = { trafficPolicy: { connectionPool: { tcp: { maxConnections: 3 } } } };
  const whole = cluster(push(dr, [sidecar({ inboundConnectionPool: { tcp: { maxConnections: 11 } } })]), "inbound|9090||");
  assert.equal(whole.circuit_breakers.thresholds[0].max_connections.value, 11);
  const perPort = cluster(
    push(dr, [sidecar({ inboundConnectionPool: { tcp: { maxConnections: 11 } }, ingress: [{ port: { number: 9090, protocol: "HTTP", name: "http" }, defaultEndpoint: "127.0.0.1:9999", connectionPool: { http: { http1MaxPendingRequests: 2 } } }] })]),
    "inbound|9090||",
  );
  const t = perPort.circuit_breakers.thresholds[0];
  assert.deepEqual([t.max_connections.value, t.max_pending_requests.value], [MAX, 2]);
});
