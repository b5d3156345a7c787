// Tests for buildLoadBalancer: priorities, panic, degraded hosts, locality weights, hash policies and odd host sets with real Hosts.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { XdsObject } from "../../config/xds-fields.js";
import { ClusterStats } from "../../stats/proxy-stats.js";
import { ClusterManager } from "../cluster-manager.js";
import { HealthFlag, Host } from "../host.js";
import { hash32 } from "./hash.js";
import { parseLbConfig } from "./lb-config.js";
import type { LbContext } from "./lb-context.js";
import { LbStats } from "./lb-stats.js";
import { buildLoadBalancer, DEFAULT_LB_OPTIONS, type LoadBalancer } from "./load-balancer.js";

const stats = new ClusterStats();
let nextAddress = 1;

interface HostSpec { health?: string; priority?: number; locality?: string; localityWeight?: number; weight?: number }

function host(spec: HostSpec = {}): Host {
  const n = nextAddress++;
  const h = new Host(`127.0.6.${n % 250}`, 26600 + Math.floor(n / 250), spec.health ?? "HEALTHY", stats, 1000);
  h.priority = spec.priority ?? 0;
  h.locality = spec.locality ?? "";
  h.localityWeight = spec.localityWeight ?? 0;
  h.weight = spec.weight ?? 1;
  return h;
}

function hosts(count: number, spec: HostSpec = {}): Host[] {
  return Array.from({ length: count }, () => host(spec));
}

function config(fields: XdsObject = {}) {
  return parseLbConfig("c", { name: "c", type: "EDS", ...fields });
}

/** Picks per host over `n` picks. */
function tally(lb: LoadBalancer, n: number, ctx?: (i: number) => LbContext): Map<Host | undefined, number> {
  const m = new Map<Host | undefined, number>();
  for (let i = 0; i < n; i++) {
    const h = lb.chooseHost(ctx?.(i));
    m.set(h, (m.get(h) ?? 0) + 1);
  }
  return m;
}

function share(t: Map<Host | undefined, number>, set: readonly Host[], n: number): number {
  let s = 0;
  for (const h of set) s += t.get(h) ?? 0;
  return s / n;
}

test("priority spillover: P0 with 2 of 5 hosts healthy takes 56±2% of 20000 picks (1.4 × 40%), P1 the rest, unhealthy hosts none", () => {
  const p0healthy = hosts(2);
  const p0down = hosts(3, { health: "UNHEALTHY" });
  const p1 = hosts(5, { priority: 1 });
  const lb = buildLoadBalancer([...p0healthy, ...p0down, ...p1], config({ lb_policy: "ROUND_ROBIN" }));
  const t = tally(lb, 20000);
  assert.ok(Math.abs(share(t, p0healthy, 20000) - 0.56) <= 0.02, `P0 ${share(t, p0healthy, 20000)}`);
  assert.ok(Math.abs(share(t, p1, 20000) - 0.44) <= 0.02);
  assert.equal(share(t, p0down, 20000), 0);
});

test("every policy keeps all traffic on a healthy P0 (ROUND_ROBIN, LEAST_REQUEST, RANDOM, RING_HASH, MAGLEV)", () => {
  const p0 = hosts(3);
  const p1 = hosts(3, { priority: 1 });
  for (const policy of ["ROUND_ROBIN", "LEAST_REQUEST", "RANDOM", "RING_HASH", "MAGLEV"]) {
    const t = tally(buildLoadBalancer([...p1, ...p0], config({ lb_policy: policy })), 600, (i) => ({ hashKey: () => i * 2654435761 >>> 0 }));
    assert.equal(share(t, p0, 600), 1, policy);
  }
});

test("panic: P0 alone with 4 of 10 hosts healthy (< 50%) uses all 10 and counts lb_healthy_panic; threshold 0 keeps the 4", () => {
  const up = hosts(4);
  const down = hosts(6, { health: "UNHEALTHY" });
  const lbStats = new LbStats(new ClusterStats());
  const panicking = buildLoadBalancer([...up, ...down], config({ lb_policy: "ROUND_ROBIN" }), { ...DEFAULT_LB_OPTIONS, stats: lbStats });
  const t = tally(panicking, 1000);
  assert.equal(t.size, 10, "every host used");
  assert.equal(lbStats.lb_healthy_panic, 1000);
  const strict = buildLoadBalancer([...up, ...down], config({ lb_policy: "ROUND_ROBIN", common_lb_config: { healthy_panic_threshold: {} } }));
  assert.equal(share(tally(strict, 1000), up, 1000), 1, "panic disabled: healthy hosts only");
});

test("degraded hosts: 5 healthy + 5 degraded → degraded take 30±2% of 20000 picks; 8 healthy + 2 degraded → none", () => {
  const healthy = hosts(5);
  const degraded = hosts(5, { health: "DEGRADED" });
  const t = tally(buildLoadBalancer([...healthy, ...degraded], config({ lb_policy: "LEAST_REQUEST" })), 20000);
  assert.ok(Math.abs(share(t, degraded, 20000) - 0.3) <= 0.02, `degraded ${share(t, degraded, 20000)}`);
  const few = hosts(2, { health: "DEGRADED" });
  const t2 = tally(buildLoadBalancer([...hosts(8), ...few], config({ lb_policy: "LEAST_REQUEST" })), 2000);
  assert.equal(share(t2, few, 2000), 0);
});

test("locality weighted: weights 1:3 split 25/75±2%; half of the heavy locality down (3 × 0.7) → 1:2.1 → 32±2%", () => {
  const a = hosts(2, { locality: "us-east/zone1/", localityWeight: 1 });
  const b = hosts(2, { locality: "us-east/zone2/", localityWeight: 3 });
  const weighted = config({ lb_policy: "ROUND_ROBIN", common_lb_config: { locality_weighted_lb_config: {} } });
  const t = tally(buildLoadBalancer([...a, ...b], weighted), 20000);
  assert.ok(Math.abs(share(t, a, 20000) - 0.25) <= 0.02, `a ${share(t, a, 20000)}`);
  b[1].setEdsHealth("UNHEALTHY");
  const t2 = tally(buildLoadBalancer([...a, ...b], weighted), 20000);
  assert.ok(Math.abs(share(t2, a, 20000) - 1 / 3.1) <= 0.02, `a ${share(t2, a, 20000)}`);
  assert.equal(t2.get(b[1]), undefined);
  const flat = tally(buildLoadBalancer([...a, ...b.slice(0, 1)], config({ lb_policy: "ROUND_ROBIN" })), 3000);
  assert.ok(Math.abs(share(flat, a, 3000) - 2 / 3) <= 0.02, "without locality_weighted_lb_config localities are ignored");
});

test("locality weighted with every locality weight 0: falls back to all healthy hosts of the priority", () => {
  const all = [...hosts(2, { locality: "r/z1/" }), ...hosts(2, { locality: "r/z2/" })];
  const t = tally(buildLoadBalancer(all, config({ common_lb_config: { locality_weighted_lb_config: {} } })), 400);
  assert.equal(t.size, 4);
  assert.equal(t.get(undefined), undefined);
});

test("locality weighted RING_HASH and MAGLEV fold locality weights in: 1 host at weight 1 vs 3 hosts at weight 1 → 50±4% of 20000 keys; 1:3 → 25±4%; weight 0 → none", () => {
  const keyed = (i: number): LbContext => ({ hashKey: () => hash32(`k${i}`) });
  for (const policy of ["RING_HASH", "MAGLEV"]) {
    const weighted = config({ lb_policy: policy, common_lb_config: { locality_weighted_lb_config: {} } });
    const lone = hosts(1, { locality: "r/z1/", localityWeight: 1 });
    const crowd = hosts(3, { locality: "r/z2/", localityWeight: 1 });
    const t = tally(buildLoadBalancer([...lone, ...crowd], weighted), 20000, keyed);
    assert.ok(Math.abs(share(t, lone, 20000) - 0.5) <= 0.04, `${policy} lone ${share(t, lone, 20000)}`);
    const light = hosts(2, { locality: "r/z3/", localityWeight: 1 });
    const heavy = hosts(2, { locality: "r/z4/", localityWeight: 3 });
    const off = hosts(2, { locality: "r/z5/", localityWeight: 0 });
    const t2 = tally(buildLoadBalancer([...light, ...heavy, ...off], weighted), 20000, keyed);
    assert.ok(Math.abs(share(t2, light, 20000) - 0.25) <= 0.04, `${policy} light ${share(t2, light, 20000)}`);
    assert.equal(share(t2, off, 20000), 0, `${policy}: a zero-weight locality gets nothing`);
  }
});

test("ring hash: the request hash picks the priority (hash % 100 < 56 → P0 of 2/5 healthy) and the same key the same host", () => {
  const p0 = hosts(2);
  const p0down = hosts(3, { health: "UNHEALTHY" });
  const p1 = hosts(3, { priority: 1 });
  const lb = buildLoadBalancer([...p0, ...p0down, ...p1], config({ lb_policy: "RING_HASH" }));
  for (let key = 0; key < 200; key++) {
    const h = lb.chooseHost({ hashKey: () => key * 7919 });
    assert.ok(h);
    assert.equal(p0.includes(h), (key * 7919) % 100 < 56, `key ${key}`);
    assert.equal(lb.chooseHost({ hashKey: () => key * 7919 }), h, "deterministic");
  }
});

test("odd EDS never crashes and yields no host (→ 503 UH): no hosts, all unhealthy with panic disabled, all draining, hash policy without key", () => {
  for (const policy of ["ROUND_ROBIN", "LEAST_REQUEST", "RANDOM", "RING_HASH", "MAGLEV"]) {
    assert.equal(buildLoadBalancer([], config({ lb_policy: policy })).chooseHost(undefined), undefined, `${policy} empty`);
    const down = buildLoadBalancer(hosts(3, { health: "UNHEALTHY" }), config({ lb_policy: policy, common_lb_config: { healthy_panic_threshold: {} } }));
    assert.equal(down.chooseHost({ hashKey: () => 5 }), undefined, `${policy} all unhealthy`);
  }
  const panicAll = hosts(2, { health: "UNHEALTHY" });
  assert.ok(panicAll.includes(buildLoadBalancer(panicAll, config()).chooseHost(undefined)!), "default panic threshold: all hosts used");
  const draining = hosts(2, { health: "DRAINING" });
  assert.equal(buildLoadBalancer(draining, config()).chooseHost(undefined), undefined, "DRAINING hosts are excluded, even in panic");
  const onlyP2 = hosts(2, { priority: 2 });
  assert.ok(onlyP2.includes(buildLoadBalancer(onlyP2, config({ lb_policy: "MAGLEV" })).chooseHost(undefined)!), "only priority 2");
  const zeroWeights = hosts(2, { locality: "r/z/", localityWeight: 0, priority: 1 });
  assert.ok(zeroWeights.includes(buildLoadBalancer(zeroWeights, config({ common_lb_config: { locality_weighted_lb_config: {} } })).chooseHost(undefined)!));
});

test("health flag changes move traffic at rebuild: an outlier-ejected P0 host sends its share to P1", () => {
  const p0 = hosts(2);
  const p1 = hosts(2, { priority: 1 });
  p0[0].healthFlags |= HealthFlag.FailedOutlierCheck;
  p0[1].healthFlags |= HealthFlag.FailedOutlierCheck;
  const t = tally(buildLoadBalancer([...p0, ...p1], config({ common_lb_config: { healthy_panic_threshold: {} } })), 500);
  assert.equal(share(t, p1, 500), 1);
});

test("LbStats: membership gauges, max_host_weight, membership_change only when hosts come or go", () => {
  const s = new ClusterStats();
  const lbStats = new LbStats(s);
  assert.ok(s.groups.includes(lbStats));
  const set = [host({ weight: 3 }), host({ health: "DEGRADED" }), host({ health: "UNHEALTHY" })];
  const options = { ...DEFAULT_LB_OPTIONS, stats: lbStats };
  buildLoadBalancer(set, config(), options);
  set[2].setEdsHealth("HEALTHY");
  buildLoadBalancer(set, config(), options);
  const emitted: Record<string, number> = {};
  lbStats.forEach((name, value) => { emitted[name] = value; });
  assert.deepEqual(emitted, {
    lb_healthy_panic: 0, membership_change: 1, membership_healthy: 2, membership_degraded: 1, membership_excluded: 0, membership_total: 3, max_host_weight: 3,
  });
  buildLoadBalancer(set.slice(1), config(), options);
  assert.equal(lbStats.membership_change, 2);
});

test("EDS policy.overprovisioning_factor reaches the load balancer: factor 100 with 4 of 5 P0 hosts healthy → 80±3% to P0", () => {
  const cm = new ClusterManager();
  cm.applyClusters(new Map([["c", { name: "c", type: "EDS", eds_cluster_config: { service_name: "c" }, common_lb_config: { healthy_panic_threshold: {} } }]]));
  const ep = (i: number, health: string) => ({ endpoint: { address: { socket_address: { address: `127.0.6.${200 + i}`, port_value: 26650 } } }, health_status: health });
  cm.applyEndpoints(new Map([["c", {
    cluster_name: "c",
    policy: { overprovisioning_factor: { value: 100 } },
    endpoints: [
      { priority: 0, lb_endpoints: [ep(0, "HEALTHY"), ep(1, "HEALTHY"), ep(2, "HEALTHY"), ep(3, "HEALTHY"), ep(4, "UNHEALTHY")] },
      { priority: 1, lb_endpoints: [ep(5, "HEALTHY")] },
    ],
  }]]));
  const cluster = cm.get("c")!;
  let p0 = 0;
  for (let i = 0; i < 5000; i++) if (cluster.chooseHost(undefined)!.priority === 0) p0++;
  assert.ok(Math.abs(p0 / 5000 - 0.8) <= 0.03, `P0 ${p0 / 5000}`);
  cm.close();
});
