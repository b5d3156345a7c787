// Tests for computePriorityLoad and PriorityTable against the tables of Envoy's load-balancing docs.

import { test } from "node:test";
import assert from "node:assert/strict";
import { computePriorityLoad, PriorityTable, type PriorityLevelCounts } from "./priority-load.js";

/** Levels of 100 hosts each with the given healthy (and degraded) percentages, so percentages are host counts. */
function levels(healthy: readonly number[], degraded: readonly number[] = []): PriorityLevelCounts[] {
  return healthy.map((h, i) => ({ hosts: 100, healthy: h, degraded: degraded[i] ?? 0 }));
}

test("priority levels doc, P=1 100% healthy: P=0 load = min(100, 1.4 × healthy%)", () => {
  // https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/priority (first table)
  const table: Array<[number, number, number]> = [[100, 100, 0], [72, 100, 0], [71, 99, 1], [50, 70, 30], [25, 35, 65], [0, 0, 100]];
  for (const [p0, to0, to1] of table) {
    const load = computePriorityLoad(levels([p0, 100]), 140, 50);
    assert.deepEqual(load.healthy, [to0, to1], `P=0 ${p0}% healthy`);
    assert.deepEqual(load.degraded, [0, 0]);
    assert.deepEqual(load.panic, [false, false], "normalized total health is 100%: no panic");
  }
});

test("priority levels doc, two degrading levels: loads normalized to the total health", () => {
  const table: Array<[number, number, number, number]> = [[100, 100, 100, 0], [72, 72, 100, 0], [71, 71, 99, 1], [50, 50, 70, 30], [25, 100, 35, 65], [25, 25, 50, 50]];
  for (const [p0, p1, to0, to1] of table) {
    assert.deepEqual(computePriorityLoad(levels([p0, p1]), 140, 50).healthy, [to0, to1], `${p0}% / ${p1}%`);
  }
});

test("priority levels doc, three levels (panic disabled to see the health-based split alone)", () => {
  const table: Array<[number[], number[]]> = [
    [[100, 100, 100], [100, 0, 0]],
    [[72, 72, 100], [100, 0, 0]],
    [[71, 71, 100], [99, 1, 0]],
    [[50, 50, 100], [70, 30, 0]],
    [[25, 100, 100], [35, 65, 0]],
    [[25, 25, 100], [35, 35, 30]],
    // The doc prints 36/36/28; load_balancer_impl.cc gives the rounding remainder (2) to the first healthy level.
    [[25, 25, 20], [37, 35, 28]],
  ];
  for (const [health, want] of table) assert.deepEqual(computePriorityLoad(levels(health), 140, 0).healthy, want, health.join("/"));
});

test("panic threshold doc: panic only below 100% normalized total health, total panic splits by host count", () => {
  // https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/panic_threshold
  const p1Healthy: Array<[number, number, number, boolean]> = [[72, 100, 0, false], [71, 99, 1, false], [50, 70, 30, false], [25, 35, 65, false], [0, 0, 100, false]];
  for (const [p0, to0, to1, panic0] of p1Healthy) {
    const load = computePriorityLoad(levels([p0, 100]), 140, 50);
    assert.deepEqual(load.healthy, [to0, to1], `${p0}%`);
    assert.deepEqual(load.panic, [panic0, false]);
  }
  const both: Array<[number, number, number, number, boolean, boolean]> = [
    [72, 72, 100, 0, false, false],
    [71, 71, 99, 1, false, false],
    [25, 25, 50, 50, true, true],
    // The doc prints 7/93; Envoy's code gives the remainder of 7 + 92 to P=0.
    [5, 65, 8, 92, true, false],
  ];
  for (const [p0, p1, to0, to1, panic0, panic1] of both) {
    const load = computePriorityLoad(levels([p0, p1]), 140, 50);
    assert.deepEqual(load.healthy, [to0, to1], `${p0}% / ${p1}%`);
    assert.deepEqual(load.panic, [panic0, panic1], `${p0}% / ${p1}% panic`);
  }
});

test("degraded doc: degraded hosts of P=0 take only what its healthy hosts cannot", () => {
  // https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/degraded
  const table: Array<[number, number, number, number]> = [[100, 0, 100, 0], [71, 0, 100, 0], [71, 29, 99, 1], [25, 65, 35, 65], [5, 0, 100, 0]];
  for (const [h, d, toHealthy, toDegraded] of table) {
    const load = computePriorityLoad(levels([h], [d]), 140, 50);
    assert.deepEqual([load.healthy[0], load.degraded[0]], [toHealthy, toDegraded], `${h}%/${d}%`);
  }
});

test("the ClusterLoadAssignment overprovisioning factor replaces 140: 5 hosts of which 2 healthy → P0 56% at 140, 40% at 100", () => {
  const two = [{ hosts: 5, healthy: 2, degraded: 0 }, { hosts: 5, healthy: 5, degraded: 0 }];
  assert.deepEqual(computePriorityLoad(two, 140, 0).healthy, [56, 44]);
  assert.deepEqual(computePriorityLoad(two, 100, 0).healthy, [40, 60]);
});

test("odd host sets never fail: no hosts, all unhealthy with and without panic, only priority 2", () => {
  assert.deepEqual(computePriorityLoad([], 140, 50), { healthy: [100], degraded: [0], panic: [true] });
  assert.deepEqual(computePriorityLoad([{ hosts: 0, healthy: 0, degraded: 0 }], 140, 0), { healthy: [100], degraded: [0], panic: [false] });
  const down = [{ hosts: 3, healthy: 0, degraded: 0 }, { hosts: 1, healthy: 0, degraded: 0 }];
  assert.deepEqual(computePriorityLoad(down, 140, 0), { healthy: [100, 0], degraded: [0, 0], panic: [false, false] }, "panic disabled: P=0, no host");
  assert.deepEqual(computePriorityLoad(down, 140, 50), { healthy: [75, 25], degraded: [0, 0], panic: [true, true] }, "total panic: by host count");
  const empty = { hosts: 0, healthy: 0, degraded: 0 };
  assert.deepEqual(computePriorityLoad([empty, empty, { hosts: 2, healthy: 2, degraded: 0 }], 140, 50).healthy, [0, 0, 100]);
});

test("PriorityTable maps draw % 100 onto cumulative healthy then degraded loads", () => {
  const table = new PriorityTable({ healthy: [56, 20], degraded: [0, 24], panic: [false, false] });
  const counts = new Map<number, number>();
  for (let draw = 0; draw < 1000; draw++) counts.set(table.choose(draw), (counts.get(table.choose(draw)) ?? 0) + 1);
  assert.deepEqual([...counts.entries()].sort((a, b) => a[0] - b[0]), [[0, 560], [2, 200], [3, 240]]);
  assert.equal(table.choose(0), 0);
  assert.equal(table.choose(55), 0);
  assert.equal(table.choose(56), 2);
  assert.equal(table.choose(76), 3);
  assert.equal(table.choose(4294967295), table.choose(95), "32-bit hashes");
});
