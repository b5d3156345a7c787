// typeSetDelta and diffAmong: only changed names are compared, with the same answer as a full diff.

import { test } from "node:test";
import assert from "node:assert/strict";
import { ENDPOINT_TYPE } from "../../xds/type-urls.js";
import { diff, diffAmong, onRequest, onSent } from "../server/subscription-state.js";
import { Snapshot } from "./snapshot.js";
import { typeSetDelta } from "./type-set-delta.js";

const set = (zones: Record<string, string>) =>
  Snapshot.builder().add(ENDPOINT_TYPE, Object.entries(zones).map(([name, zone]) => ({ name, resource: { cluster_name: name, endpoints: [{ locality: { zone } }] } }))).build().resources(ENDPOINT_TYPE);

test("the delta between two type sets lists changed, added and removed names, once per pair", () => {
  const a = set({ c0: "x", c1: "x", c2: "x" });
  const b = set({ c0: "x", c1: "y", c3: "x" });
  assert.deepEqual([...typeSetDelta(a, b)].sort(), ["c1", "c2", "c3"]);
  assert.equal(typeSetDelta(a, b), typeSetDelta(a, b), "memoised");
  // A client subscribed to c0..c2 and synced from `a` gets the same answer from diffAmong as from diff.
  let state = onRequest(undefined, { resourceNames: ["c0", "c1", "c2"], responseNonce: "" }, false, 0).state;
  state = onSent(state, { version: a.version, nonce: "1", time: 0 }, { resources: [...a.resources.values()].map((r) => [r.name, r.hash] as const), removed: [], complete: false });
  assert.deepEqual(diffAmong(state, b.resources, typeSetDelta(a, b)), diff(state, b.resources));
  assert.deepEqual(diffAmong(state, b.resources, typeSetDelta(a, b)), { updated: ["c1"], removed: ["c2"] });
});

test("a client holding exactly a type set shares it by reference, and a later partial send copies it", async () => {
  const { TypeSetView } = await import("../server/subscription-state.js");
  const a = set({ c0: "x", c1: "x" });
  let state = onRequest(undefined, { resourceNames: ["c0", "c1"], responseNonce: "" }, false, 0).state;
  state = onSent(state, { version: a.version, nonce: "1", time: 0 }, { resources: [...a.resources.values()].map((r) => [r.name, r.hash] as const), removed: [], complete: false }, a.resources);
  assert.ok(state.known instanceof TypeSetView);
  assert.deepEqual([...state.known], [...a.resources.values()].map((r) => [r.name, r.hash]));
  const b = set({ c0: "x", c1: "y" });
  const c1 = b.resources.get("c1")!;
  const next = onSent(state, { version: b.version, nonce: "2", time: 0 }, { resources: [[c1.name, c1.hash]], removed: [], complete: false });
  assert.equal(next.known.get("c1"), c1.hash);
  assert.equal(next.known.get("c0"), a.resources.get("c0")!.hash);
  assert.equal(state.known.get("c1"), a.resources.get("c1")!.hash, "the shared set itself is untouched");
});
