// Checks the fast response encoders against protobufjs: same decoded messages for SotW and delta, any sizes.

import { test } from "node:test";
import assert from "node:assert/strict";
import { messageType } from "./proto-root.js";
import { packAny } from "./any.js";
import { CLUSTER_TYPE } from "./type-urls.js";
import { encodeDeltaResponse, encodeSotwResponse } from "./response-encoding.js";

const DECODE = { longs: Number, enums: String, defaults: true, arrays: true, objects: true } as const;

function clusters(n: number, pad: number) {
  return Array.from({ length: n }, (_, i) => packAny(CLUSTER_TYPE, { name: `outbound|9080|v${i}|reviews-é.default.svc.cluster.local${"x".repeat(pad)}`, type: "EDS" }));
}

test("SotW responses decode exactly as protobufjs encodes them", () => {
  const type = messageType("envoy.service.discovery.v3.DiscoveryResponse");
  for (const [n, pad] of [[0, 0], [1, 0], [3, 200], [2, 20000]] as const) {
    const value = { version_info: n ? "v1ü" : "", resources: clusters(n, pad), type_url: CLUSTER_TYPE, nonce: `n${n}` };
    const fast = encodeSotwResponse(value);
    assert.ok(fast);
    const expected = type.toObject(type.decode(type.encode(type.fromObject(value)).finish()), DECODE);
    assert.deepEqual(type.toObject(type.decode(fast), DECODE), expected);
    // The cached frames are reused on a second encoding of the same Anys.
    assert.deepEqual(encodeSotwResponse(value), fast);
  }
});

test("delta responses decode exactly as protobufjs encodes them, removals and null resources included", () => {
  const type = messageType("envoy.service.discovery.v3.DeltaDiscoveryResponse");
  const anys = clusters(3, 300);
  const value = {
    system_version_info: "sys",
    resources: anys.map((a, i) => ({ name: `c${i}`, version: `h${i}`, resource: a })),
    type_url: CLUSTER_TYPE,
    removed_resources: ["gone-1", "gone-2"],
    nonce: "7",
  };
  const fast = encodeDeltaResponse(value);
  assert.ok(fast);
  const expected = type.toObject(type.decode(type.encode(type.fromObject(value)).finish()), DECODE);
  assert.deepEqual(type.toObject(type.decode(fast), DECODE), expected);
  // Same Any under another version: the cached frame must not be reused.
  const again = encodeDeltaResponse({ ...value, resources: [{ name: "c0", version: "other", resource: anys[0]! }] })!;
  assert.equal((type.toObject(type.decode(again), DECODE) as { resources: { version: string }[] }).resources[0]!.version, "other");
});

test("unknown fields fall back to protobufjs", () => {
  assert.equal(encodeSotwResponse({ version_info: "1", canary: true } as never), undefined);
  assert.equal(encodeDeltaResponse({ resources: [{ name: "a", version: "1", ttl: { seconds: 1 } }] } as never), undefined);
});
