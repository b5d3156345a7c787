// `weft control-plane` as a real process: flags, readiness line, diagnostics logging, graceful SIGINT.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runControlPlane } from "./control-plane.js";

const WEFT = fileURLToPath(new URL("../../../bin/weft.js", import.meta.url));

async function silenced<T>(fn: () => Promise<T>): Promise<{ value: T; err: string }> {
  const err: string[] = [];
  const e = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
  try {
    return { value: await fn(), err: err.join("") };
  } finally {
    process.stderr.write = e;
  }
}

test("bad or missing flags print usage and exit 2", async () => {
  for (const argv of [[], ["--config-dir", "/x", "--bogus"], ["--config-dir", "/x", "--xds-port", "http"], ["--config-dir", "/x", "extra"]]) {
    const r = await silenced(() => runControlPlane(argv));
    assert.equal(r.value, 2, argv.join(" "));
    assert.match(r.err, /usage: weft control-plane --config-dir DIR/);
  }
});

test("serves, logs rejected config once, and stops with exit 0 on SIGINT", async () => {
  const dir = await mkdtemp(join(tmpdir(), "weft-cli-cp-"));
  try {
    await writeFile(join(dir, "bad.yaml"), "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: bad}\nspec: {hosts: 7}\n");
    const child = spawn(process.execPath, [WEFT, "control-plane", "--config-dir", dir, "--xds-address", "127.0.0.51", "--xds-port", "0", "--monitoring-address", "127.0.0.51", "--monitoring-port", "0"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    const ready = new Promise<string>((resolve, reject) => {
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
        const m = /control plane ready xds=127\.0\.0\.51:(\d+) monitoring=(127\.0\.0\.51:\d+)/.exec(stderr);
        if (m) resolve(m[2]!);
      });
      child.once("exit", (code) => reject(new Error(`exited ${code} before ready:\n${stderr}`)));
    });
    const monitoring = await ready;
    const res = await fetch(`http://${monitoring}/metrics`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /^weft_config_rejected_resources 1$/m);
    await new Promise((r) => setTimeout(r, 700)); // one diagnostics poll with no change
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGINT");
    assert.equal(await exited, 0);
    assert.equal(stderr.match(/rejected .*bad\.yaml:\d+ VirtualService default\/bad/g)?.length, 1, stderr);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
