// Tests for TypeSubscription: the client's per-type ACK/NACK and subscription bookkeeping.

import { test } from "node:test";
import assert from "node:assert/strict";
import { TypeSubscription } from "./type-subscription.js";
import { CLUSTER_TYPE, ENDPOINT_TYPE } from "../../xds/type-urls.js";

const response = (version: string, nonce: string) => ({ version_info: version, nonce, type_url: CLUSTER_TYPE, resources: [] });

test("an ACK echoes the nonce and adopts the response's version", () => {
  const sub = new TypeSubscription(CLUSTER_TYPE, true);
  const req = sub.ack(response("v1", "n1"));
  assert.equal(req.version_info, "v1");
  assert.equal(req.response_nonce, "n1");
  assert.deepEqual(req.resource_names, []);
  assert.equal(req.error_detail, null);
  assert.equal(sub.acceptedVersion, "v1");
});

test("a NACK echoes the nonce, keeps the previous version and carries INVALID_ARGUMENT with the reason", () => {
  const sub = new TypeSubscription(CLUSTER_TYPE, true);
  sub.ack(response("v1", "n1"));
  const req = sub.nack(response("v2", "n2"), "cluster x: bad lb_policy");
  assert.equal(req.version_info, "v1");
  assert.equal(req.response_nonce, "n2");
  assert.deepEqual(req.error_detail, { code: 3, message: "cluster x: bad lb_policy" });
  assert.equal(sub.acceptedVersion, "v1");
  assert.equal(sub.lastError?.version, "v2");
});

test("resubscribe sends only when the name set changes and drops unsubscribed resources", () => {
  const sub = new TypeSubscription(ENDPOINT_TYPE, false);
  assert.equal(sub.resubscribe([]), undefined);
  const first = sub.resubscribe(["b", "a", "a"]);
  assert.deepEqual(first?.resource_names, ["a", "b"]);
  assert.equal(sub.resubscribe(["a", "b"]), undefined);
  sub.resources.set("a", { cluster_name: "a" });
  sub.resources.set("b", { cluster_name: "b" });
  const second = sub.resubscribe(["a"]);
  assert.deepEqual(second?.resource_names, ["a"]);
  assert.deepEqual([...sub.resources.keys()], ["a"]);
});

test("after a reconnect the initial request carries the accepted version and the node", () => {
  const sub = new TypeSubscription(ENDPOINT_TYPE, false);
  sub.resubscribe(["c"]);
  sub.ack({ ...response("v7", "n7"), type_url: ENDPOINT_TYPE });
  const req = sub.initialRequest({ id: "sidecar~127.0.0.9~x.default~default.svc.cluster.local" });
  assert.equal(req.version_info, "v7");
  assert.equal(req.response_nonce, "");
  assert.deepEqual(req.resource_names, ["c"]);
  assert.equal(req.node?.id, "sidecar~127.0.0.9~x.default~default.svc.cluster.local");
});
