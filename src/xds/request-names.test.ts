// Shared resource_names decoding: same result as protobufjs, one frozen array for repeated lists, fallbacks.

import { test } from "node:test";
import assert from "node:assert/strict";
import { messageType } from "./proto-root.js";
import { aggregatedDiscoveryService, type DiscoveryRequest } from "./discovery.js";
import { ENDPOINT_TYPE } from "./type-urls.js";
import { namesRegion } from "./request-names.js";

const codec = aggregatedDiscoveryService.StreamAggregatedResources;
const DECODE = { longs: Number, enums: String, defaults: true, arrays: true, objects: true } as const;
const type = messageType("envoy.service.discovery.v3.DiscoveryRequest");
const plain = (b: Buffer) => type.toObject(type.decode(b), DECODE);

const names = Array.from({ length: 300 }, (_, i) => `outbound|80|v${i % 3}|svc-${i}.ns-${i % 7}.svc.cluster.local`);
const request = (nonce: string, list = names): Buffer =>
  codec.requestSerialize({ version_info: "v1", resource_names: list, type_url: ENDPOINT_TYPE, response_nonce: nonce, node: { id: "sidecar~127.0.0.1~a.ns~ns.svc.cluster.local" } } as DiscoveryRequest);

test("repeated name lists decode to one shared frozen array; every other field as protobufjs decodes it", () => {
  const first = codec.requestDeserialize(request("1"));
  const again = codec.requestDeserialize(request("2"));
  assert.deepEqual(again, { ...plain(request("2")) });
  assert.equal(again.resource_names, first.resource_names, "shared");
  assert.ok(Object.isFrozen(again.resource_names));
  assert.equal(again.response_nonce, "2");
  assert.equal(again.node?.id, "sidecar~127.0.0.1~a.ns~ns.svc.cluster.local");
  const other = codec.requestDeserialize(request("3", [...names.slice(1), "extra"]));
  assert.notEqual(other.resource_names, first.resource_names);
  assert.deepEqual(other.resource_names, [...names.slice(1), "extra"]);
});

test("small lists and names split by another field are decoded as usual", () => {
  const small = request("4", ["a", "b"]);
  assert.deepEqual(codec.requestDeserialize(small), plain(small));
  // resource_names (field 3), then type_url (4), then another name: not one contiguous region.
  const split = Buffer.concat([type.encode(type.fromObject({ resource_names: names })).finish(), type.encode(type.fromObject({ type_url: ENDPOINT_TYPE })).finish(), type.encode(type.fromObject({ resource_names: ["late"] })).finish()]);
  assert.equal(namesRegion(split), undefined);
  assert.deepEqual(codec.requestDeserialize(split).resource_names, [...names, "late"]);
  assert.equal(namesRegion(Buffer.from([0xff])), undefined, "truncated input falls back");
});
