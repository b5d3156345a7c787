// Tests for LocalityScheduler and effectiveLocalityWeight against Envoy's locality-weighted LB doc table.

import { test } from "node:test";
import assert from "node:assert/strict";
import { effectiveLocalityWeight, LocalityScheduler } from "./locality-scheduler.js";

test("locality weight doc: X weight 1, Y weight 2 (100% available): X's share within ±1 point of the doc over 10000 picks", () => {
  // https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/locality_weight
  const table: Array<[number, number]> = [[100, 33], [70, 33], [69, 32], [50, 26], [25, 15], [0, 0]];
  for (const [xHealthy, xShare] of table) {
    const scheduler = LocalityScheduler.create([effectiveLocalityWeight(1, xHealthy, 100, 140), effectiveLocalityWeight(2, 100, 100, 140)]);
    assert.ok(scheduler);
    let x = 0;
    for (let i = 0; i < 10000; i++) if (scheduler.pick() === 0) x++;
    assert.ok(Math.abs(x / 100 - xShare) <= 1, `X ${xHealthy}% healthy: ${x / 100}% of picks, doc ${xShare}%`);
  }
});

test("smooth WRR spreads picks: weights 1:1:2 repeat within every window of 4 picks", () => {
  const s = LocalityScheduler.create([1, 1, 2])!;
  for (let round = 0; round < 5; round++) {
    const window = [s.pick(), s.pick(), s.pick(), s.pick()].sort();
    assert.deepEqual(window, [0, 1, 2, 2]);
  }
});

test("zero weights: a zero-weight locality is never picked; all zero gives no scheduler", () => {
  assert.equal(LocalityScheduler.create([0, 0]), undefined);
  assert.equal(LocalityScheduler.create([]), undefined);
  const s = LocalityScheduler.create([0, 3, 0])!;
  for (let i = 0; i < 10; i++) assert.equal(s.pick(), 1);
  assert.equal(effectiveLocalityWeight(5, 0, 0, 140), 0, "empty locality");
});
