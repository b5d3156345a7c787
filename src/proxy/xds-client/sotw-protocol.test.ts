// Tests for sotwProtocol: SotW request shapes, ACK/NACK and response merging on the client.

import { test } from "node:test";
import assert from "node:assert/strict";
import { sotwProtocol } from "./sotw-protocol.js";
import { TypeSubscription } from "./type-subscription.js";
import type { ResourceType } from "./resource-type.js";
import { packAny } from "../../xds/any.js";
import { CLUSTER_TYPE, ENDPOINT_TYPE } from "../../xds/type-urls.js";

const EDS: ResourceType = { typeUrl: ENDPOINT_TYPE, wildcard: false, nameField: "cluster_name", apply: () => {} };
const CDS: ResourceType = { typeUrl: CLUSTER_TYPE, wildcard: true, nameField: "name", apply: () => {} };
const cla = (name: string) => packAny(ENDPOINT_TYPE, { cluster_name: name });
const response = (type: string, version: string, nonce: string, resources = [] as ReturnType<typeof cla>[]) =>
  ({ version_info: version, nonce, type_url: type, resources });

function accept(sub: TypeSubscription, type: ResourceType, res: ReturnType<typeof response>): void {
  sub.lastNonce = res.nonce;
  sub.commit(sotwProtocol.merge(sub, type, res), res.version_info);
}

test("an ACK echoes the nonce and the accepted version", () => {
  const sub = new TypeSubscription(CLUSTER_TYPE, true);
  accept(sub, CDS, response(CLUSTER_TYPE, "v1", "n1"));
  const req = sotwProtocol.ack(sub);
  assert.equal(req.version_info, "v1");
  assert.equal(req.response_nonce, "n1");
  assert.deepEqual(req.resource_names, []);
  assert.equal(req.error_detail, null);
});

test("a NACK echoes the nonce, keeps the previous version and carries INVALID_ARGUMENT with the reason", () => {
  const sub = new TypeSubscription(CLUSTER_TYPE, true);
  accept(sub, CDS, response(CLUSTER_TYPE, "v1", "n1"));
  sub.lastNonce = "n2";
  sub.reject("v2", "cluster x: bad lb_policy");
  const req = sotwProtocol.nack(sub, "cluster x: bad lb_policy");
  assert.equal(req.version_info, "v1");
  assert.equal(req.response_nonce, "n2");
  assert.deepEqual(req.error_detail, { code: 3, message: "cluster x: bad lb_policy" });
});

test("a named response keeps the wanted resources it omits and ignores names not subscribed", () => {
  const sub = new TypeSubscription(ENDPOINT_TYPE, false);
  sub.setNames(["a", "b"]);
  accept(sub, EDS, response(ENDPOINT_TYPE, "v1", "n1", [cla("a"), cla("b")]));
  const merged = sotwProtocol.merge(sub, EDS, response(ENDPOINT_TYPE, "v2", "n2", [cla("b"), cla("z")]));
  assert.deepEqual([...merged.resources.keys()].sort(), ["a", "b"]);
  assert.equal(merged.versions.get("a"), "v1");
  assert.equal(merged.versions.get("b"), "v2");
});

test("a wildcard response is the complete set", () => {
  const sub = new TypeSubscription(CLUSTER_TYPE, true);
  accept(sub, CDS, response(CLUSTER_TYPE, "v1", "n1", [packAny(CLUSTER_TYPE, { name: "a" })]));
  const merged = sotwProtocol.merge(sub, CDS, response(CLUSTER_TYPE, "v2", "n2", [packAny(CLUSTER_TYPE, { name: "b" })]));
  assert.deepEqual([...merged.resources.keys()], ["b"]);
});

test("the first request of a stream carries the node, the accepted version and the names; none while nothing is wanted", () => {
  const sub = new TypeSubscription(ENDPOINT_TYPE, false);
  assert.equal(sotwProtocol.initialRequest(sub, undefined), undefined);
  sub.setNames(["c"]);
  accept(sub, EDS, response(ENDPOINT_TYPE, "v7", "n7", [cla("c")]));
  sub.lastNonce = "";
  const req = sotwProtocol.initialRequest(sub, { id: "sidecar~127.0.0.9~x.default~default.svc.cluster.local" })!;
  assert.equal(req.version_info, "v7");
  assert.equal(req.response_nonce, "");
  assert.deepEqual(req.resource_names, ["c"]);
  assert.equal(req.node?.id, "sidecar~127.0.0.9~x.default~default.svc.cluster.local");
});
