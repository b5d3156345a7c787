// Tests for the scale fixture: it loads without diagnostics, has the promised resources, and scopes 10 hosts per namespace.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { DirectorySource } from "../../src/control-plane/config/directory-source.js";
import { ScaleFixture } from "./fixture-generator.js";

test("a 120-service fixture with scoping loads cleanly: 120 ServiceEntries, DRs and VSs, 240 WorkloadEntries, one Sidecar per namespace", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "weft-scale-fixture-"));
  const source = new DirectorySource(dir);
  try {
    const fixture = new ScaleFixture(dir, { services: 120, sidecarHosts: 10 });
    await fixture.write();
    await source.start();
    const config = source.current();
    assert.deepEqual(config.diagnostics.filter((d) => d.severity === "error"), []);
    const counts = ["ServiceEntry", "WorkloadEntry", "DestinationRule", "VirtualService", "Sidecar"].map((k) => config.list(k).length);
    assert.deepEqual(counts, [120, 240, 120, 120, 3]);
    const sidecar = config.list<{ egress: Array<{ hosts: string[] }> }>("Sidecar").find((s) => s.metadata.namespace === "ns-1")!;
    assert.deepEqual(sidecar.spec.egress[0]!.hosts.slice(0, 2), ["ns-1/svc-10.ns-1.svc.cluster.local", "ns-2/svc-11.ns-2.svc.cluster.local"]);
    assert.deepEqual(fixture.viewers(fixture.services[11]!), ["ns-1"]);
    assert.deepEqual(fixture.viewers(fixture.services[119]!), []);
  } finally {
    await source.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test("without scoping every namespace sees every service and no Sidecar is written", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "weft-scale-fixture-"));
  const source = new DirectorySource(dir);
  try {
    const fixture = new ScaleFixture(dir, { services: 3 });
    await fixture.write();
    await source.start();
    assert.equal(source.current().list("Sidecar").length, 0);
    assert.equal(fixture.viewers(fixture.services[0]!), undefined);
  } finally {
    await source.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
