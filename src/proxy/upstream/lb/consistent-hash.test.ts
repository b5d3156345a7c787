// Tests of the RING_HASH and MAGLEV pickers: determinism, spread, weights, and minimal disruption on host changes.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { Host } from "../host.js";
import { hashContext, testHosts } from "../../testing/test-hosts.js";
import { hash32 } from "./hash.js";
import type { HostPicker } from "./host-picker.js";
import { MaglevPicker } from "./maglev-picker.js";
import { RingHashPicker } from "./ring-hash-picker.js";

const KEYS = Array.from({ length: 10000 }, (_, i) => hash32(`key-${i}`));

const builders: Array<[string, (hosts: readonly Host[]) => HostPicker]> = [
  ["RING_HASH", (h) => new RingHashPicker(h, 1024, 8388608)],
  ["MAGLEV", (h) => new MaglevPicker(h, 65537)],
];

/**
 * Tolerances in multiples of 1/N. Envoy's ring keeps ~minimum_ring_size entries whatever N, so a host added to 10
 * takes vnodes from every host (1024/10 → 1024/11 each): about 1.6/N moves; at N=100 the per-host count is stable.
 * Maglev stays near the ideal (its permutations shift slightly when a host leaves).
 */
const MOVE_BOUND: Record<string, Record<number, number>> = { RING_HASH: { 10: 2, 100: 1.5 }, MAGLEV: { 10: 1.2, 100: 1.8 } };

function assignment(p: HostPicker): string[] {
  return KEYS.map((k) => p.pick(hashContext(k))!.key);
}

for (const [name, build] of builders) {
  test(`${name}: the same key always maps to the same host, whatever the host order`, () => {
    const hosts = testHosts(10);
    const a = assignment(build(hosts));
    assert.deepEqual(assignment(build([...hosts].reverse())), a);
    assert.deepEqual(assignment(build(hosts)), a);
  });

  test(`${name}: 10000 keys over 10 equal hosts give each 10±4%`, () => {
    const hosts = testHosts(10);
    const counts = new Map<string, number>();
    for (const k of assignment(build(hosts))) counts.set(k, (counts.get(k) ?? 0) + 1);
    assert.equal(counts.size, 10);
    for (const c of counts.values()) assert.ok(Math.abs(c / KEYS.length - 0.1) <= 0.04, String(c));
  });

  test(`${name}: weights 1:3 give the weight-1 host 25±5% of 10000 keys`, () => {
    const hosts = testHosts(2, (i) => (i === 0 ? 1 : 3));
    const share = assignment(build(hosts)).filter((k) => k === hosts[0].key).length / KEYS.length;
    assert.ok(Math.abs(share - 0.25) <= 0.05, String(share));
  });

  for (const n of [10, 100]) {
    const bound = MOVE_BOUND[name][n];
    test(`${name}: adding or removing one of N=${n} hosts moves ≤ ${bound}/N of 10000 keys`, () => {
      const hosts = testHosts(n + 1);
      const base = assignment(build(hosts.slice(0, n)));
      const moved = (a: string[]) => a.filter((k, i) => k !== base[i]).length / KEYS.length;
      const added = moved(assignment(build(hosts)));
      const removed = moved(assignment(build(hosts.slice(1, n))));
      assert.ok(added <= bound / n && added >= 0.3 / n, `added: ${added}`);
      assert.ok(removed <= bound / n && removed >= 0.5 / n, `removed: ${removed}`);
    });
  }

  test(`${name}: re-picks under a retry host predicate (selectionAttempt 1..5) reach another host for ≥ 95% of 1000 keys, attempt 0 is the plain pick`, () => {
    const picker = build(testHosts(10));
    let moved = 0;
    for (const k of KEYS.slice(0, 1000)) {
      const first = picker.pick(hashContext(k))!;
      assert.equal(picker.pick({ hashKey: () => k, selectionAttempt: 0 }), first);
      for (let attempt = 1; attempt <= 5; attempt++) {
        if (picker.pick({ hashKey: () => k, selectionAttempt: attempt }) !== first) { moved++; break; }
      }
    }
    assert.ok(moved >= 950, String(moved));
  });

  test(`${name}: a request without a hash still gets a host`, () => {
    const hosts = testHosts(3);
    assert.ok(hosts.includes(build(hosts).pick(undefined)!));
    assert.ok(hosts.includes(build(hosts).pick(hashContext(undefined))!));
  });
}

test("RING_HASH ring size follows Envoy's scale: 1024 entries for equal hosts, min ring size raised for skewed weights", () => {
  assert.equal(new RingHashPicker(testHosts(4), 1024, 8388608).size, 1024);
  // min normalized weight 1/101: ceil(1024/101) * 101 = 1111 entries.
  assert.equal(new RingHashPicker(testHosts(2, (i) => (i === 0 ? 1 : 100)), 1024, 8388608).size, 1111);
  assert.equal(new RingHashPicker(testHosts(2, (i) => (i === 0 ? 1 : 100)), 1024, 512).size, 512);
});

test("MAGLEV fills every slot of the prime table in proportion to weight (1:2:1 → 25/50/25±1%)", () => {
  const hosts = testHosts(3, (i) => (i === 1 ? 2 : 1));
  const slots = new MaglevPicker(hosts, 65537).slotsByHost();
  const total = [...slots.values()].reduce((a, b) => a + b, 0);
  assert.equal(total, 65537);
  assert.ok(Math.abs(slots.get(hosts[1].key)! / total - 0.5) <= 0.01);
  assert.ok(Math.abs(slots.get(hosts[0].key)! / total - 0.25) <= 0.01);
});
