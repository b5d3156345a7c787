// Tests for the demo's Istio YAML: every file passes Istio's schema and says what the README says it does.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parse } from "yaml";
import { DestinationRule } from "@kubernetes-models/istio/networking.istio.io/v1/DestinationRule";
import { ServiceEntry } from "@kubernetes-models/istio/networking.istio.io/v1/ServiceEntry";
import { VirtualService } from "@kubernetes-models/istio/networking.istio.io/v1/VirtualService";
import { REVIEWS_VIRTUAL_SERVICE_FILE, reviewsVirtualServiceYaml, writeDemoConfig } from "./demo-config.js";
import { BOOKINFO_SERVICES } from "./bookinfo-app.js";

const VALIDATORS: Record<string, (obj: object) => void> = {
  ServiceEntry: (o) => new ServiceEntry(o as never).validate(),
  DestinationRule: (o) => new DestinationRule(o as never).validate(),
  VirtualService: (o) => new VirtualService(o as never).validate(),
};

test("writeDemoConfig writes one schema-valid Istio resource per file: 4 ServiceEntries, the reviews DestinationRule and VirtualService", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "weft-demo-config-"));
  try {
    const written = await writeDemoConfig(dir, BOOKINFO_SERVICES);
    assert.deepEqual((await readdir(dir)).sort(), written.map((f) => path.basename(f)).sort());
    const kinds: string[] = [];
    for (const file of written) {
      const doc = parse(await readFile(file, "utf8"));
      assert.equal(doc.apiVersion, "networking.istio.io/v1", file);
      VALIDATORS[doc.kind](doc);
      kinds.push(`${doc.kind}/${doc.metadata.name}`);
    }
    assert.deepEqual(kinds.sort(), [
      "DestinationRule/reviews",
      "ServiceEntry/details",
      "ServiceEntry/productpage",
      "ServiceEntry/ratings",
      "ServiceEntry/reviews",
      "VirtualService/reviews",
    ]);
    const reviewsEntry = parse(await readFile(path.join(dir, "reviews-service-entry.yaml"), "utf8"));
    assert.deepEqual(reviewsEntry.spec, {
      hosts: ["reviews.default.svc.cluster.local"],
      location: "MESH_INTERNAL",
      ports: [{ number: 9080, name: "http", protocol: "HTTP" }],
      resolution: "STATIC",
      workloadSelector: { labels: { app: "reviews" } },
    });
    const vs = parse(await readFile(path.join(dir, REVIEWS_VIRTUAL_SERVICE_FILE), "utf8"));
    assert.deepEqual(vs.spec.http, [{ route: [{ destination: { host: "reviews", subset: "v1" } }] }]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("reviewsVirtualServiceYaml with 90/10 gives two weighted destinations and passes the schema", () => {
  const doc = parse(reviewsVirtualServiceYaml({ v1: 90, v2: 10, v3: 0 }));
  new VirtualService(doc).validate();
  assert.deepEqual(doc.spec.http[0].route, [
    { destination: { host: "reviews", subset: "v1" }, weight: 90 },
    { destination: { host: "reviews", subset: "v2" }, weight: 10 },
  ]);
});
