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
  assert.deepEqual(hcm.http_filters, [{ name: "envoy.filters.http.router", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" } }]);
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
