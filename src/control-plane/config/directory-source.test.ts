// Tests for DirectorySource and ConfigStore on real files: duplicates, last-good, watch create/edit/delete.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, mkdir, rm, writeFile, unlink, rename } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ConfigSnapshot, ResourceKey } from "./config-resource.js";
import { DirectorySource } from "./directory-source.js";

const vs = (name: string, subset: string) =>
  `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: ${name}}\nspec:\n  hosts: [${name}]\n  http:\n  - route:\n    - destination: {host: ${name}, subset: ${subset}}\n`;
const KEY = (name: string): ResourceKey => ({ kind: "VirtualService", namespace: "default", name });

async function until(what: string, cond: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const subsetOf = (s: ConfigSnapshot, name: string) =>
  ((s.get(KEY(name))?.spec.http as { route: { destination: { subset: string } }[] }[] | undefined)?.[0]?.route[0]?.destination.subset);

test("initial load: duplicates keep the first by path order; malformed and foreign files never throw", async () => {
  const dir = await mkdtemp(join(tmpdir(), "weft-cfg-"));
  try {
    await writeFile(join(dir, "a.yaml"), vs("reviews", "v1"));
    await mkdir(join(dir, "sub"));
    await writeFile(join(dir, "sub", "b.yml"), vs("reviews", "v2") + "---\n" + vs("ratings", "v1"));
    await writeFile(join(dir, "c.yaml"), "a: [1, 2\n");
    await writeFile(join(dir, "d.yaml"), "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n");
    const src = new DirectorySource(dir);
    await src.start();
    const s = src.current();
    assert.equal(subsetOf(s, "reviews"), "v1");
    assert.ok(s.get(KEY("ratings")));
    const codes = s.diagnostics.map((d) => d.code).filter((c) => c !== "CONFIG_REFERENCE").sort();
    assert.deepEqual(codes, ["CONFIG_DUPLICATE", "CONFIG_UNKNOWN_KIND", "CONFIG_YAML"]);
    // No ServiceEntry and no DestinationRule: the analyzer-style reference warnings come with the snapshot.
    assert.ok(s.diagnostics.some((d) => d.code === "CONFIG_REFERENCE" && d.severity === "warning" && /subset/.test(d.reason)));
    assert.equal(s.diagnostics.find((d) => d.code === "CONFIG_DUPLICATE")?.file, join(dir, "sub", "b.yml"));
    await src.stop();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("watcher picks up create, edit and delete within 200 ms; a broken edit keeps the last good version", async () => {
  const dir = await mkdtemp(join(tmpdir(), "weft-cfg-"));
  const src = new DirectorySource(dir, { debounceMs: 20 });
  try {
    await src.start();
    const changes: string[][] = [];
    src.onChange((_s, changed) => {
      if (changed.length > 0) changes.push(changed.map((k) => k.name));
    });
    const file = join(dir, "reviews.yaml");

    await writeFile(file, vs("reviews", "v1"));
    await until("create", () => subsetOf(src.current(), "reviews") === "v1", 200);

    await writeFile(file, vs("reviews", "v2"));
    await until("edit", () => subsetOf(src.current(), "reviews") === "v2", 200);

    const before = changes.length;
    await writeFile(file, vs("reviews", "v2").replace("subset: v2", "subset: v2, port: {number: 99999}"));
    await until("rejection", () => src.current().diagnostics.some((d) => d.severity === "error"), 500);
    assert.equal(subsetOf(src.current(), "reviews"), "v2", "last good version stays");
    assert.equal(changes.length, before, "no change event for a rejected edit");

    await writeFile(file, "kind: [broken\n");
    await until("yaml error", () => src.current().diagnostics.some((d) => d.code === "CONFIG_YAML"), 500);
    assert.equal(subsetOf(src.current(), "reviews"), "v2", "last good version stays while the file does not parse");

    await writeFile(file, vs("reviews", "v3"));
    await until("fix", () => subsetOf(src.current(), "reviews") === "v3", 200);
    assert.equal(src.current().diagnostics.filter((d) => d.severity === "error").length, 0);

    await mkdir(join(dir, "new-sub"));
    await writeFile(join(dir, "new-sub", "ratings.yaml"), vs("ratings", "v1"));
    await until("file in new subdirectory", () => src.current().get(KEY("ratings")) !== undefined, 500);

    // Editors and `kubectl`-style tools save by writing a temp file and renaming it over the original.
    for (const subset of ["v4", "v5", "v6"]) {
      await writeFile(join(dir, ".reviews.yaml.swp"), vs("reviews", subset));
      await rename(join(dir, ".reviews.yaml.swp"), file);
      await until(`atomic save ${subset}`, () => subsetOf(src.current(), "reviews") === subset, 300);
    }

    const count = changes.length;
    await writeFile(file, vs("reviews", "v6") + "\n# comment only\n");
    await writeFile(join(dir, "touch.yaml"), "");
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(changes.length, count, "an edit that changes nothing valid fires no change");

    await unlink(file);
    await until("delete", () => src.current().get(KEY("reviews")) === undefined, 200);
    assert.deepEqual(changes.at(-1), ["reviews"]);
  } finally {
    await src.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
