// PushContext: services from ServiceEntries, endpoints from WorkloadEntries and proxies, rule selection, version.

import { test } from "node:test";
import assert from "node:assert/strict";
import { PushContext } from "./push-context.js";
import { TestSnapshot, type ResourceDoc } from "./test-snapshot.js";
import type { WorkloadInstance } from "./workload-instance.js";

const docs: ResourceDoc[] = [
  {
    kind: "ServiceEntry",
    metadata: { name: "reviews" },
    spec: { hosts: ["reviews"], ports: [{ number: 9080, name: "http" }, { number: 9443, name: "grpc-x", targetPort: 7443 }], resolution: "STATIC", workloadSelector: { labels: { app: "reviews" } } },
  },
  { kind: "WorkloadEntry", metadata: { name: "vm-1" }, spec: { address: "127.0.0.20", labels: { app: "reviews", version: "v3" }, ports: { http: 8000 }, weight: 5 } },
  { kind: "WorkloadEntry", metadata: { name: "vm-elsewhere", namespace: "other" }, spec: { address: "127.0.0.21", labels: { app: "reviews" } } },
  { kind: "DestinationRule", metadata: { name: "reviews-global", namespace: "other" }, spec: { host: "reviews.default.svc.cluster.local", subsets: [{ name: "g", labels: {} }] } },
  { kind: "DestinationRule", metadata: { name: "reviews" }, spec: { host: "reviews", subsets: [{ name: "v3", labels: { version: "v3" } }] } },
  { kind: "DestinationRule", metadata: { name: "all", namespace: "other" }, spec: { host: "*.svc.cluster.local" } },
  { kind: "VirtualService", metadata: { name: "gw-only" }, spec: { hosts: ["reviews"], gateways: ["ingress"], http: [] } },
];
const proxyWorkload: WorkloadInstance = { name: "reviews-v1", namespace: "default", address: "127.0.0.12", labels: { app: "reviews", version: "v1" }, serviceAccount: "default", source: "proxy" };
const R = "reviews.default.svc.cluster.local";

test("services are ServiceEntry hosts resolved to FQDNs with their ports", () => {
  const push = PushContext.build(new TestSnapshot(docs), [], { domain: "cluster.local" });
  assert.deepEqual(push.services().map((s) => [s.hostname, s.namespace, s.ports.map((p) => [p.number, p.protocol])]), [[R, "default", [[9080, "HTTP"], [9443, "GRPC"]]]]);
});

test("workloadSelector endpoints: WorkloadEntries and proxies of the service namespace; port from ports map, targetPort, number", () => {
  const push = PushContext.build(new TestSnapshot(docs), [proxyWorkload], { domain: "cluster.local" });
  assert.deepEqual(push.endpoints(R, 9080).map((e) => [e.address, e.port, e.weight]), [["127.0.0.12", 9080, 1], ["127.0.0.20", 8000, 5]]);
  assert.deepEqual(push.endpoints(R, 9443).map((e) => [e.address, e.port]), [["127.0.0.12", 7443], ["127.0.0.20", 7443]]);
  assert.deepEqual(push.endpoints(R, 9080, push.subsetLabels("default", R, "v3")).map((e) => e.address), ["127.0.0.20"]);
});

test("DestinationRule: the proxy's namespace wins, then the service's, then the most specific elsewhere; gateway-only VS ignored", () => {
  const push = PushContext.build(new TestSnapshot(docs), [], { domain: "cluster.local" });
  assert.equal(push.destinationRule("default", R)?.metadata.name, "reviews");
  assert.equal(push.destinationRule("other", R)?.metadata.name, "reviews-global");
  assert.equal(push.destinationRule("third", R)?.metadata.name, "reviews");
  assert.equal(push.virtualService("default", R), undefined);
});

test("version changes when workloads or config change and not otherwise", () => {
  const a = PushContext.build(new TestSnapshot(docs, 4), [proxyWorkload], { domain: "cluster.local" });
  const b = PushContext.build(new TestSnapshot(docs, 4), [proxyWorkload], { domain: "cluster.local" });
  const c = PushContext.build(new TestSnapshot(docs, 4), [], { domain: "cluster.local" });
  const d = PushContext.build(new TestSnapshot(docs, 5), [proxyWorkload], { domain: "cluster.local" });
  assert.equal(a.version, b.version);
  assert.notEqual(a.version, c.version);
  assert.notEqual(a.version, d.version);
});

test("a workload-only change carries config-derived results over and rebuilds only the changed service's endpoints", async () => {
  const { generate } = await import("../generate/generator.js");
  const { CLUSTER_TYPE, ENDPOINT_TYPE, ROUTE_TYPE } = await import("../../xds/type-urls.js");
  const { parseProxy } = await import("./proxy.js");
  const { jsonToStruct } = await import("../../xds/discovery.js");
  const withRatings: ResourceDoc[] = [
    ...docs,
    { kind: "ServiceEntry", metadata: { name: "ratings" }, spec: { hosts: ["ratings"], ports: [{ number: 9080, name: "http" }], resolution: "STATIC", endpoints: [{ address: "127.0.0.30" }] } },
  ];
  const config = new TestSnapshot(withRatings);
  const client = parseProxy({ id: "sidecar~127.0.0.50~pp.default~default.svc.cluster.local", metadata: jsonToStruct({ NAMESPACE: "default" }) }, "ipv4:127.0.0.50:1");
  const first = PushContext.build(config, [], { domain: "cluster.local" });
  const eds = (p: PushContext, name: string) => generate(ENDPOINT_TYPE, client, p).find((c) => c.name === name)!.resource;
  const cluster = (p: PushContext) => generate(CLUSTER_TYPE, client, p).find((c) => c.name === `outbound|9080||${R}`)!.resource;
  const ratings = "outbound|9080||ratings.default.svc.cluster.local";
  // What the first push generated (the memo is filled as proxies are generated).
  const before = { cluster: cluster(first), routes: generate(ROUTE_TYPE, client, first), ratings: eds(first, ratings), reviews: eds(first, `outbound|9080||${R}`) };
  const second = PushContext.build(config, [proxyWorkload], { domain: "cluster.local" }, first);
  assert.notEqual(second.version, first.version);
  assert.equal(cluster(second), before.cluster, "clusters are the same objects");
  assert.equal(generate(ROUTE_TYPE, client, second), before.routes, "route configs are the same array");
  assert.equal(eds(second, ratings), before.ratings, "unchanged service: same assignment object");
  assert.notEqual(eds(second, `outbound|9080||${R}`), before.reviews, "changed service: rebuilt");
  assert.equal(JSON.stringify(eds(second, `outbound|9080||${R}`)).includes("127.0.0.12"), true);
  // A config change never inherits.
  const secondRoutes = generate(ROUTE_TYPE, client, second);
  const secondCluster = cluster(second);
  // A VirtualService change rebuilds routes but keeps clusters; an unknown change (or a kind generators may read
  // that the table does not know) carries nothing over.
  const vsChange = PushContext.build(new TestSnapshot(withRatings, 2), [proxyWorkload], { domain: "cluster.local" }, second, new Set(["VirtualService"]));
  assert.notEqual(generate(ROUTE_TYPE, client, vsChange), secondRoutes);
  assert.equal(cluster(vsChange), secondCluster);
  const unknown = PushContext.build(new TestSnapshot(withRatings, 3), [proxyWorkload], { domain: "cluster.local" }, vsChange);
  assert.notEqual(cluster(unknown), secondCluster);
  const envoyFilter = PushContext.build(new TestSnapshot(withRatings, 4), [proxyWorkload], { domain: "cluster.local" }, unknown, new Set(["EnvoyFilter"]));
  assert.notEqual(cluster(envoyFilter), cluster(unknown));
});

test("routes depend on the proxy when a mesh or delegate VirtualService matches on the source, whatever the delegate's gateways", () => {
  const delegate = (gateways?: string[]): ResourceDoc => ({
    kind: "VirtualService", metadata: { name: "d" },
    spec: { ...(gateways ? { gateways } : {}), http: [{ match: [{ sourceLabels: { app: "a" } }], route: [{ destination: { host: "reviews" } }] }] },
  });
  const scoped = (extra: ResourceDoc[]) => PushContext.build(new TestSnapshot([...docs, ...extra]), [], { domain: "cluster.local" }).hasSourceScopedRoutes;
  assert.equal(scoped([]), false);
  assert.equal(scoped([delegate()]), true);
  assert.equal(scoped([delegate(["ingress"])]), true, "a delegate's gateways are its root's business");
  assert.equal(scoped([{ ...delegate(["ingress"]), spec: { ...delegate(["ingress"]).spec, hosts: ["reviews"] } }]), false, "a gateway-only VirtualService with hosts never reaches sidecars");
});
