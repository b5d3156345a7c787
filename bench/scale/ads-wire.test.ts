// Tests for the shallow ADS response readers: fields and resource spans match what the real codecs encode.

import { test } from "node:test";
import assert from "node:assert/strict";
import { packAny } from "../../src/xds/any.js";
import { aggregatedDiscoveryService } from "../../src/xds/discovery.js";
import { CLUSTER_TYPE, ENDPOINT_TYPE } from "../../src/xds/type-urls.js";
import { readAny, readDeltaResource, readResponse } from "./ads-wire.js";

const cla = (name: string) => packAny(ENDPOINT_TYPE, { cluster_name: name });

test("readResponse reads version, type URL, nonce and one span per resource of a SotW response", () => {
  const resources = [packAny(CLUSTER_TYPE, { name: "a", type: "EDS" }), packAny(CLUSTER_TYPE, { name: "b" })];
  const bytes = aggregatedDiscoveryService.StreamAggregatedResources.responseSerialize({ version_info: "v7", resources, type_url: CLUSTER_TYPE, nonce: "n3" });
  const r = readResponse(bytes);
  assert.deepEqual([r.version, r.typeUrl, r.nonce, r.resourceSpans.length], ["v7", CLUSTER_TYPE, "n3", 4]);
  const any = readAny(bytes, r.resourceSpans[2]!, r.resourceSpans[3]!);
  assert.equal(any.type_url, CLUSTER_TYPE);
  assert.deepEqual(Buffer.from(any.value), Buffer.from(resources[1]!.value));
});

test("readResponse and readDeltaResource read a delta response's names, resources and removals", () => {
  const bytes = aggregatedDiscoveryService.DeltaAggregatedResources.responseSerialize({
    system_version_info: "s1",
    resources: [{ name: "outbound|80||x", version: "h1", resource: cla("outbound|80||x") }, { name: "outbound|80|v1|x", version: "h2", resource: cla("outbound|80|v1|x") }],
    type_url: ENDPOINT_TYPE,
    removed_resources: ["gone"],
    nonce: "n9",
  });
  const r = readResponse(bytes);
  assert.deepEqual([r.version, r.typeUrl, r.nonce, r.removed], ["s1", ENDPOINT_TYPE, "n9", ["gone"]]);
  const second = readDeltaResource(bytes, r.resourceSpans[2]!, r.resourceSpans[3]!);
  assert.equal(second.name, "outbound|80|v1|x");
  const any = readAny(bytes, second.anyStart, second.anyEnd);
  assert.deepEqual(Buffer.from(any.value), Buffer.from(cla("outbound|80|v1|x").value));
});
