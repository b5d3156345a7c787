// Tests of the pickers createPicker builds for ROUND_ROBIN, LEAST_REQUEST and RANDOM: distribution, weights, empty sets.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { Host } from "../host.js";
import { testHosts } from "../../testing/test-hosts.js";
import { createPicker } from "./create-picker.js";
import { parseLbConfig, type LbPolicy } from "./lb-config.js";
import { LeastRequestPicker } from "./least-request-picker.js";
import { RandomPicker } from "./random-picker.js";
import { RoundRobinPicker } from "./round-robin-picker.js";
import { WeightedPicker } from "./weighted-picker.js";

function config(policy: LbPolicy, extra: object = {}) {
  return parseLbConfig("c", policy === "CLUSTER_PROVIDED" ? { type: "ORIGINAL_DST", lb_policy: policy } : { lb_policy: policy, ...extra });
}

/** Share of `picks` picks that went to each host, by index. */
function shares(hosts: readonly Host[], pick: () => Host | undefined, picks: number): number[] {
  const count = new Map<Host, number>();
  for (let i = 0; i < picks; i++) { const h = pick()!; count.set(h, (count.get(h) ?? 0) + 1); }
  return hosts.map((h) => (count.get(h) ?? 0) / picks);
}

test("every policy returns undefined over an empty host set", () => {
  for (const p of ["ROUND_ROBIN", "LEAST_REQUEST", "RANDOM", "RING_HASH", "MAGLEV", "CLUSTER_PROVIDED"] as const) {
    assert.equal(createPicker(config(p), []).pick(undefined), undefined, p);
  }
});

test("equal weights choose the unweighted algorithms; unequal weights the weighted ones", () => {
  const eq = testHosts(3);
  const uneq = testHosts(3, (i) => i + 1);
  assert.ok(createPicker(config("ROUND_ROBIN"), eq) instanceof RoundRobinPicker);
  assert.ok(createPicker(config("ROUND_ROBIN"), uneq) instanceof WeightedPicker);
  assert.ok(createPicker(config("LEAST_REQUEST"), eq) instanceof LeastRequestPicker);
  assert.ok(createPicker(config("LEAST_REQUEST"), uneq) instanceof WeightedPicker);
  assert.ok(createPicker(config("RANDOM"), uneq) instanceof RandomPicker);
});

test("ROUND_ROBIN with weights 1:3 sends 25±1% of 10000 picks to the weight-1 host (EDF)", () => {
  const hosts = testHosts(2, (i) => (i === 0 ? 1 : 3));
  const p = createPicker(config("ROUND_ROBIN"), hosts);
  const s = shares(hosts, () => p.pick(undefined), 10000);
  assert.ok(Math.abs(s[0] - 0.25) <= 0.01, String(s));
});

test("weighted ROUND_ROBIN interleaves: weights 1:1:2 never pick the weight-2 host more than twice in a row", () => {
  const hosts = testHosts(3, (i) => (i === 2 ? 2 : 1));
  const p = createPicker(config("ROUND_ROBIN"), hosts);
  let run = 0;
  for (let i = 0; i < 1000; i++) {
    run = p.pick(undefined) === hosts[2] ? run + 1 : 0;
    assert.ok(run <= 2);
  }
});

test("LEAST_REQUEST (P2C): a host with 100 active requests among 10 idle ones gets < 2% of 10000 picks (ideal 1%)", () => {
  const hosts = testHosts(10);
  hosts[0].stats.rq_active = 100;
  const p = createPicker(config("LEAST_REQUEST"), hosts);
  const s = shares(hosts, () => p.pick(undefined), 10000);
  assert.ok(s[0] < 0.02, String(s[0]));
  for (let i = 1; i < 10; i++) assert.ok(Math.abs(s[i] - 0.11) < 0.025, String(s));
});

test("LEAST_REQUEST with choice_count 5 avoids the busy host more (< 0.5% of 10000 picks among 4 hosts)", () => {
  const hosts = testHosts(4);
  hosts[0].stats.rq_active = 3;
  const p = createPicker(config("LEAST_REQUEST", { least_request_lb_config: { choice_count: { value: 5 } } }), hosts);
  // The busy host wins only when all 5 samples are it: (1/4)^5 ≈ 0.1%.
  assert.ok(shares(hosts, () => p.pick(undefined), 10000)[0] < 0.005);
});

test("weighted LEAST_REQUEST: idle hosts with weights 1:1:2 get 25/25/50±2% of 10000 picks; a busy one loses its share", () => {
  const hosts = testHosts(3, (i) => (i === 2 ? 2 : 1));
  const p = createPicker(config("LEAST_REQUEST"), hosts);
  const s = shares(hosts, () => p.pick(undefined), 10000);
  assert.ok(Math.abs(s[0] - 0.25) <= 0.02 && Math.abs(s[2] - 0.5) <= 0.02, String(s));
  hosts[2].stats.rq_active = 19; // weight 2 / (19 + 1) = 0.1 against 1 and 1: ideal share 0.1 / 2.1 ≈ 4.8%
  const p2 = createPicker(config("LEAST_REQUEST"), hosts);
  const s2 = shares(hosts, () => p2.pick(undefined), 10000);
  assert.ok(Math.abs(s2[2] - 0.048) <= 0.02, String(s2));
  // active_request_bias 0 ignores active requests: back to weights.
  const p3 = createPicker(config("LEAST_REQUEST", { least_request_lb_config: { active_request_bias: { default_value: 0 } } }), hosts);
  assert.ok(Math.abs(shares(hosts, () => p3.pick(undefined), 10000)[2] - 0.5) <= 0.02);
});

test("RANDOM spreads 20000 picks over 4 equal hosts at 25±2.5% each, and ignores weights as Envoy does (1:3 → 50±2.5%)", () => {
  const hosts = testHosts(4);
  const p = createPicker(config("RANDOM"), hosts);
  for (const s of shares(hosts, () => p.pick(undefined), 20000)) assert.ok(Math.abs(s - 0.25) <= 0.025, String(s));
  const weighted = testHosts(2, (i) => (i === 0 ? 1 : 3));
  const pw = createPicker(config("RANDOM"), weighted);
  assert.ok(Math.abs(shares(weighted, () => pw.pick(undefined), 20000)[0] - 0.5) <= 0.025);
});
