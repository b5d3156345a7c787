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
