// AdsServer over real gRPC streams on loopback, with a cache filled by the test (no Istio model involved).

import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from "../../xds/type-urls.js";
import { unpackAny } from "../../xds/any.js";
import { structToJson, type DiscoveryResponse } from "../../xds/discovery.js";
import { Snapshot } from "../cache/snapshot.js";
import { SnapshotCache } from "../cache/snapshot-cache.js";
import { createPilotMetrics } from "../debug/pilot-metrics.js";
import { AdsServer, type ConnectedNode } from "./ads-server.js";
import { AdsTestClient } from "./ads-test-client.js";
import { world } from "./test-world.js";

const cache = new SnapshotCache();
const metrics = createPilotMetrics({ connectedProxies: () => 0, services: () => 0, virtualServices: () => 0, rejectedConfigResources: () => 0 });
const disconnected: string[] = [];
const server = new AdsServer(
  cache,
  {
    connect(node) {
      if (!node?.id) throw new Error("node has no id");
      const md = structToJson(node.metadata);
      if (!cache.get(node.id)) cache.set(node.id, world(2));
      return { id: node.id, ip: String(md.INSTANCE_IPS ?? ""), type: "sidecar" };
    },
    disconnect(node: ConnectedNode) {
      disconnected.push(node.id);
    },
  },
  metrics,
);
let address = "";

before(async () => {
  address = `127.0.0.21:${await server.listen("127.0.0.21", 0)}`;
});
after(() => server.close());

const node = (n: string) => AdsTestClient.node("127.0.1.1", n, "default");

/** A stream subscribed to CDS as node `n`, with its first response. */
async function connected(n: string): Promise<{ c: AdsTestClient; first: DiscoveryResponse }> {
  const c = new AdsTestClient(address);
  c.send({ type_url: CLUSTER_TYPE, node: node(n) });
  return { c, first: await c.next() };
}

test("initial requests get current resources: LDS/CDS wildcard, EDS/RDS by name", async () => {
  const c = new AdsTestClient(address);
  c.send({ type_url: CLUSTER_TYPE, node: node("init") });
  const cds = await c.next();
  assert.equal(cds.type_url, CLUSTER_TYPE);
  assert.deepEqual(cds.resources.map((r) => unpackAny<{ name: string }>(r).name), ["c0", "c1"]);
  assert.equal(cds.version_info, world(2).version(CLUSTER_TYPE));
  c.send({ type_url: ENDPOINT_TYPE, resource_names: ["c1", "nope"] });
  const eds = await c.next();
  assert.deepEqual(eds.resources.map((r) => unpackAny<{ cluster_name: string }>(r).cluster_name), ["c1"]);
  c.send({ type_url: ROUTE_TYPE });
  assert.equal((await c.next()).resources.length, 0, "RDS with no names is not a wildcard");
  assert.notEqual(cds.nonce, eds.nonce);
  c.close();
});

test("ACK is recorded and nothing is resent; a NACK is recorded, counted, and the same version not resent", async () => {
  const id = node("acker").id;
  const { c, first } = await connected("acker");
  c.answer(first);
  assert.deepEqual(await c.drain(100), []);
  let sync = server.syncStatus().find((s) => s.id === id)!;
  assert.equal(sync.types.cds!.status, "SYNCED");
  assert.equal(sync.types.cds!.acked, first.version_info);

  cache.set(id, world(2, "v2"));
  const second = await c.next();
  assert.notEqual(second.version_info, first.version_info);
  const rejectsBefore = metrics.xdsRejects.get("cds");
  c.answer(second, [], "cluster c0: bad alt_stat_name");
  assert.deepEqual(await c.drain(100), [], "a NACK gets no answer");
  sync = server.syncStatus().find((s) => s.id === id)!;
  assert.equal(sync.types.cds!.status, "NACKED");
  assert.equal(sync.types.cds!.acked, first.version_info);
  assert.equal(sync.types.cds!.lastNack!.version, second.version_info);
  assert.equal(sync.types.cds!.lastNack!.message, "cluster c0: bad alt_stat_name");
  assert.equal(metrics.xdsRejects.get("cds"), rejectsBefore + 1);

  cache.set(id, world(2, "v2", performance.now())); // same content, new snapshot object
  assert.deepEqual(await c.drain(100), [], "the NACKed version is not resent");
  cache.set(id, world(2, "v3"));
  const third = await c.next();
  assert.equal(third.version_info, world(2, "v3").version(CLUSTER_TYPE));
  c.close();
});

test("a stale nonce is ignored; changed names with the current nonce get the newly named resources", async () => {
  const c = new AdsTestClient(address);
  c.send({ type_url: ENDPOINT_TYPE, node: node("names"), resource_names: ["c0"] });
  const first = await c.next();
  cache.set(node("names").id, world(3, "more"));
  const second = await c.next();
  assert.equal(second.resources.length, 1);
  c.answer(first, ["c0", "c1"]);
  assert.deepEqual(await c.drain(100), [], "request with a stale nonce is ignored");
  c.answer(second, ["c0", "c2"]);
  const third = await c.next();
  assert.deepEqual(third.resources.map((r) => unpackAny<{ cluster_name: string }>(r).cluster_name), ["c2"], "c0 is held already (incremental EDS)");
  c.close();
});

test("a change pushes only changed types, in CDS, EDS, LDS, RDS order, and only to that proxy", async () => {
  const a = new AdsTestClient(address);
  const b = new AdsTestClient(address);
  const subscribe = (c: AdsTestClient, n: string) => {
    c.send({ type_url: ROUTE_TYPE, node: node(n), resource_names: ["80"] });
    c.send({ type_url: LISTENER_TYPE });
    c.send({ type_url: ENDPOINT_TYPE, resource_names: ["c0", "c1"] });
    c.send({ type_url: CLUSTER_TYPE });
  };
  subscribe(a, "order-a");
  subscribe(b, "order-b");
  const names: Record<string, string[]> = { [ROUTE_TYPE]: ["80"], [ENDPOINT_TYPE]: ["c0", "c1"] };
  for (const c of [a, b]) {
    for (let i = 0; i < 4; i++) {
      const r = await c.next();
      c.answer(r, names[r.type_url] ?? []);
    }
  }
  assert.deepEqual(await a.drain(50), []);

  cache.set(node("order-a").id, world(2, "changed"));
  const order = [];
  for (let i = 0; i < 4; i++) {
    const r = await a.next();
    order.push(r.type_url);
    a.answer(r, names[r.type_url] ?? []);
  }
  assert.deepEqual(order, [CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE]);
  assert.deepEqual(await b.drain(100), [], "the other proxy gets nothing");

  const onlyLds = Snapshot.builder()
    .add(CLUSTER_TYPE, [...world(2, "changed").resources(CLUSTER_TYPE).resources.keys()].map((name) => ({ name, resource: { name, type: "EDS", alt_stat_name: "changed", eds_cluster_config: { service_name: name } } })))
    .add(ENDPOINT_TYPE, ["c0", "c1"].map((name) => ({ name, resource: { cluster_name: name, endpoints: [{ locality: { zone: "changed" } }] } })))
    .add(LISTENER_TYPE, [{ name: "l", resource: { name: "l", stat_prefix: "only-lds" } }])
    .add(ROUTE_TYPE, [{ name: "80", resource: { name: "80", internal_only_headers: ["changed"] } }])
    .build();
  cache.set(node("order-a").id, onlyLds);
  assert.deepEqual((await a.drain(150)).map((r) => r.type_url), [LISTENER_TYPE], "only the listener changed");
  a.close();
  b.close();
});

test("a garbage node closes only its stream with INVALID_ARGUMENT", async () => {
  const { c: good } = await connected("good");
  const bad = new AdsTestClient(address);
  bad.send({ type_url: CLUSTER_TYPE, node: { id: "" } });
  const end = await bad.ended;
  assert.equal(end.code, status.INVALID_ARGUMENT);
  assert.match(end.details, /invalid node: node has no id/);
  cache.set(node("good").id, world(1, "after"));
  assert.equal((await good.next()).resources.length, 1, "the other stream still works");
  good.close();
});

test("a second stream with the same node id replaces the first without a disconnect", async () => {
  const { c: first } = await connected("dup");
  const { c: second } = await connected("dup");
  assert.equal((await first.ended).code, status.ABORTED);
  assert.equal(disconnected.includes(node("dup").id), false);
  assert.equal(server.syncStatus().filter((s) => s.id === node("dup").id).length, 1);
  second.close();
  await second.ended;
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(disconnected.includes(node("dup").id), true, "ending the current stream disconnects");
});

test("a stream the client drops abruptly disconnects its node", async () => {
  const { c } = await connected("crash");
  assert.equal(server.syncStatus().some((s) => s.id === node("crash").id), true);
  c.cancel();
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(disconnected.includes(node("crash").id), true);
  assert.equal(server.syncStatus().some((s) => s.id === node("crash").id), false);
});

test("convergence is observed when every response of a triggered push is ACKed", async () => {
  const { c, first } = await connected("conv");
  c.answer(first);
  c.send({ type_url: ENDPOINT_TYPE, resource_names: ["c0"] });
  c.answer(await c.next(), ["c0"]);
  const before = metrics.convergenceTime.count();
  cache.set(node("conv").id, world(2, "conv", performance.now()));
  const cds = await c.next();
  const eds = await c.next();
  c.answer(cds);
  await c.drain(50);
  assert.equal(metrics.convergenceTime.count(), before, "not converged while EDS is unanswered");
  c.answer(eds, ["c0"]);
  await c.drain(50);
  assert.equal(metrics.convergenceTime.count(), before + 1);
  c.close();
});
