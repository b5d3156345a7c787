// Tests for TypeSubscription: the client's protocol-neutral per-type state.

import { test } from "node:test";
import assert from "node:assert/strict";
import { TypeSubscription } from "./type-subscription.js";
import { CLUSTER_TYPE, ENDPOINT_TYPE } from "../../xds/type-urls.js";

test("setNames reports added and removed names only when the set changes, and drops removed resources", () => {
  const sub = new TypeSubscription(ENDPOINT_TYPE, false);
  assert.equal(sub.setNames([]), undefined);
  assert.deepEqual(sub.setNames(["b", "a", "a"]), { added: ["a", "b"], removed: [] });
  assert.deepEqual(sub.names, ["a", "b"]);
  assert.equal(sub.setNames(["a", "b"]), undefined);
  sub.commit({ resources: new Map([["a", { cluster_name: "a" }], ["b", { cluster_name: "b" }]]), versions: new Map([["a", "1"], ["b", "1"]]) }, "v1");
  assert.deepEqual(sub.setNames(["a", "c"]), { added: ["c"], removed: ["b"] });
  assert.deepEqual([...sub.resources.keys()], ["a"]);
  assert.deepEqual([...sub.versions], [["a", "1"]]);
});

test("commit adopts the set and version, and stamps only the resources that changed", () => {
  const sub = new TypeSubscription(CLUSTER_TYPE, true);
  const a = { name: "a" };
  sub.commit({ resources: new Map([["a", a]]), versions: new Map([["a", "1"]]) }, "v1");
  const stampA = sub.updatedAt.get("a");
  sub.commit({ resources: new Map([["a", a], ["b", { name: "b" }]]), versions: new Map([["a", "1"], ["b", "2"]]) }, "v2");
  assert.equal(sub.acceptedVersion, "v2");
  assert.equal(sub.updatedAt.get("a"), stampA);
  assert.ok(sub.updatedAt.get("b"));
  sub.commit({ resources: new Map([["b", sub.resources.get("b")!]]), versions: new Map([["b", "2"]]) }, "v3");
  assert.deepEqual([...sub.updatedAt.keys()], ["b"]);
});

test("reject records the error and leaves the held state alone", () => {
  const sub = new TypeSubscription(CLUSTER_TYPE, true);
  sub.commit({ resources: new Map([["a", { name: "a" }]]), versions: new Map([["a", "1"]]) }, "v1");
  sub.reject("v2", "bad lb_policy");
  assert.equal(sub.acceptedVersion, "v1");
  assert.equal(sub.lastError?.version, "v2");
  assert.equal(sub.lastError?.message, "bad lb_policy");
  assert.deepEqual([...sub.resources.keys()], ["a"]);
});
