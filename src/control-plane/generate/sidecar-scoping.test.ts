// Generation under a Sidecar: only the imported services in LDS/RDS/CDS/EDS, and Istio's ALLOW_ANY / REGISTRY_ONLY shapes.

import { test } from "node:test";
import assert from "node:assert/strict";
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from "../../xds/type-urls.js";
import type { Proxy } from "../model/proxy.js";
import { generate } from "./generator.js";
import { assertRoundTrip } from "./testing/proto-round-trip.js";
import { bookinfoPush, otherNsClient, productpage, reviewsV1, reviewsV2 } from "./testing/bookinfo-fixture.js";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const R = "reviews.default.svc.cluster.local";
const push = bookinfoPush([
  {
    kind: "Sidecar",
    metadata: { name: "productpage", namespace: "default" },
    spec: { workloadSelector: { labels: { app: "productpage" } }, egress: [{ hosts: [`./${R}`] }], outboundTrafficPolicy: { mode: "ALLOW_ANY" } },
  },
  { kind: "Sidecar", metadata: { name: "default", namespace: "istio-system" }, spec: { egress: [{ hosts: ["*/*"] }], outboundTrafficPolicy: { mode: "REGISTRY_ONLY" } } },
]);

function byName(typeUrl: string, proxy: Proxy, names?: string[]): Map<string, Obj> {
  return new Map(generate(typeUrl, proxy, push, names).map((r) => [r.name, assertRoundTrip(typeUrl, r.resource)]));
}

test("a Sidecar importing ./reviews limits CDS, EDS, LDS and RDS to reviews (plus the proxy's own inbound)", () => {
  assert.deepEqual([...byName(CLUSTER_TYPE, productpage).keys()], [
    "BlackHoleCluster",
    "PassthroughCluster",
    `outbound|9080||${R}`,
    `outbound|9080|v1|${R}`,
    `outbound|9080|v2|${R}`,
    `outbound|9080|v3|${R}`,
    "inbound|9080||",
  ]);
  assert.deepEqual([...byName(ENDPOINT_TYPE, productpage).keys()], [`outbound|9080||${R}`, `outbound|9080|v1|${R}`, `outbound|9080|v2|${R}`, `outbound|9080|v3|${R}`]);
  assert.deepEqual([...byName(LISTENER_TYPE, productpage).keys()], ["virtualOutbound", "0.0.0.0_9080", "127.0.0.10_9080"]);
  const rc = byName(ROUTE_TYPE, productpage, ["9080"]).get("9080")!;
  assert.deepEqual(rc.virtual_hosts.map((v: Obj) => v.name), [`${R}:9080`, "allow_any"]);
  assert.equal(rc.virtual_hosts[0].routes[0].name, "jason", "the reviews VirtualService still applies");
});

test("ALLOW_ANY: PassthroughCluster is ORIGINAL_DST, virtualOutbound's default chain and the allow_any route go to it", () => {
  const pc = byName(CLUSTER_TYPE, productpage).get("PassthroughCluster")!;
  assert.deepEqual([pc.type, pc.lb_policy], ["ORIGINAL_DST", "CLUSTER_PROVIDED"]);
  const vo = byName(LISTENER_TYPE, productpage).get("virtualOutbound")!;
  assert.equal(vo.default_filter_chain.name, "PassthroughFilterChain");
  assert.equal(vo.default_filter_chain.filters[0].typed_config.cluster, "PassthroughCluster");
  assert.deepEqual(vo.filter_chains[0].filter_chain_match, { destination_port: { value: 15001 } });
  const allowAny = byName(ROUTE_TYPE, productpage, ["9080"]).get("9080")!.virtual_hosts[1];
  assert.deepEqual(allowAny, { name: "allow_any", domains: ["*"], routes: [{ name: "allow_any", match: { prefix: "/" }, route: { cluster: "PassthroughCluster", timeout: { seconds: 0 } } }] });
});

test("REGISTRY_ONLY from the root namespace's Sidecar: block_all answers 502, the default chain blackholes, no PassthroughCluster", () => {
  const rc = byName(ROUTE_TYPE, otherNsClient, ["9080"]).get("9080")!;
  assert.deepEqual(rc.virtual_hosts.at(-1), { name: "block_all", domains: ["*"], routes: [{ name: "block_all", match: { prefix: "/" }, direct_response: { status: 502 } }] });
  assert.equal(byName(LISTENER_TYPE, otherNsClient).get("virtualOutbound")!.default_filter_chain.filters[0].typed_config.cluster, "BlackHoleCluster");
  assert.ok(!byName(CLUSTER_TYPE, otherNsClient).has("PassthroughCluster"));
});

test("a proxy its namespace's selector Sidecar does not select falls back to the root one: every exported service", () => {
  const clusters = [...byName(CLUSTER_TYPE, reviewsV1).keys()];
  assert.ok(clusters.includes("outbound|9080||ratings.other.svc.cluster.local"));
  assert.ok(!clusters.includes("PassthroughCluster"));
  const rc = byName(ROUTE_TYPE, reviewsV1, ["9080"]).get("9080")!;
  assert.deepEqual(rc.virtual_hosts.map((v: Obj) => v.name), ["productpage.default.svc.cluster.local:9080", "ratings.other.svc.cluster.local:9080", `${R}:9080`, "block_all"]);
});

test("proxies with the same scope share generated objects; another scope gets its own", () => {
  const a = generate(CLUSTER_TYPE, reviewsV1, push).find((r) => r.name === `outbound|9080||${R}`)!;
  const b = generate(CLUSTER_TYPE, reviewsV2, push).find((r) => r.name === `outbound|9080||${R}`)!;
  assert.equal(a.resource, b.resource);
  assert.equal(generate(ROUTE_TYPE, reviewsV1, push, ["9080"])[0]!.resource, generate(ROUTE_TYPE, reviewsV2, push, ["9080"])[0]!.resource);
  assert.notEqual(generate(ROUTE_TYPE, productpage, push, ["9080"])[0]!.resource, generate(ROUTE_TYPE, reviewsV1, push, ["9080"])[0]!.resource);
});
