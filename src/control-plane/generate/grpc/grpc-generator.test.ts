// Proxyless gRPC generation: api_listeners by requested name, per-service route configs, clusters and endpoints by name.

import { test } from "node:test";
import assert from "node:assert/strict";
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from "../../../xds/type-urls.js";
import { generate } from "../generator.js";
import { assertRoundTrip } from "../testing/proto-round-trip.js";
import { bookinfoPush, grpcClient } from "../testing/bookinfo-fixture.js";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const push = bookinfoPush();
const R = "reviews.default.svc.cluster.local";

test("grpc LDS answers each requested host:port (short or FQDN) with an api_listener named exactly as asked", () => {
  const rs = generate(LISTENER_TYPE, grpcClient, push, ["reviews:9080", `${R}:9080`, "xds.istio.io/grpc/lds/inbound/127.0.0.40:9080", "unknown:1"]);
  assert.deepEqual(rs.map((r) => r.name), ["reviews:9080", `${R}:9080`]);
  const l = assertRoundTrip(LISTENER_TYPE, rs[0]!.resource) as Obj;
  const hcm = l.api_listener.api_listener;
  assert.equal(hcm["@type"], "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager");
  assert.equal(hcm.rds.route_config_name, `outbound|9080||${R}`);
  assert.deepEqual(hcm.http_filters, [
    { name: "envoy.filters.http.fault", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault" } },
    { name: "envoy.filters.http.router", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" } },
  ]);
  assert.ok(generate(LISTENER_TYPE, grpcClient, push).some((r) => r.name === `${R}:9080`), "wildcard lists every service port");
});

test("grpc RDS: one virtual host whose domains include the dialled name; VS routes carry max_stream_duration", () => {
  const [rc] = generate(ROUTE_TYPE, grpcClient, push, [`outbound|9080||${R}`]);
  const r = assertRoundTrip(ROUTE_TYPE, rc!.resource) as Obj;
  assert.equal(r.virtual_hosts.length, 1);
  assert.ok(r.virtual_hosts[0].domains.includes("reviews:9080"));
  assert.deepEqual(r.virtual_hosts[0].routes[1].route.max_stream_duration, { max_stream_duration: { seconds: 1, nanos: 500000000 } });
});

test("grpc CDS/EDS by name: only requested clusters; locality load_balancing_weight always present", () => {
  const cs = generate(CLUSTER_TYPE, grpcClient, push, [`outbound|9080|v2|${R}`, `outbound|9080|v7|${R}`]);
  assert.deepEqual(cs.map((c) => c.name), [`outbound|9080|v2|${R}`]);
  assertRoundTrip(CLUSTER_TYPE, cs[0]!.resource);
  const [cla] = generate(ENDPOINT_TYPE, grpcClient, push, [`outbound|9080||${R}`]);
  const e = assertRoundTrip(ENDPOINT_TYPE, cla!.resource) as Obj;
  for (const l of e.endpoints) assert.ok(l.load_balancing_weight.value >= 1);
});

const E = "echo.default.svc.cluster.local";
const policyPush = bookinfoPush([
  {
    kind: "ServiceEntry",
    metadata: { name: "echo" },
    spec: { hosts: [E], ports: [{ number: 7070, name: "grpc", protocol: "GRPC" }], resolution: "STATIC", endpoints: [{ address: "127.0.0.60", labels: { v: "1" } }] },
  },
  {
    kind: "DestinationRule",
    metadata: { name: "echo" },
    spec: {
      host: E,
      trafficPolicy: {
        connectionPool: { http: { http2MaxRequests: 1 } },
        outlierDetection: { consecutive5xxErrors: 3, interval: "1s" },
        loadBalancer: { simple: "LEAST_REQUEST" },
      },
      subsets: [{ name: "v1", labels: { v: "1" }, trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: "x-user", ringHash: { minimumRingSize: 64 } } } } }],
    },
  },
  {
    kind: "VirtualService",
    metadata: { name: "echo" },
    spec: {
      hosts: [E],
      http: [
        { name: "moved", match: [{ uri: { prefix: "/old" } }], redirect: { uri: "/new" } },
        {
          name: "main",
          route: [{ destination: { host: E, subset: "v1" } }],
          timeout: "2s",
          retries: { attempts: 3, retryOn: "unavailable" },
          fault: { abort: { grpcStatus: "UNAVAILABLE", percentage: { value: 100 } } },
        },
      ],
    },
  },
]);

test("grpc CDS applies the DestinationRule: circuit breaker, outlier detection with failure-percentage, LEAST_REQUEST → ROUND_ROBIN, subset ring hash", () => {
  const [def, v1] = generate(CLUSTER_TYPE, grpcClient, policyPush, [`outbound|7070||${E}`, `outbound|7070|v1|${E}`]);
  const d = assertRoundTrip(CLUSTER_TYPE, def!.resource) as Obj;
  assert.equal(d.lb_policy, "ROUND_ROBIN");
  assert.deepEqual(d.circuit_breakers.thresholds[0].max_requests, { value: 1 });
  assert.deepEqual(d.outlier_detection.failure_percentage_request_volume, { value: 3 });
  assert.deepEqual(d.outlier_detection.enforcing_failure_percentage, { value: 100 });
  assert.deepEqual(d.outlier_detection.enforcing_success_rate, { value: 0 });
  const s = assertRoundTrip(CLUSTER_TYPE, v1!.resource) as Obj;
  assert.equal(s.lb_policy, "RING_HASH");
  assert.deepEqual(s.ring_hash_lb_config, { minimum_ring_size: { value: 64 } });
  assert.deepEqual(s.circuit_breakers.thresholds[0].max_requests, { value: 1 }, "sections the subset does not set are inherited");
});

test("grpc RDS: redirect rule skipped; timeout, retries, fault and the subset hash policy on the route", () => {
  const [rc] = generate(ROUTE_TYPE, grpcClient, policyPush, [`outbound|7070||${E}`]);
  const routes = (assertRoundTrip(ROUTE_TYPE, rc!.resource) as Obj).virtual_hosts[0].routes;
  assert.deepEqual(routes.map((r: Obj) => r.name), ["main"]);
  const a = routes[0].route;
  assert.deepEqual(a.max_stream_duration, { max_stream_duration: { seconds: 2 } });
  assert.deepEqual([a.retry_policy.retry_on, a.retry_policy.num_retries], ["unavailable", { value: 3 }]);
  assert.deepEqual(a.hash_policy, [{ header: { header_name: "x-user" } }]);
  assert.deepEqual(routes[0].typed_per_filter_config["envoy.filters.http.fault"].abort, { grpc_status: 14, percentage: { numerator: 1000000, denominator: "MILLION" } });
});

test("grpc RDS default route carries Istio's default retry policy", () => {
  const [rc] = generate(ROUTE_TYPE, grpcClient, push, [`outbound|9080||productpage.default.svc.cluster.local`]);
  const r = (assertRoundTrip(ROUTE_TYPE, rc!.resource) as Obj).virtual_hosts[0].routes[0];
  assert.equal(r.name, "default");
  assert.deepEqual(r.route.retry_policy.num_retries, { value: 2 });
});
