// parseProxy over nodes that went through the real ADS codec, and its refusals of garbage metadata.

import { test } from "node:test";
import assert from "node:assert/strict";
import { aggregatedDiscoveryService, jsonToStruct, type XdsNode } from "../../xds/discovery.js";
import { parseProxy } from "./proxy.js";
import { workloadFromProxy } from "./workload-instance.js";

const codec = aggregatedDiscoveryService.StreamAggregatedResources;
function overTheWire(node: XdsNode): XdsNode | null | undefined {
  const req = { version_info: "", resource_names: [], type_url: "", response_nonce: "", node };
  return codec.requestDeserialize(codec.requestSerialize(req)).node;
}

test("a sidecar node decoded from the wire gives ip, namespace, labels, APP_PORT, locality", () => {
  const p = parseProxy(
    overTheWire({
      id: "sidecar~127.0.0.12~reviews-v1.default~default.svc.cluster.local",
      metadata: jsonToStruct({ NAMESPACE: "default", WORKLOAD_NAME: "reviews-v1", INSTANCE_IPS: "127.0.0.12,127.0.0.99", LABELS: { app: "reviews", version: "v1" }, APP_PORT: "19082", SERVICE_ACCOUNT: "bookinfo-reviews" }),
      locality: { region: "eu", zone: "a" },
    }),
    "ipv4:127.0.0.1:4000",
  );
  assert.deepEqual(
    { type: p.type, ip: p.ip, ns: p.namespace, wl: p.workloadName, labels: p.labels, sa: p.serviceAccount, app: p.appPort, loc: p.locality },
    { type: "sidecar", ip: "127.0.0.12", ns: "default", wl: "reviews-v1", labels: { app: "reviews", version: "v1" }, sa: "bookinfo-reviews", app: 19082, loc: { region: "eu", zone: "a" } },
  );
  assert.deepEqual(workloadFromProxy(p), {
    name: "reviews-v1", namespace: "default", address: "127.0.0.12", labels: { app: "reviews", version: "v1" }, serviceAccount: "bookinfo-reviews", locality: "eu/a", source: "proxy",
  });
});

test("GENERATOR=grpc makes a proxyless gRPC proxy; ip and namespace fall back to the node id, then the peer", () => {
  const g = parseProxy(overTheWire({ id: "sidecar~127.0.0.40~client.shop~shop.svc.cluster.local", metadata: jsonToStruct({ GENERATOR: "grpc" }) }), "");
  assert.deepEqual([g.type, g.ip, g.namespace, g.workloadName, g.serviceAccount], ["grpc", "127.0.0.40", "shop", "client", "default"]);
  const bare = parseProxy({ id: "my-client" }, "ipv4:127.0.0.9:5555");
  assert.deepEqual([bare.ip, bare.namespace, bare.workloadName], ["127.0.0.9", "default", ""]);
  assert.equal(parseProxy({ id: "x" }, "[::1]:80").ip, "::1");
  assert.equal(workloadFromProxy(bare), undefined, "no labels registers nothing");
});

test("garbage nodes are refused with XDS_BAD_NODE", () => {
  const cases: [XdsNode | null, string][] = [
    [null, "127.0.0.1:1"],
    [{}, "127.0.0.1:1"],
    [{ id: "x", metadata: jsonToStruct({ LABELS: "app=reviews" }) }, "127.0.0.1:1"],
    [{ id: "x", metadata: jsonToStruct({ LABELS: { app: 3 } }) }, "127.0.0.1:1"],
    [{ id: "x", metadata: jsonToStruct({ APP_PORT: "http" }) }, "127.0.0.1:1"],
    [{ id: "x", metadata: jsonToStruct({ APP_PORT: "70000" }) }, "127.0.0.1:1"],
    [{ id: "x", metadata: jsonToStruct({ INSTANCE_IPS: "not-an-ip" }) }, "127.0.0.1:1"],
    [{ id: "x", metadata: jsonToStruct({ APP_ADDRESS: "localhost" }) }, "127.0.0.1:1"],
    [{ id: "x", metadata: jsonToStruct({ NAMESPACE: 7 }) }, "127.0.0.1:1"],
    [{ id: "sidecar~999.1.1.1~a.b~b.svc.cluster.local" }, "127.0.0.1:1"],
    [{ id: "x" }, "unix:/tmp/sock"],
  ];
  for (const [n, peer] of cases) {
    assert.throws(() => parseProxy(n, peer), (e: Error & { code?: string }) => e.code === "XDS_BAD_NODE", JSON.stringify(n));
  }
});

test("a gRPC xDS client is proxyless by GENERATOR, or by its user agent when GENERATOR is absent", () => {
  const node = (metadata: Record<string, unknown>, agent?: string) =>
    ({ id: "sidecar~127.0.0.50~c.default~default.svc.cluster.local", metadata: jsonToStruct(metadata), user_agent_name: agent }) as XdsNode;
  assert.equal(parseProxy(node({ GENERATOR: "grpc" }), "").type, "grpc");
  assert.equal(parseProxy(node({}, "gRPC Node Pure JS"), "").type, "grpc");
  assert.equal(parseProxy(node({}, "envoy"), "").type, "sidecar");
  assert.equal(parseProxy(node({}, "weft"), "").type, "sidecar");
  assert.equal(parseProxy(node({ GENERATOR: "sidecar" }, "gRPC Go"), "").type, "sidecar");
});
