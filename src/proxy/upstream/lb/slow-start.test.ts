// Tests of slow start: Envoy's weight factor, and round robin / least request ramping a new host up.

import { test } from "node:test";
import assert from "node:assert/strict";
import { testHosts } from "../../testing/test-hosts.js";
import { createPicker } from "./create-picker.js";
import { parseLbConfig } from "./lb-config.js";
import { slowStartEnd, slowStartFactor } from "./slow-start.js";
import { WeightedPicker } from "./weighted-picker.js";

const window = { windowMs: 10_000, aggression: 1, minWeightFactor: 0.1 };

test("factor: linear over the window, floored at min_weight_percent, 1 after the window or for an unhealthy host", () => {
  const [h] = testHosts(1, undefined, 0);
  assert.equal(slowStartFactor(window, h, 5_000), 0.5);
  assert.equal(slowStartFactor(window, h, 500), 0.1);
  assert.equal(slowStartFactor(window, h, 10_000), 1);
  assert.equal(slowStartFactor({ ...window, aggression: 2 }, h, 2_500), 0.5); // (0.25)^(1/2)
  h.setEdsHealth("UNHEALTHY");
  assert.equal(slowStartFactor(window, h, 5_000), 1);
});

test("slowStartEnd is the last window end still ahead, 0 when none", () => {
  const hosts = testHosts(2, undefined, 0);
  hosts[1].addedAt = 4_000;
  assert.equal(slowStartEnd(window, hosts, 5_000), 14_000);
  assert.equal(slowStartEnd(window, hosts, 14_000), 0);
  assert.equal(slowStartEnd(undefined, hosts, 5_000), 0);
});

test("ROUND_ROBIN with slow start: a host half-way through its window gets half the share of old hosts (±2% of 10000 picks)", () => {
  const now = performance.now();
  const hosts = testHosts(3, undefined, now - 60_000);
  hosts[2].addedAt = now - 5_000; // factor ≈ 0.5: share 0.5 / 2.5 = 20%
  const config = parseLbConfig("c", { round_robin_lb_config: { slow_start_config: { slow_start_window: { seconds: 10 } } } });
  assert.ok(createPicker(config, hosts) instanceof WeightedPicker);
  const p = createPicker(config, hosts);
  let n = 0;
  for (let i = 0; i < 10000; i++) if (p.pick(undefined) === hosts[2]) n++;
  assert.ok(Math.abs(n / 10000 - 0.2) <= 0.02, String(n));
});

test("ROUND_ROBIN with slow start but every host past its window is plain round robin", () => {
  const hosts = testHosts(2, undefined, performance.now() - 60_000);
  const config = parseLbConfig("c", { round_robin_lb_config: { slow_start_config: { slow_start_window: { seconds: 10 } } } });
  assert.ok(!(createPicker(config, hosts) instanceof WeightedPicker));
});

test("LEAST_REQUEST with slow start: a host just added gets about min_weight_percent of an old host's share (< 8% of 10000 picks)", () => {
  const now = performance.now();
  const hosts = testHosts(3, undefined, now - 60_000);
  hosts[2].addedAt = now;
  const config = parseLbConfig("c", { lb_policy: "LEAST_REQUEST", least_request_lb_config: { slow_start_config: { slow_start_window: { seconds: 60 } } } });
  const p = createPicker(config, hosts);
  let n = 0;
  for (let i = 0; i < 10000; i++) if (p.pick(undefined) === hosts[2]) n++;
  // Factor 0.1 (floor) against 1 and 1: ideal 0.1 / 2.1 ≈ 4.8%.
  assert.ok(n / 10000 < 0.08 && n > 0, String(n));
});
