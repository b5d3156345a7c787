// End-to-end test of the scale benchmark at a tiny size: a real `weft control-plane`, load workers, SotW and delta streams.

import { test } from "node:test";
import assert from "node:assert/strict";
import { benchScale } from "./scale-bench.js";
import { formatScaleReport } from "./scale-table.js";

test("6 services, 4 proxies: every proxy syncs, then converges on each change in both modes, and more changed endpoints cost more bytes", { timeout: 120_000 }, async () => {
  const runs = await benchScale({ services: 6, proxies: 4, scoping: [false], workers: 1, streamsPerConnection: 2, syncTimeoutMs: 30_000, stepTimeoutMs: 20_000 });
  assert.deepEqual(runs.map((r) => [r.mode, r.failed, r.skipped]), [["sotw", undefined, undefined], ["delta", undefined, undefined]]);
  for (const r of runs) {
    assert.ok(r.sync && r.sync.bytesPerProxy > 0 && r.sync.controlPlaneCpuSeconds > 0 && (r.sync.peakRssMiB ?? 0) > 0);
    assert.deepEqual(r.steps.map((s) => [s.name, s.concerned, s.notConverged]), [
      ["(a) VirtualService edit", 4, 0],
      ["(b) 1 endpoint change", 4, 0],
      ["(c) 4 endpoints at once", 4, 0],
    ]);
    for (const s of r.steps) assert.ok(s.p50Ms! > 0 && s.p99Ms! >= s.p50Ms! && s.bytesPerConcernedProxy! > 0);
    assert.ok(r.steps[2]!.bytesPerConcernedProxy! > r.steps[1]!.bytesPerConcernedProxy!);
  }
  assert.match(formatScaleReport(runs), /\(b\) 1 endpoint change\s+off\s+delta/);
});
