// Delta xDS, incremental SotW EDS and the non-aggregated services of AdsServer, over real gRPC streams on loopback.

import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE } from "../../xds/type-urls.js";
import { unpackAny } from "../../xds/any.js";
import { clusterDiscoveryService, endpointDiscoveryService, type DeltaDiscoveryResponse } from "../../xds/discovery.js";
import { SnapshotCache } from "../cache/snapshot-cache.js";
import { createPilotMetrics } from "../debug/pilot-metrics.js";
import { AdsServer } from "./ads-server.js";
import { AdsTestClient } from "./ads-test-client.js";
import { DeltaTestClient } from "./delta-test-client.js";
import { world } from "./test-world.js";

const cache = new SnapshotCache();
const metrics = createPilotMetrics({ connectedProxies: () => 0, services: () => 0, virtualServices: () => 0, rejectedConfigResources: () => 0 });
const connects: string[] = [];
const disconnects: string[] = [];
const server = new AdsServer(
  cache,
  {
    connect(node) {
      if (!node?.id) throw new Error("node has no id");
      connects.push(node.id);
      if (!cache.get(node.id)) cache.set(node.id, world(2));
      return { id: node.id, ip: "127.0.1.2", type: "sidecar" };
    },
    disconnect(node) {
      disconnects.push(node.id);
    },
  },
  metrics,
);
let address = "";

before(async () => {
  address = `127.0.0.22:${await server.listen("127.0.0.22", 0)}`;
});
after(() => server.close());

const node = (n: string) => AdsTestClient.node("127.0.1.2", n, "default");
const names = (r: DeltaDiscoveryResponse) => r.resources.map((x) => x.name).sort();
const hashes = (r: DeltaDiscoveryResponse) => Object.fromEntries(r.resources.map((x) => [x.name, x.version]));
const settle = () => new Promise((r) => setTimeout(r, 50));

test("delta: a first LDS/CDS request subscribing to nothing is a wildcard; resources carry name, hash version and Any", async () => {
  const c = new DeltaTestClient(address);
  c.send({ type_url: CLUSTER_TYPE, node: node("d-wild") });
  const cds = await c.next();
  assert.equal(cds.type_url, CLUSTER_TYPE);
  assert.deepEqual(names(cds), ["c0", "c1"]);
  assert.equal(cds.system_version_info, world(2).version(CLUSTER_TYPE));
  assert.deepEqual(cds.removed_resources, []);
  const c0 = world(2).resources(CLUSTER_TYPE).resources.get("c0")!;
  const sent0 = cds.resources.find((r) => r.name === "c0")!;
  assert.equal(sent0.version, c0.hash);
  assert.equal(unpackAny<{ name: string }>(sent0.resource!).name, "c0");
  c.answer(cds);
  c.send({ type_url: LISTENER_TYPE });
  const lds = await c.next();
  assert.deepEqual(names(lds), ["l"]);
  assert.notEqual(lds.nonce, cds.nonce);
  c.answer(lds);
  assert.deepEqual(await c.drain(100), [], "ACKs get no answer");
  const sync = server.syncStatus().find((s) => s.id === node("d-wild").id)!;
  assert.deepEqual(sync.types.cds, { ...sync.types.cds, status: "SYNCED", protocol: "delta", resources: 2, resourceNames: "*" });
  c.close();
});

test("delta: named EDS subscribe and unsubscribe; a name that does not exist yet is sent once it exists", async () => {
  const id = node("d-named").id;
  const c = new DeltaTestClient(address);
  c.send({ type_url: ENDPOINT_TYPE, node: node("d-named"), resource_names_subscribe: ["c0", "c2"] });
  const first = await c.next();
  assert.deepEqual(names(first), ["c0"]);
  c.answer(first, undefined, { resource_names_subscribe: ["c1"] });
  const second = await c.next();
  assert.deepEqual(names(second), ["c1"], "only the newly subscribed resource");
  c.answer(second);
  c.send({ type_url: ENDPOINT_TYPE, resource_names_unsubscribe: ["c0"] });
  assert.deepEqual(await c.drain(100), [], "unsubscribing sends nothing");

  cache.set(id, world(3));
  const third = await c.next();
  assert.deepEqual(names(third), ["c2"], "c2 now exists; c1 is unchanged, c0 unsubscribed");
  c.answer(third);
  cache.set(id, world(3, "t", undefined, { c0: "moved" }));
  assert.deepEqual(await c.drain(100), [], "a change to an unsubscribed resource is not sent");
  c.send({ type_url: ENDPOINT_TYPE, resource_names_subscribe: ["c0"] });
  assert.deepEqual(names(await c.next()), ["c0"], "re-subscribing sends it again");
  c.close();
});

test("delta: initial_resource_versions suppress resends; wildcard names the client holds that are gone are removed", async () => {
  const current = world(2).resources(CLUSTER_TYPE).resources;
  const c = new DeltaTestClient(address);
  c.send({
    type_url: CLUSTER_TYPE,
    node: node("d-initial"),
    initial_resource_versions: { c0: current.get("c0")!.hash, c1: "stale-hash", gone: "x" },
  });
  const r = await c.next();
  assert.deepEqual(names(r), ["c1"]);
  assert.deepEqual(r.removed_resources, ["gone"]);
  c.answer(r);

  const e = new DeltaTestClient(address, endpointDiscoveryService.DeltaEndpoints);
  const cla = world(2).resources(ENDPOINT_TYPE).resources;
  e.send({ type_url: ENDPOINT_TYPE, node: node("d-initial-eds"), resource_names_subscribe: ["c0", "c1"], initial_resource_versions: { c0: cla.get("c0")!.hash, c1: cla.get("c1")!.hash } });
  assert.deepEqual(await e.drain(100), [], "a named subscription the client is up to date with gets no response");
  c.close();
  e.close();
});

test("delta: removal sends removed_resources for subscribed names and for wildcard resources that disappeared", async () => {
  const id = node("d-remove").id;
  const c = new DeltaTestClient(address);
  c.send({ type_url: CLUSTER_TYPE, node: node("d-remove") });
  c.answer(await c.next());
  c.send({ type_url: ENDPOINT_TYPE, resource_names_subscribe: ["c0", "c1"] });
  c.answer(await c.next());
  cache.set(id, world(1));
  const cds = await c.next();
  assert.equal(cds.type_url, CLUSTER_TYPE);
  assert.deepEqual(names(cds), []);
  assert.deepEqual(cds.removed_resources, ["c1"]);
  const eds = await c.next();
  assert.equal(eds.type_url, ENDPOINT_TYPE);
  assert.deepEqual(eds.removed_resources, ["c1"]);
  assert.deepEqual(names(eds), []);
  c.close();
});

test("delta: a NACK is recorded and counted, the rejected versions are not resent, the next change is sent", async () => {
  const id = node("d-nack").id;
  const c = new DeltaTestClient(address);
  c.send({ type_url: CLUSTER_TYPE, node: node("d-nack") });
  const first = await c.next();
  c.answer(first);
  cache.set(id, world(2, "v2"));
  const second = await c.next();
  const rejectsBefore = metrics.xdsRejects.get("cds");
  c.answer(second, "cluster c0: bad");
  await settle();
  const sync = server.syncStatus().find((s) => s.id === id)!;
  assert.equal(sync.types.cds!.status, "NACKED");
  assert.equal(sync.types.cds!.lastNack!.message, "cluster c0: bad");
  assert.equal(metrics.xdsRejects.get("cds"), rejectsBefore + 1);
  cache.set(id, world(2, "v2", performance.now()));
  assert.deepEqual(await c.drain(100), [], "same content: nothing resent");
  cache.set(id, world(2, "v3"));
  const third = await c.next();
  assert.deepEqual(names(third), ["c0", "c1"]);
  assert.notDeepEqual(hashes(third), hashes(second));
  c.close();
});

test("an endpoint change sends exactly one resource to the proxies watching it and nothing to the others (delta and SotW)", async () => {
  const delta = async (n: string, watch: string[]) => {
    const c = new DeltaTestClient(address);
    c.send({ type_url: ENDPOINT_TYPE, node: node(n), resource_names_subscribe: watch });
    c.answer(await c.next());
    return c;
  };
  const sotw = async (n: string, watch: string[]) => {
    const c = new AdsTestClient(address);
    c.send({ type_url: ENDPOINT_TYPE, node: node(n), resource_names: watch });
    c.answer(await c.next(), watch);
    return c;
  };
  const dWatching = await delta("eds-d1", ["c0", "c1"]);
  const dOther = await delta("eds-d2", ["c1"]);
  const sWatching = await sotw("eds-s1", ["c0", "c1"]);
  const sOther = await sotw("eds-s2", ["c1"]);
  const changed = world(2, "t", undefined, { c0: "scaled" });
  for (const n of ["eds-d1", "eds-d2", "eds-s1", "eds-s2"]) cache.set(node(n).id, changed);

  const d = await dWatching.next();
  assert.deepEqual(names(d), ["c0"]);
  assert.equal(d.resources[0]!.version, changed.resources(ENDPOINT_TYPE).resources.get("c0")!.hash);
  const s = await sWatching.next();
  assert.deepEqual(s.resources.map((r) => unpackAny<{ cluster_name: string }>(r).cluster_name), ["c0"], "SotW EDS carries only the changed CLA");
  assert.equal(s.version_info, changed.version(ENDPOINT_TYPE));
  assert.deepEqual(await dOther.drain(100), []);
  assert.deepEqual(await sOther.drain(0), []);
  assert.deepEqual(await dWatching.drain(0), []);
  assert.deepEqual(await sWatching.drain(0), []);
  for (const c of [dWatching, dOther, sWatching, sOther]) c.close();
});

test("non-aggregated CDS (SotW) and EDS (delta) streams of one node are one proxy: one connect, one disconnect after the last", async () => {
  const id = node("split").id;
  const cds = new AdsTestClient(address, clusterDiscoveryService.StreamClusters);
  cds.send({ type_url: CLUSTER_TYPE, node: node("split") });
  const clusters = await cds.next();
  assert.equal(clusters.resources.length, 2);
  cds.answer(clusters);
  const eds = new DeltaTestClient(address, endpointDiscoveryService.DeltaEndpoints);
  eds.send({ type_url: "", node: node("split"), resource_names_subscribe: ["c1"] });
  const endpoints = await eds.next();
  assert.equal(endpoints.type_url, ENDPOINT_TYPE, "an empty type_url is the stream's type");
  assert.deepEqual(names(endpoints), ["c1"]);
  eds.answer(endpoints);
  await settle();
  assert.equal(connects.filter((c) => c === id).length, 1);
  const sync = server.syncStatus().find((s) => s.id === id)!;
  assert.equal(sync.streams, 2);
  assert.equal(sync.types.cds!.protocol, "sotw");
  assert.equal(sync.types.eds!.protocol, "delta");
  assert.equal(server.sentConfig(id)!.size, 2, "config_dump sees both streams");

  cache.set(id, world(2, "t", undefined, { c1: "moved" }));
  assert.deepEqual(names(await eds.next()), ["c1"]);
  assert.deepEqual(await cds.drain(100), [], "clusters did not change");

  cds.close();
  await cds.ended;
  await settle();
  assert.equal(disconnects.includes(id), false, "the EDS stream is still open");
  eds.close();
  await eds.ended;
  await settle();
  assert.equal(disconnects.filter((d) => d === id).length, 1);
});

test("a request for another type on a non-aggregated stream ends it with INVALID_ARGUMENT", async () => {
  const c = new AdsTestClient(address, clusterDiscoveryService.StreamClusters);
  c.send({ type_url: LISTENER_TYPE, node: node("wrong-type") });
  const end = await c.ended;
  assert.equal(end.code, status.INVALID_ARGUMENT);
  assert.match(end.details, /Cluster.*Listener/);
});

test("config_dump keeps what an incremental stream holds, not only the last response", async () => {
  const id = node("dump").id;
  const c = new AdsTestClient(address);
  c.send({ type_url: ENDPOINT_TYPE, node: node("dump"), resource_names: ["c0", "c1"] });
  c.answer(await c.next(), ["c0", "c1"]);
  cache.set(id, world(2, "t", undefined, { c1: "moved" }));
  assert.equal((await c.next()).resources.length, 1);
  const held = server.sentConfig(id)!.get(ENDPOINT_TYPE)!;
  assert.deepEqual(held.resources.map((r) => r.name).sort(), ["c0", "c1"]);
  assert.equal(held.resources.find((r) => r.name === "c1")!.hash, cache.get(id)!.resources(ENDPOINT_TYPE).resources.get("c1")!.hash);
  c.close();
});
