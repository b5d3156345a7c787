// Table-driven tests of the subscription state machine: SotW and delta requests, diffs, and what a send records.

import { test } from "node:test";
import assert from "node:assert/strict";
import { diff, onDeltaRequest, onRequest, onSent, type DeltaRequestView, type SubscriptionState } from "./subscription-state.js";

const sentV1: SubscriptionState = {
  wildcard: false,
  names: ["a", "b"],
  known: new Map([["a", "ha"], ["b", "hb"]]),
  sent: { version: "v1", nonce: "n1", time: 1 },
  pending: true,
  ackedVersion: "v0",
};

interface Row {
  name: string;
  prev: SubscriptionState | undefined;
  names: string[];
  nonce: string;
  error?: string;
  wildcardType?: boolean;
  kind: string;
  respond: string;
  check?: (s: SubscriptionState) => void;
}

const rows: Row[] = [
  { name: "first request subscribes and responds", prev: undefined, names: ["b", "a", "a"], nonce: "", kind: "initial", respond: "always", check: (s) => assert.deepEqual(s.names, ["a", "b"]) },
  { name: "first LDS/CDS request with no names is a wildcard", prev: undefined, names: [], nonce: "", wildcardType: true, kind: "initial", respond: "always", check: (s) => assert.equal(s.wildcard, true) },
  { name: "explicit * is a wildcard", prev: undefined, names: ["*"], nonce: "", wildcardType: true, kind: "initial", respond: "always", check: (s) => assert.equal(s.wildcard, true) },
  { name: "RDS/EDS with no names subscribe to nothing", prev: undefined, names: [], nonce: "", wildcardType: false, kind: "initial", respond: "always", check: (s) => { assert.equal(s.wildcard, false); assert.deepEqual(s.names, []); } },
  { name: "a first request carrying a nonce from an earlier stream is still answered", prev: undefined, names: ["a"], nonce: "old", kind: "initial", respond: "always" },
  { name: "ACK records the acked version and does not respond", prev: sentV1, names: ["a", "b"], nonce: "n1", kind: "ack", respond: "none", check: (s) => { assert.equal(s.ackedVersion, "v1"); assert.equal(s.pending, false); } },
  {
    name: "ACK with changed names responds, and forgets the names dropped",
    prev: sentV1, names: ["a", "c"], nonce: "n1", kind: "ack", respond: "always",
    check: (s) => { assert.deepEqual(s.names, ["a", "c"]); assert.deepEqual([...s.known], [["a", "ha"]]); },
  },
  { name: "ACK with names reordered is not a change", prev: sentV1, names: ["b", "a"], nonce: "n1", kind: "ack", respond: "none" },
  {
    name: "NACK records the rejected version and message, keeps the acked version, does not respond",
    prev: sentV1, names: ["a", "b"], nonce: "n1", error: "bad cluster", kind: "nack", respond: "none",
    check: (s) => {
      assert.equal(s.ackedVersion, "v0");
      assert.equal(s.pending, false);
      assert.equal(s.known, sentV1.known, "the rejected resources still count as sent");
      assert.deepEqual({ ...s.lastNack, time: 0 }, { version: "v1", nonce: "n1", message: "bad cluster", time: 0 });
    },
  },
  { name: "stale nonce is ignored, names included", prev: sentV1, names: ["z"], nonce: "n0", kind: "stale", respond: "none", check: (s) => assert.equal(s, sentV1) },
  { name: "stale NACK is ignored", prev: sentV1, names: ["a", "b"], nonce: "n0", error: "x", kind: "stale", respond: "none", check: (s) => assert.equal(s.lastNack, undefined) },
  {
    name: "an empty nonce on a known type re-subscribes, forgets what was sent and responds",
    prev: sentV1, names: ["a"], nonce: "", kind: "initial", respond: "always",
    check: (s) => { assert.deepEqual(s.names, ["a"]); assert.equal(s.sent, sentV1.sent); assert.equal(s.known.size, 0); },
  },
  { name: "a nonce before anything was sent is stale", prev: { ...sentV1, sent: undefined, pending: false }, names: ["a"], nonce: "n1", kind: "stale", respond: "none" },
];

for (const row of rows) {
  test(`onRequest: ${row.name}`, () => {
    const t = onRequest(row.prev, { resourceNames: row.names, responseNonce: row.nonce, errorMessage: row.error }, row.wildcardType ?? false, 42);
    assert.equal(t.kind, row.kind);
    assert.equal(t.respond, row.respond);
    row.check?.(t.state);
  });
}

const delta = (v: Partial<DeltaRequestView>): DeltaRequestView => ({ subscribe: [], unsubscribe: [], initialVersions: {}, responseNonce: "", ...v });

interface DeltaRow {
  name: string;
  prev: SubscriptionState | undefined;
  req: DeltaRequestView;
  wildcardType?: boolean;
  kind: string;
  respond: string;
  check?: (s: SubscriptionState) => void;
}

const wildcardSent: SubscriptionState = { ...sentV1, wildcard: true, names: [] };

const deltaRows: DeltaRow[] = [
  { name: "first LDS/CDS request subscribing to nothing is a (legacy) wildcard, always answered", prev: undefined, req: delta({}), wildcardType: true, kind: "initial", respond: "always", check: (s) => assert.equal(s.wildcard, true) },
  { name: "first EDS request subscribing to nothing subscribes to nothing", prev: undefined, req: delta({}), kind: "initial", respond: "changes", check: (s) => { assert.equal(s.wildcard, false); assert.deepEqual(s.names, []); } },
  { name: "* subscribes to everything on any type", prev: undefined, req: delta({ subscribe: ["*", "x"] }), kind: "initial", respond: "always", check: (s) => { assert.equal(s.wildcard, true); assert.deepEqual(s.names, ["x"]); } },
  {
    name: "initial_resource_versions become what the client holds",
    prev: undefined, req: delta({ subscribe: ["a"], initialVersions: { a: "ha" } }), kind: "initial", respond: "changes",
    check: (s) => assert.deepEqual([...s.known], [["a", "ha"]]),
  },
  {
    name: "a later request with an empty subscribe list adds nothing and answers nothing",
    prev: sentV1, req: delta({ responseNonce: "n1" }), wildcardType: true, kind: "ack", respond: "none",
    check: (s) => { assert.equal(s.wildcard, false); assert.equal(s.ackedVersion, "v1"); },
  },
  {
    name: "subscribe and unsubscribe without a nonce update the names; an unsubscribed name is forgotten",
    prev: sentV1, req: delta({ subscribe: ["c"], unsubscribe: ["a"] }), kind: "update", respond: "changes",
    check: (s) => { assert.deepEqual(s.names, ["b", "c"]); assert.deepEqual([...s.known.keys()], ["b"]); assert.equal(s.pending, true); },
  },
  {
    name: "changes riding on a stale nonce still apply",
    prev: sentV1, req: delta({ subscribe: ["c"], responseNonce: "n0" }), kind: "stale", respond: "changes",
    check: (s) => assert.deepEqual(s.names, ["a", "b", "c"]),
  },
  {
    name: "NACK is recorded, the sent versions stay known",
    prev: sentV1, req: delta({ responseNonce: "n1", errorMessage: "bad" }), kind: "nack", respond: "none",
    check: (s) => { assert.equal(s.lastNack?.message, "bad"); assert.equal(s.known.get("a"), "ha"); assert.equal(s.pending, false); },
  },
  {
    name: "unsubscribing * ends the wildcard and forgets what was not named",
    prev: { ...wildcardSent, names: ["a"] }, req: delta({ unsubscribe: ["*"] }), kind: "update", respond: "changes",
    check: (s) => { assert.equal(s.wildcard, false); assert.deepEqual([...s.known.keys()], ["a"]); },
  },
  {
    name: "unsubscribing a name under a wildcard marks it unknown, so the next diff says whether it still exists",
    prev: { ...wildcardSent, names: ["a"] }, req: delta({ unsubscribe: ["a"] }), kind: "update", respond: "changes",
    check: (s) => { assert.deepEqual(s.names, []); assert.equal(s.known.get("a"), ""); },
  },
  { name: "re-subscribing a subscribed name is not a change", prev: sentV1, req: delta({ subscribe: ["a"] }), kind: "update", respond: "none" },
];

for (const row of deltaRows) {
  test(`onDeltaRequest: ${row.name}`, () => {
    const t = onDeltaRequest(row.prev, row.req, row.wildcardType ?? false, 42);
    assert.equal(t.kind, row.kind);
    assert.equal(t.respond, row.respond);
    row.check?.(t.state);
  });
}

const avail = (entries: Record<string, string>) => new Map(Object.entries(entries).map(([n, hash]) => [n, { hash }]));

test("diff: named subscription gets new and changed subscribed resources; removed only what the client holds", () => {
  const d = diff(sentV1, avail({ a: "ha", b: "hb2", c: "hc" }));
  assert.deepEqual(d, { updated: ["b"], removed: [] });
  const gone = diff({ ...sentV1, names: ["a", "b", "z"] }, avail({ b: "hb" }));
  assert.deepEqual(gone, { updated: [], removed: ["a"] }, "z was never held: nothing to say about it");
});

test("diff: wildcard gets everything not held and removes every held name that is gone", () => {
  assert.deepEqual(diff(wildcardSent, avail({ a: "ha", c: "hc" })), { updated: ["c"], removed: ["b"] });
});

test("onSent: incremental sends merge into what the client holds; complete ones replace it", () => {
  const sent = { version: "v2", nonce: "n2", time: 2 };
  const merged = onSent(sentV1, sent, { resources: [["b", "hb2"]], removed: ["a"], complete: false });
  assert.deepEqual([...merged.known].sort(), [["b", "hb2"]]);
  assert.equal(merged.pending, true);
  assert.equal(merged.sent, sent);
  const replaced = onSent(wildcardSent, sent, { resources: [["c", "hc"]], removed: [], complete: true });
  assert.deepEqual([...replaced.known], [["c", "hc"]]);
  const acked = onRequest(replaced, { resourceNames: [], responseNonce: "n2" }, true, 6);
  assert.equal(acked.kind, "ack");
  assert.equal(acked.state.ackedVersion, "v2");
  assert.equal(acked.state.pending, false);
});

test("after a NACK the same content is not sent again, different content is", () => {
  const nacked = onRequest(sentV1, { resourceNames: ["a", "b"], responseNonce: "n1", errorMessage: "no" }, false, 1).state;
  assert.deepEqual(diff(nacked, avail({ a: "ha", b: "hb" })).updated, []);
  assert.deepEqual(diff(nacked, avail({ a: "ha2", b: "hb" })).updated, ["a"]);
});
