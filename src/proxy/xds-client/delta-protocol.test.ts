// Tests for deltaProtocol: Envoy's delta request shapes, ACK/NACK and merging of added/removed resources.

import { test } from "node:test";
import assert from "node:assert/strict";
import { deltaProtocol } from "./delta-protocol.js";
import { TypeSubscription } from "./type-subscription.js";
import type { ResourceType } from "./resource-type.js";
import { packAny } from "../../xds/any.js";
import type { DeltaDiscoveryResponse, DeltaResource } from "../../xds/discovery.js";
import { CLUSTER_TYPE, ENDPOINT_TYPE } from "../../xds/type-urls.js";

const EDS: ResourceType = { typeUrl: ENDPOINT_TYPE, wildcard: false, nameField: "cluster_name", apply: () => {} };
const CDS: ResourceType = { typeUrl: CLUSTER_TYPE, wildcard: true, nameField: "name", apply: () => {} };
const cluster = (name: string, version: string): DeltaResource => ({ name, version, resource: packAny(CLUSTER_TYPE, { name }) });
const cla = (name: string, version: string): DeltaResource => ({ name, version, resource: packAny(ENDPOINT_TYPE, { cluster_name: name }) });
const response = (type: string, nonce: string, resources: DeltaResource[], removed: string[] = []): DeltaDiscoveryResponse =>
  ({ system_version_info: `sys-${nonce}`, nonce, type_url: type, resources, removed_resources: removed });

function accept(sub: TypeSubscription, type: ResourceType, res: DeltaDiscoveryResponse): void {
  sub.lastNonce = res.nonce;
  sub.commit(deltaProtocol.merge(sub, type, res), res.system_version_info);
}

test("wildcard types open with an empty subscribe list (Envoy's legacy wildcard) and the node", () => {
  const sub = new TypeSubscription(CLUSTER_TYPE, true);
  const req = deltaProtocol.initialRequest(sub, { id: "n1" })!;
  assert.equal(req.type_url, CLUSTER_TYPE);
  assert.deepEqual(req.resource_names_subscribe, []);
  assert.deepEqual(req.initial_resource_versions, {});
  assert.equal(req.response_nonce, "");
  assert.equal(req.node?.id, "n1");
});

test("added resources join the held set, removed_resources leave it, unchanged ones keep their objects", () => {
  const sub = new TypeSubscription(CLUSTER_TYPE, true);
  accept(sub, CDS, response(CLUSTER_TYPE, "n1", [cluster("a", "1"), cluster("b", "1")]));
  const a = sub.resources.get("a");
  accept(sub, CDS, response(CLUSTER_TYPE, "n2", [cluster("c", "1"), cluster("b", "2")], ["a"]));
  assert.deepEqual([...sub.resources.keys()].sort(), ["b", "c"]);
  assert.deepEqual(Object.fromEntries(sub.versions), { b: "2", c: "1" });
  assert.equal(sub.acceptedVersion, "sys-n2");
  accept(sub, CDS, response(CLUSTER_TYPE, "n3", [cluster("d", "1")]));
  assert.notEqual(sub.resources.get("b"), a);
  assert.equal(sub.resources.size, 3);
});

test("a reconnect restates the names and sends initial_resource_versions of everything held", () => {
  const eds = new TypeSubscription(ENDPOINT_TYPE, false);
  eds.setNames(["x", "y"]);
  accept(eds, EDS, response(ENDPOINT_TYPE, "n1", [cla("x", "h1")]));
  const req = deltaProtocol.initialRequest(eds, undefined)!;
  assert.deepEqual(req.resource_names_subscribe, ["x", "y"]);
  assert.deepEqual(req.initial_resource_versions, { x: "h1" });
  assert.equal(req.node, null);
  const cds = new TypeSubscription(CLUSTER_TYPE, true);
  accept(cds, CDS, response(CLUSTER_TYPE, "n1", [cluster("a", "va"), cluster("b", "vb")]));
  assert.deepEqual(deltaProtocol.initialRequest(cds, undefined)!.initial_resource_versions, { a: "va", b: "vb" });
});

test("a named type with no names sends no initial request; interest changes go as subscribe/unsubscribe", () => {
  const sub = new TypeSubscription(ENDPOINT_TYPE, false);
  assert.equal(deltaProtocol.initialRequest(sub, undefined), undefined);
  const change = sub.setNames(["b", "c"])!;
  const req = deltaProtocol.interest(sub, change);
  assert.deepEqual(req.resource_names_subscribe, ["b", "c"]);
  assert.deepEqual(req.resource_names_unsubscribe, []);
  assert.equal(req.response_nonce, "");
  const req2 = deltaProtocol.interest(sub, sub.setNames(["c"])!);
  assert.deepEqual(req2.resource_names_subscribe, []);
  assert.deepEqual(req2.resource_names_unsubscribe, ["b"]);
});

test("resources a named type did not subscribe to are ignored; a heartbeat changes nothing", () => {
  const sub = new TypeSubscription(ENDPOINT_TYPE, false);
  sub.setNames(["x"]);
  accept(sub, EDS, response(ENDPOINT_TYPE, "n1", [cla("x", "1"), cla("other", "1")]));
  assert.deepEqual([...sub.resources.keys()], ["x"]);
  const held = sub.resources.get("x");
  const merged = deltaProtocol.merge(sub, EDS, response(ENDPOINT_TYPE, "n2", [{ name: "x", version: "1" }]));
  assert.equal(merged.resources.get("x"), held);
});

test("duplicates, a type mismatch and a body-less unknown version reject the response", () => {
  const sub = new TypeSubscription(CLUSTER_TYPE, true);
  assert.throws(() => deltaProtocol.merge(sub, CDS, response(CLUSTER_TYPE, "n1", [cluster("a", "1"), cluster("a", "2")])), /duplicate name a/);
  assert.throws(() => deltaProtocol.merge(sub, CDS, response(CLUSTER_TYPE, "n1", [cluster("a", "1")], ["a"])), /duplicate name a/);
  assert.throws(() => deltaProtocol.merge(sub, CDS, response(CLUSTER_TYPE, "n1", [{ name: "e", version: "1", resource: packAny(ENDPOINT_TYPE, { cluster_name: "e" }) }])), /expected/);
  assert.throws(() => deltaProtocol.merge(sub, CDS, response(CLUSTER_TYPE, "n1", [{ name: "a", version: "1" }])), /no body/);
  assert.throws(() => deltaProtocol.merge(sub, CDS, response(CLUSTER_TYPE, "n1", [{ name: "a", version: "1", resource: packAny(CLUSTER_TYPE, { name: "b" }) }])), /carries name b/);
});

test("ACK carries only the nonce; NACK adds INVALID_ARGUMENT and the reason", () => {
  const sub = new TypeSubscription(CLUSTER_TYPE, true);
  sub.lastNonce = "n9";
  const ack = deltaProtocol.ack(sub);
  assert.equal(ack.response_nonce, "n9");
  assert.equal(ack.error_detail, null);
  assert.deepEqual(ack.resource_names_subscribe, []);
  const nack = deltaProtocol.nack(sub, "bad cluster");
  assert.equal(nack.response_nonce, "n9");
  assert.deepEqual(nack.error_detail, { code: 3, message: "bad cluster" });
});
