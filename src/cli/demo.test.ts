// Tests for `weft demo`'s flag handling (the whole demo runs end to end in test/, once the mesh is assembled).

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const WEFT_BIN = fileURLToPath(new URL("../../../bin/weft.js", import.meta.url));

for (const [flags, message] of [
  [["--rate", "0"], /--rate: expected 1\.\.10000/],
  [["--xds-port", "70000"], /--xds-port: not a port/],
  [["--duration", "0"], /--duration: expected seconds > 0/],
  [["--bogus"], /Unknown option '--bogus'/],
] as const) {
  test(`weft demo ${flags.join(" ")} exits 2 with usage and starts nothing`, () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), "weft-demo-flags-"));
    try {
      const r = spawnSync(process.execPath, [WEFT_BIN, "demo", ...flags], { cwd, encoding: "utf8", timeout: 10_000 });
      assert.equal(r.status, 2);
      assert.match(r.stderr, message);
      assert.match(r.stderr, /usage: weft demo/);
      assert.equal(existsSync(path.join(cwd, "weft-demo-config")), false, "no config written");
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
}
