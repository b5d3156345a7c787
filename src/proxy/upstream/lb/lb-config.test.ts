// Tests of LbConfig parsing: defaults, each policy's settings, and the values Envoy refuses.

import { test } from "node:test";
import assert from "node:assert/strict";
import { parseLbConfig } from "./lb-config.js";

const base = { name: "c", type: "EDS" };

test("defaults: ROUND_ROBIN, choice_count 2, bias 1, ring 1024..8M, maglev 65537, no slow start", () => {
  const c = parseLbConfig("c", base);
  assert.equal(c.policy, "ROUND_ROBIN");
  assert.deepEqual([c.choiceCount, c.activeRequestBias, c.minimumRingSize, c.maximumRingSize, c.maglevTableSize], [2, 1, 1024, 8388608, 65537]);
  assert.equal(c.slowStart, undefined);
  assert.equal(c.originalDstHeader, "x-envoy-original-dst-host");
});

test("reads least_request, ring hash, maglev and slow start settings (wrappers as protobufjs decodes them)", () => {
  const lr = parseLbConfig("c", {
    ...base, lb_policy: "LEAST_REQUEST",
    least_request_lb_config: {
      choice_count: { value: 3 }, active_request_bias: { default_value: 0.5, runtime_key: "k" },
      slow_start_config: { slow_start_window: { seconds: 30 }, aggression: { default_value: 2 }, min_weight_percent: { value: 20 } },
    },
  });
  assert.deepEqual([lr.choiceCount, lr.activeRequestBias], [3, 0.5]);
  assert.deepEqual(lr.slowStart, { windowMs: 30000, aggression: 2, minWeightFactor: 0.2 });
  const ring = parseLbConfig("c", { ...base, lb_policy: "RING_HASH", ring_hash_lb_config: { minimum_ring_size: { value: "2048" } } });
  assert.equal(ring.minimumRingSize, 2048);
  const mag = parseLbConfig("c", { ...base, lb_policy: "MAGLEV", maglev_lb_config: { table_size: { value: 251 } } });
  assert.equal(mag.maglevTableSize, 251);
  const rr = parseLbConfig("c", { ...base, round_robin_lb_config: { slow_start_config: { slow_start_window: { seconds: 10 } } } });
  assert.deepEqual(rr.slowStart, { windowMs: 10000, aggression: 1, minWeightFactor: 0.1 });
});

test("bad values are refused with PROXY_CONFIG_INVALID naming the field", () => {
  const bad: Array<[object, RegExp]> = [
    [{ lb_policy: "LOAD_BALANCING_POLICY_CONFIG" }, /unsupported lb_policy/],
    [{ lb_policy: "CLUSTER_PROVIDED" }, /CLUSTER_PROVIDED/],
    [{ type: "ORIGINAL_DST", lb_policy: "ROUND_ROBIN" }, /CLUSTER_PROVIDED/],
    [{ least_request_lb_config: { choice_count: { value: 1 } } }, /choice_count/],
    [{ least_request_lb_config: { active_request_bias: { default_value: -1 } } }, /active_request_bias/],
    [{ ring_hash_lb_config: { minimum_ring_size: { value: 4096 }, maximum_ring_size: { value: 1024 } } }, /minimum_ring_size \(4096\) > maximum_ring_size/],
    [{ ring_hash_lb_config: { maximum_ring_size: { value: 9000000 } } }, /maximum_ring_size/],
    [{ maglev_lb_config: { table_size: { value: 65536 } } }, /must be prime/],
    [{ round_robin_lb_config: { slow_start_config: { slow_start_window: { seconds: 1 }, aggression: { default_value: 0 } } } }, /aggression/],
  ];
  for (const [extra, re] of bad) {
    assert.throws(() => parseLbConfig("c", { ...base, ...extra }), (e: Error & { code?: string }) => e.code === "PROXY_CONFIG_INVALID" && re.test(e.message), JSON.stringify(extra));
  }
  assert.equal(parseLbConfig("c", { name: "c", type: "ORIGINAL_DST", lb_policy: "CLUSTER_PROVIDED" }).policy, "CLUSTER_PROVIDED");
});
