// Table-driven tests of the SotW ACK/NACK state machine.

import { test } from "node:test";
import assert from "node:assert/strict";
import { needsPush, onRequest, onSent, type SubscriptionState } from "./subscription-state.js";

const sentV1: SubscriptionState = {
  wildcard: false,
  names: ["a", "b"],
  sent: { version: "v1", nonce: "n1", digest: "d1", time: 1 },
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
  respond: boolean;
  check?: (s: SubscriptionState) => void;
}

const rows: Row[] = [
  { name: "first request subscribes and responds", prev: undefined, names: ["b", "a", "a"], nonce: "", kind: "initial", respond: true, check: (s) => assert.deepEqual(s.names, ["a", "b"]) },
  { name: "first LDS/CDS request with no names is a wildcard", prev: undefined, names: [], nonce: "", wildcardType: true, kind: "initial", respond: true, check: (s) => assert.equal(s.wildcard, true) },
  { name: "explicit * is a wildcard", prev: undefined, names: ["*"], nonce: "", wildcardType: true, kind: "initial", respond: true, check: (s) => assert.equal(s.wildcard, true) },
  { name: "RDS/EDS with no names subscribe to nothing", prev: undefined, names: [], nonce: "", wildcardType: false, kind: "initial", respond: true, check: (s) => { assert.equal(s.wildcard, false); assert.deepEqual(s.names, []); } },
  { name: "a first request carrying a nonce from an earlier stream is still answered", prev: undefined, names: ["a"], nonce: "old", kind: "initial", respond: true },
  { name: "ACK records the acked version and does not respond", prev: sentV1, names: ["a", "b"], nonce: "n1", kind: "ack", respond: false, check: (s) => { assert.equal(s.ackedVersion, "v1"); assert.equal(s.pending, false); } },
  { name: "ACK with changed names responds with the new subset", prev: sentV1, names: ["a", "c"], nonce: "n1", kind: "ack", respond: true, check: (s) => assert.deepEqual(s.names, ["a", "c"]) },
  { name: "ACK with names reordered is not a change", prev: sentV1, names: ["b", "a"], nonce: "n1", kind: "ack", respond: false },
  {
    name: "NACK records the rejected version and message, keeps the acked version, does not respond",
    prev: sentV1, names: ["a", "b"], nonce: "n1", error: "bad cluster", kind: "nack", respond: false,
    check: (s) => {
      assert.equal(s.ackedVersion, "v0");
      assert.equal(s.pending, false);
      assert.deepEqual({ ...s.lastNack, time: 0 }, { version: "v1", nonce: "n1", message: "bad cluster", time: 0 });
    },
  },
  { name: "stale nonce is ignored, names included", prev: sentV1, names: ["z"], nonce: "n0", kind: "stale", respond: false, check: (s) => assert.equal(s, sentV1) },
  { name: "stale NACK is ignored", prev: sentV1, names: ["a", "b"], nonce: "n0", error: "x", kind: "stale", respond: false, check: (s) => assert.equal(s.lastNack, undefined) },
  { name: "an empty nonce on a known type re-subscribes and responds", prev: sentV1, names: ["a"], nonce: "", kind: "initial", respond: true, check: (s) => { assert.deepEqual(s.names, ["a"]); assert.equal(s.sent, sentV1.sent); } },
  { name: "a nonce before anything was sent is stale", prev: { ...sentV1, sent: undefined, pending: false }, names: ["a"], nonce: "n1", kind: "stale", respond: false },
];

for (const row of rows) {
  test(`onRequest: ${row.name}`, () => {
    const t = onRequest(row.prev, { resourceNames: row.names, responseNonce: row.nonce, errorMessage: row.error }, row.wildcardType ?? false, 42);
    assert.equal(t.kind, row.kind);
    assert.equal(t.respond, row.respond);
    row.check?.(t.state);
  });
}

test("after a NACK the same content is not pushed again, different content is", () => {
  const nacked = onRequest(sentV1, { resourceNames: ["a", "b"], responseNonce: "n1", errorMessage: "no" }, false, 1).state;
  assert.equal(needsPush(nacked, "d1"), false);
  assert.equal(needsPush(nacked, "d2"), true);
});

test("onSent marks the response pending; its ACK clears it", () => {
  const s = onSent({ wildcard: true, names: [], pending: false, ackedVersion: "" }, { version: "v2", nonce: "n2", digest: "d2", time: 5 });
  assert.equal(s.pending, true);
  assert.equal(needsPush(s, "d2"), false);
  const acked = onRequest(s, { resourceNames: [], responseNonce: "n2" }, true, 6);
  assert.equal(acked.kind, "ack");
  assert.equal(acked.state.ackedVersion, "v2");
  assert.equal(acked.state.pending, false);
});
