// Tests for a sample app run as its own process, the way `weft demo` runs it: it serves, and it dies with its parent.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { waitForHttp200 } from "./wait-ready.js";

const APP_MAIN = fileURLToPath(new URL("./app-main.js", import.meta.url));

function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

test("app-main serves /health and exits by itself once its parent's end of the stdin pipe closes", async () => {
  const child = spawn(process.execPath, [APP_MAIN, "--service", "ratings", "--host", "127.0.0.33", "--port", "19181", "--sidecar", "127.0.0.33:15001"], {
    stdio: ["pipe", "ignore", "ignore"],
  });
  try {
    assert.ok(await waitForHttp200("http://127.0.0.33:19181/health", 10_000), "app answered /health");
    assert.ok(await waitForHttp200("http://127.0.0.33:19181/ratings/0", 1000), "app answered /ratings/0");
    child.stdin!.end(); // what the kernel does to the pipe when the demo dies, even by SIGKILL
    assert.ok(await exited(child, 3000), "app exited within 3 s of losing its parent");
  } finally {
    child.kill("SIGKILL");
  }
});

test("app-main rejects a missing --service with usage and exit code 2", async () => {
  const child = spawn(process.execPath, [APP_MAIN, "--port", "0"], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr += c));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  assert.equal(code, 2);
  assert.match(stderr, /usage: app-main/);
});
