// End to end: `weft demo` brings the whole mesh up, follows a canary edit of its VirtualService, and stops cleanly.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, writeFile, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { httpGet, sleep } from "./support/mesh-processes.js";

const WEFT_BIN = fileURLToPath(new URL("../../bin/weft.js", import.meta.url));

const CANARY = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
  - reviews
  http:
  - match:
    - headers:
        end-user:
          exact: jason
    route:
    - destination:
        host: reviews
        subset: v2
  - route:
    - destination:
        host: reviews
        subset: v1
      weight: 90
    - destination:
        host: reviews
        subset: v2
      weight: 10
`;

interface Line { label: string; v1: number; v2: number; v3: number; requests: number; errors: number }

function parseLine(text: string): Line | undefined {
  const m = text.match(/^(reviews(?: \(jason\))?)\s+v1\s+([\d.]+)%\s+v2\s+([\d.]+)%\s+v3\s+([\d.]+)%\s+\((\d+) req, (\d+) errors?\)/);
  if (!m) return undefined;
  return { label: m[1], v1: Number(m[2]), v2: Number(m[3]), v3: Number(m[4]), requests: Number(m[5]), errors: Number(m[6]) };
}

test("weft demo: all traffic on v1, then a 90/10 canary with jason on v2, zero errors, and Ctrl-C stops every process", async () => {
  const cwd = await mkdtemp(join(tmpdir(), "weft-demo-"));
  const child = spawn(process.execPath, [WEFT_BIN, "demo", "--xds-port", "25210", "--monitoring-port", "25214", "--rate", "200"], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
  child.stderr.setEncoding("utf8").on("data", (c: string) => (out += c));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const lines = () => out.split("\n").map(parseLine).filter((l): l is Line => l !== undefined);
  async function until(what: string, cond: () => boolean, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!cond()) {
      if (child.exitCode !== null) assert.fail(`demo exited while waiting for ${what}:\n${out}`);
      if (Date.now() > deadline) assert.fail(`no ${what} within ${ms} ms:\n${out}`);
      await sleep(50);
    }
  }
  try {
    await until("mesh ready", () => /mesh ready/.test(out), 30_000);
    await until("first tally", () => lines().some((l) => l.label === "reviews" && l.requests > 0), 10_000);
    const first = lines().find((l) => l.label === "reviews")!;
    assert.equal(first.v1, 100, out);

    const vsFile = join(cwd, "weft-demo-config", "reviews-virtual-service.yaml");
    await writeFile(vsFile + ".tmp", CANARY);
    await rename(vsFile + ".tmp", vsFile);
    const editedAt = lines().length;
    // Two full intervals after the edit: the split shows ~10% v2 and jason's requests all on v2.
    await until("two intervals after the edit", () => lines().length >= editedAt + 6, 20_000);
    const after = lines().slice(editedAt + 2);
    const anonymous = after.filter((l) => l.label === "reviews");
    const jason = after.filter((l) => l.label === "reviews (jason)");
    const total = anonymous.reduce((n, l) => n + l.requests, 0);
    const v2 = anonymous.reduce((n, l) => n + (l.v2 / 100) * l.requests, 0);
    assert.ok(total > 300, `enough requests (${total})`);
    assert.ok(v2 / total > 0.04 && v2 / total < 0.18, `v2 share ${((100 * v2) / total).toFixed(1)}%\n${out}`);
    for (const l of jason) assert.equal(l.v2, 100, out);
    for (const l of lines()) assert.equal(l.errors, 0, out);
  } finally {
    child.kill("SIGINT");
    assert.equal(await exited, 0, out);
    await rm(cwd, { recursive: true, force: true });
  }
  // Every sidecar is gone: productpage's admin port no longer answers.
  await assert.rejects(httpGet("http://127.0.0.10:15000/ready"));
});
