// Tests for `weft validate`: output lines, summary and exit codes.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runValidate } from "./validate.js";

async function capture(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const o = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
  try {
    return { code: await runValidate(argv), out: out.join(""), err: err.join("") };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}

const SE = `apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: reviews}\nspec:\n  hosts: [reviews.default.svc.cluster.local]\n  ports: [{number: 9080, name: http, protocol: HTTP}]\n  resolution: STATIC\n  endpoints: [{address: 127.0.0.1}]\n`;
const DR = `apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: reviews}\nspec:\n  host: reviews\n  subsets: [{name: v1, labels: {version: v1}}]\n`;
const VS = (subset: string, weight = "100") => `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: reviews}\nspec:\n  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews, subset: ${subset}}\n      weight: ${weight}\n`;

test("valid config exits 0 with no problem lines", async () => {
  const dir = await mkdtemp(join(tmpdir(), "weft-val-"));
  try {
    await writeFile(join(dir, "mesh.yaml"), [SE, DR, VS("v1")].join("---\n"));
    const r = await capture([dir]);
    assert.equal(r.out, "");
    assert.equal(r.code, 0);
    assert.match(r.err, /1 file\(s\), 3 valid resource\(s\), 0 error\(s\), 0 warning\(s\)/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("errors print as file:line kind ns/name field: reason before warnings, exit 1", async () => {
  const dir = await mkdtemp(join(tmpdir(), "weft-val-"));
  try {
    const file = join(dir, "vs.yaml");
    await writeFile(file, [SE, DR, VS("v1", "-5")].join("---\n"));
    await writeFile(join(dir, "other.yaml"), VS("v9").replace("name: reviews", "name: other"));
    const r = await capture([file, join(dir, "other.yaml")]);
    const lines = r.out.trim().split("\n");
    assert.equal(lines[0], `${file}:25 VirtualService default/reviews spec.http[0].route[0].weight: weight -5 < 0`);
    assert.match(lines[1]!, /other\.yaml:1 VirtualService default\/other spec\.http\[0\]\.route\[0\]\.destination\.subset: Referenced host\+subset in destinationrule not found: "reviews.default.svc.cluster.local\+v9"/);
    assert.equal(r.code, 1);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("warnings alone exit 0; no paths is a usage error", async () => {
  const dir = await mkdtemp(join(tmpdir(), "weft-val-"));
  try {
    await writeFile(join(dir, "d.yaml"), "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n");
    const r = await capture([dir]);
    assert.match(r.out, /d\.yaml:1 Deployment default\/d apiVersion: apps\/v1 Deployment is not an Istio resource; ignored/);
    assert.equal(r.code, 0);
    assert.equal((await capture([])).code, 2);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
