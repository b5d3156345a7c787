// Sidecar xDS generation over a Bookinfo-like mesh: names, routes, weights, matches, subsets, inbound, encoding.

import { test } from "node:test";
import assert from "node:assert/strict";
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from "../../xds/type-urls.js";
import { generate } from "./generator.js";
import { assertRoundTrip } from "./testing/proto-round-trip.js";
import { bookinfoPush, otherNsClient, productpage, reviewsV1, reviewsV2 } from "./testing/bookinfo-fixture.js";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const push = bookinfoPush();
const R = "reviews.default.svc.cluster.local";

function byName(typeUrl: string, proxy = productpage, names?: string[]): Map<string, Obj> {
  return new Map(generate(typeUrl, proxy, push, names).map((r) => [r.name, assertRoundTrip(typeUrl, r.resource)]));
}

test("every generated resource of every type survives packAny/unpackAny unchanged", () => {
  for (const proxy of [productpage, reviewsV1, otherNsClient]) {
    for (const t of [LISTENER_TYPE, ROUTE_TYPE, CLUSTER_TYPE, ENDPOINT_TYPE]) {
      const rs = generate(t, proxy, push);
      assert.ok(rs.length > 0, `${t} for ${proxy.id}`);
      for (const r of rs) assertRoundTrip(t, r.resource);
    }
  }
});

test("CDS names: default and subset clusters per port, BlackHoleCluster, no inbound for a proxy no service selects", () => {
  assert.deepEqual([...byName(CLUSTER_TYPE).keys()].filter((n) => !n.startsWith("inbound")), [
    "BlackHoleCluster",
    "outbound|3306||db.default.svc.cluster.local",
    "outbound|9080||productpage.default.svc.cluster.local",
    "outbound|9080||ratings.other.svc.cluster.local",
    `outbound|9080||${R}`,
    `outbound|9080|v1|${R}`,
    `outbound|9080|v2|${R}`,
    `outbound|9080|v3|${R}`,
  ]);
  const c = byName(CLUSTER_TYPE).get(`outbound|9080|v2|${R}`)!;
  assert.equal(c.type, "EDS");
  assert.deepEqual(c.eds_cluster_config, { eds_config: { ads: {}, resource_api_version: "V3" }, service_name: `outbound|9080|v2|${R}` });
  assert.deepEqual(c.connect_timeout, { seconds: 10 });
  assert.equal(c.lb_policy, "LEAST_REQUEST", "Istio's default when the DestinationRule sets no loadBalancer");
  assert.equal(c.circuit_breakers.thresholds[0].max_connections.value, 4294967295);
  assert.equal(c.metadata.filter_metadata.istio.fields.config.stringValue, "/apis/networking.istio.io/v1/namespaces/default/destination-rule/reviews");
});

test("LDS: virtualOutbound, one outbound listener per port (TCP 3306 → tcp_proxy), inbound listener for the selected workload", () => {
  const ls = byName(LISTENER_TYPE, reviewsV1);
  assert.deepEqual([...ls.keys()], ["virtualOutbound", "0.0.0.0_3306", "0.0.0.0_9080", "127.0.0.12_9080"]);
  const db = ls.get("0.0.0.0_3306")!;
  assert.deepEqual(db.filter_chains.map((c: Obj) => c.filters[0].typed_config.cluster), ["outbound|3306||db.default.svc.cluster.local"]);
  const vo = ls.get("virtualOutbound")!;
  assert.deepEqual(vo.address, { socket_address: { address: "0.0.0.0", port_value: 15001 } });
  assert.deepEqual(vo.use_original_dst, { value: true });
  const out = ls.get("0.0.0.0_9080")!;
  assert.deepEqual(out.bind_to_port, { value: false });
  const hcm = out.filter_chains[0].filters[0].typed_config;
  assert.equal(hcm.stat_prefix, "outbound_0.0.0.0_9080");
  assert.deepEqual(hcm.rds, { route_config_name: "9080", config_source: { ads: {}, resource_api_version: "V3" } });
  assert.equal(hcm.http_filters.at(-1).name, "envoy.filters.http.router");
  const inbound = ls.get("127.0.0.12_9080")!;
  assert.equal(inbound.traffic_direction, "INBOUND");
  assert.deepEqual(inbound.address, { socket_address: { address: "127.0.0.12", port_value: 9080 } });
  const rc = inbound.filter_chains[0].filters[0].typed_config.route_config;
  assert.equal(rc.name, "inbound|9080||");
  assert.equal(rc.virtual_hosts[0].routes[0].route.cluster, "inbound|9080||");
});

test("inbound cluster goes to 127.0.0.1:APP_PORT, or to the target port when no APP_PORT was given", () => {
  const withApp = byName(CLUSTER_TYPE, reviewsV1).get("inbound|9080||")!;
  assert.equal(withApp.type, "STATIC");
  assert.deepEqual(withApp.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address, { socket_address: { address: "127.0.0.1", port_value: 19082 } });
  const noApp = byName(CLUSTER_TYPE, reviewsV2).get("inbound|9080||")!;
  assert.deepEqual(noApp.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address, { socket_address: { address: "127.0.0.1", port_value: 9080 } });
});

test("RDS 9080: one virtual host per service, domains as Istio for the same and another namespace", () => {
  const rc = byName(ROUTE_TYPE, productpage, ["9080"]).get("9080")!;
  assert.deepEqual(rc.virtual_hosts.map((v: Obj) => v.name), [
    "productpage.default.svc.cluster.local:9080",
    "ratings.other.svc.cluster.local:9080",
    `${R}:9080`,
  ]);
  const reviews = rc.virtual_hosts[2];
  assert.deepEqual(reviews.domains, [R, `${R}:9080`, "reviews", "reviews:9080", "reviews.default.svc", "reviews.default.svc:9080", "reviews.default", "reviews.default:9080"]);
  const ratings = rc.virtual_hosts[1];
  assert.deepEqual(ratings.domains, [
    "ratings.other.svc.cluster.local", "ratings.other.svc.cluster.local:9080",
    "ratings.other", "ratings.other:9080", "ratings.other.svc", "ratings.other.svc:9080",
    "10.0.0.7", "10.0.0.7:9080",
  ]);
  const fromOther = byName(ROUTE_TYPE, otherNsClient, ["9080"]).get("9080")!;
  assert.deepEqual(fromOther.virtual_hosts[1].domains.slice(0, 4), ["ratings.other.svc.cluster.local", "ratings.other.svc.cluster.local:9080", "ratings", "ratings:9080"]);
  assert.ok(!fromOther.virtual_hosts[2].domains.includes("reviews"));
});

test("RDS: VirtualService rules in order, one route per match block, header/regex matches, weighted clusters, timeouts, metadata", () => {
  const routes = byName(ROUTE_TYPE, productpage, ["9080"]).get("9080")!.virtual_hosts[2].routes as Obj[];
  assert.deepEqual(routes.map((r) => r.name), ["jason", "api.prefix", "api.regex", "missing", undefined]);
  assert.deepEqual(routes[0]!.match, { prefix: "/", case_sensitive: { value: true }, headers: [{ name: "end-user", string_match: { exact: "jason" } }] });
  assert.equal(routes[0]!.route.cluster, `outbound|9080|v2|${R}`);
  assert.deepEqual(routes[0]!.route.timeout, { seconds: 0 });
  assert.equal(routes[1]!.match.prefix, "/api");
  assert.deepEqual(routes[2]!.match.safe_regex, { regex: "/v[0-9]+/.*" });
  assert.deepEqual(routes[2]!.match.headers, [{ name: "x-canary", string_match: { prefix: "yes" } }]);
  for (const r of [routes[1]!, routes[2]!]) {
    assert.deepEqual(r.route.weighted_clusters, { clusters: [{ name: `outbound|9080|v1|${R}`, weight: { value: 75 } }, { name: `outbound|9080|v3|${R}`, weight: { value: 25 } }] });
    assert.deepEqual(r.route.timeout, { seconds: 1, nanos: 500000000 });
  }
  assert.deepEqual(routes[4]!.match, { prefix: "/" });
  assert.equal(routes[0]!.metadata.filter_metadata.istio.fields.config.stringValue, "/apis/networking.istio.io/v1/namespaces/default/virtual-service/reviews");
});

test("a service without VirtualService gets Istio's default route; an undefined subset still gets its route (503 NC at the proxy)", () => {
  const rc = byName(ROUTE_TYPE, productpage, ["9080"]).get("9080")!;
  const retry = {
    retry_on: "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes", num_retries: { value: 2 }, retriable_status_codes: [503],
    retry_host_predicate: [{ name: "envoy.retry_host_predicates.previous_hosts", typed_config: { "@type": "type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate" } }],
    host_selection_retry_max_attempts: 5,
  };
  assert.deepEqual(rc.virtual_hosts[0].routes, [{
    name: "default", match: { prefix: "/" }, decorator: { operation: "productpage.default.svc.cluster.local:9080/*" },
    route: { cluster: "outbound|9080||productpage.default.svc.cluster.local", timeout: { seconds: 0 }, max_grpc_timeout: { seconds: 0 }, retry_policy: retry },
  }]);
  const clusters = new Set(byName(CLUSTER_TYPE).keys());
  const named = rc.virtual_hosts.flatMap((v: Obj) => v.routes).flatMap((r: Obj) => (r.route.cluster ? [r.route.cluster] : r.route.weighted_clusters.clusters.map((c: Obj) => c.name)));
  assert.deepEqual(named.filter((n: string) => !clusters.has(n)), [`outbound|9080|v9|${R}`]);
});

test("EDS: auto-registered proxies via workloadSelector, subsets by labels, localities with summed weights", () => {
  const eds = byName(ENDPOINT_TYPE, productpage);
  const all = eds.get(`outbound|9080||${R}`)!;
  assert.deepEqual(all.endpoints.map((l: Obj) => [l.locality, l.load_balancing_weight.value, l.lb_endpoints.map((e: Obj) => e.endpoint.address.socket_address.address)]), [
    [{ region: "eu", zone: "a" }, 1, ["127.0.0.12"]],
    [{ region: "eu", zone: "b" }, 2, ["127.0.0.13", "127.0.0.14"]],
  ]);
  const v2 = eds.get(`outbound|9080|v2|${R}`)!;
  assert.deepEqual(v2.endpoints[0].lb_endpoints, [
    {
      endpoint: { address: { socket_address: { address: "127.0.0.13", port_value: 9080 } } },
      health_status: "HEALTHY",
      load_balancing_weight: { value: 1 },
      metadata: { filter_metadata: { istio: { fields: { workload: { stringValue: "reviews-v2;default;reviews;v2;Kubernetes" } } } } },
    },
  ]);
  const ratings = eds.get("outbound|9080||ratings.other.svc.cluster.local")!;
  assert.deepEqual(ratings.endpoints.map((l: Obj) => [l.load_balancing_weight.value, l.lb_endpoints[0].endpoint.address.socket_address.port_value]), [[3, 8080], [1, 9999]]);
  assert.deepEqual(byName(ENDPOINT_TYPE, productpage, [`outbound|9080|v9|${R}`]).get(`outbound|9080|v9|${R}`), { cluster_name: `outbound|9080|v9|${R}` });
  assert.deepEqual(byName(ENDPOINT_TYPE, productpage, ["outbound|3306||nowhere.example.com"]).get("outbound|3306||nowhere.example.com"), {
    cluster_name: "outbound|3306||nowhere.example.com",
  });
});

test("requested names restrict LDS and CDS; RDS for an unknown port is an empty RouteConfiguration", () => {
  assert.deepEqual(generate(LISTENER_TYPE, productpage, push, ["0.0.0.0_9080", "nope"]).map((r) => r.name), ["0.0.0.0_9080"]);
  assert.deepEqual(generate(CLUSTER_TYPE, productpage, push, ["BlackHoleCluster"]).map((r) => r.name), ["BlackHoleCluster"]);
  assert.deepEqual(generate(ROUTE_TYPE, productpage, push, ["8000", "not-a-port"]).map((r) => r.resource), [{ name: "8000", virtual_hosts: [] }]);
});

test("sourceLabels scope a rule to matching proxies only", () => {
  const scoped = bookinfoPush([
    {
      kind: "VirtualService",
      metadata: { name: "ratings", namespace: "other" },
      spec: { hosts: ["ratings"], http: [{ match: [{ sourceLabels: { app: "productpage" } }], route: [{ destination: { host: "ratings" } }], retries: { attempts: 3, perTryTimeout: "2s", retryOn: "5xx,503" } }] },
    },
  ]);
  const forPp = generate(ROUTE_TYPE, productpage, scoped, ["9080"])[0]!.resource as Obj;
  const r = forPp.virtual_hosts[1].routes[0];
  assertRoundTrip(ROUTE_TYPE, forPp);
  assert.equal(r.route.cluster, "outbound|9080||ratings.other.svc.cluster.local");
  assert.deepEqual(r.route.retry_policy, {
    retry_on: "5xx,retriable-status-codes", num_retries: { value: 3 }, retriable_status_codes: [503], per_try_timeout: { seconds: 2 },
    retry_host_predicate: [{ name: "envoy.retry_host_predicates.previous_hosts", typed_config: { "@type": "type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate" } }],
    host_selection_retry_max_attempts: 5,
  });
  const forV1 = generate(ROUTE_TYPE, reviewsV1, scoped, ["9080"])[0]!.resource as Obj;
  assert.equal(forV1.virtual_hosts[1].routes[0].name, "default");
});
