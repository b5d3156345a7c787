// Tests for Snapshot versions, SnapshotCache change detection and the consistency check.

import { test } from "node:test";
import assert from "node:assert/strict";
import { CLUSTER_TYPE, ENDPOINT_TYPE, HCM_TYPE, LISTENER_TYPE, ROUTE_TYPE } from "../../xds/type-urls.js";
import { Snapshot } from "./snapshot.js";
import { SnapshotCache } from "./snapshot-cache.js";

const cluster = (name: string, timeout = 10) => ({
  name,
  resource: { name, type: "EDS", connect_timeout: { seconds: timeout }, eds_cluster_config: { eds_config: { ads: {} }, service_name: name } },
});
const cla = (name: string) => ({ name, resource: { cluster_name: name } });
const listener = (name: string, rds: string) => ({
  name,
  resource: { name, filter_chains: [{ filters: [{ name: "envoy.filters.network.http_connection_manager", typed_config: { "@type": HCM_TYPE, stat_prefix: name, rds: { route_config_name: rds, config_source: { ads: {} } } } }] }] },
});

function snap(clusters: ReturnType<typeof cluster>[], endpoints = clusters.map((c) => cla(c.name))): Snapshot {
  return Snapshot.builder().add(CLUSTER_TYPE, clusters).add(ENDPOINT_TYPE, endpoints).build();
}

test("type version depends on content, not on insertion order", () => {
  const a = snap([cluster("a"), cluster("b")]);
  const b = snap([cluster("b"), cluster("a")]);
  const c = snap([cluster("a"), cluster("b", 11)]);
  assert.equal(a.version(CLUSTER_TYPE), b.version(CLUSTER_TYPE));
  assert.notEqual(a.version(CLUSTER_TYPE), c.version(CLUSTER_TYPE));
  assert.equal(a.resources(CLUSTER_TYPE).resources.get("a")!.any.type_url, CLUSTER_TYPE);
});

test("an absent type is served as empty with a stable version", () => {
  const a = snap([cluster("a")]);
  assert.equal(a.resources(ROUTE_TYPE).resources.size, 0);
  assert.equal(a.version(ROUTE_TYPE), snap([]).version(ROUTE_TYPE));
});

test("the cache notifies watchers only of changed types", () => {
  const cache = new SnapshotCache();
  const seen: string[][] = [];
  const unwatch = cache.watch("p1", (_s, changed) => seen.push([...changed]));
  assert.deepEqual(cache.set("p1", snap([cluster("a")])), [CLUSTER_TYPE, ENDPOINT_TYPE]);
  assert.deepEqual(cache.set("p1", snap([cluster("a")])), []);
  cache.set("p1", snap([cluster("a", 3)]));
  cache.set("p2", snap([cluster("z")]));
  unwatch();
  cache.set("p1", snap([cluster("b")]));
  assert.deepEqual(seen, [[CLUSTER_TYPE, ENDPOINT_TYPE], [CLUSTER_TYPE]]);
});

test("consistency reports EDS and RDS names referenced but absent", () => {
  const s = Snapshot.builder()
    .add(CLUSTER_TYPE, [cluster("a"), cluster("b"), { name: "static", resource: { name: "static", type: "STATIC" } }])
    .add(ENDPOINT_TYPE, [cla("a")])
    .add(LISTENER_TYPE, [listener("0.0.0.0_80", "80"), listener("0.0.0.0_90", "90")])
    .add(ROUTE_TYPE, [{ name: "80", resource: { name: "80" } }])
    .build();
  assert.deepEqual(s.consistency(), { missingEndpoints: ["b"], missingRoutes: ["90"] });
  assert.deepEqual(snap([cluster("a")]).consistency(), { missingEndpoints: [], missingRoutes: [] });
});
