// Envoy's health-based priority load: how much of the traffic each priority level's healthy and degraded hosts take.

/** One priority level's host counts (Envoy's HostSet sizes; Weft has no excluded hosts). */
export interface PriorityLevelCounts {
  readonly hosts: number;
  readonly healthy: number;
  readonly degraded: number;
}

/** Per priority: percent of traffic to its healthy hosts, to its degraded hosts, and whether it is in panic. Loads sum to 100. */
export interface PriorityLoad {
  readonly healthy: readonly number[];
  readonly degraded: readonly number[];
  readonly panic: readonly boolean[];
}

/**
 * Envoy's LoadBalancerBase::recalculatePerPriorityState + recalculatePerPriorityPanic (load_balancer_impl.cc):
 * availability = min(100, factor × available / hosts) in integer percent; loads are availabilities scaled to the
 * normalized total (capped at 100), healthy first, then degraded, the rounding remainder to the first available level.
 * Panic is considered only when the normalized total is below 100; when every level is in panic the load follows host
 * counts. `overprovisioningFactor` is in percent (140 = 1.4).
 */
export function computePriorityLoad(levels: readonly PriorityLevelCounts[], overprovisioningFactor: number, panicThresholdPercent: number): PriorityLoad {
  const n = Math.max(1, levels.length);
  const health = new Array<number>(n).fill(0);
  const degradedAvail = new Array<number>(n).fill(0);
  const healthy = new Array<number>(n).fill(0);
  const degraded = new Array<number>(n).fill(0);
  const panic = new Array<boolean>(n).fill(false);
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i];
    if (l.hosts === 0) continue;
    health[i] = Math.min(100, Math.floor((overprovisioningFactor * l.healthy) / l.hosts));
    degradedAvail[i] = Math.min(100, Math.floor((overprovisioningFactor * l.degraded) / l.hosts));
  }
  const normalized = Math.min(100, sum(health) + sum(degradedAvail));
  if (normalized > 0) {
    const [firstHealthy, leftForDegraded] = distributeLoad(healthy, health, 100, normalized);
    const [firstDegraded, remaining] = distributeLoad(degraded, degradedAvail, leftForDegraded, normalized);
    if (remaining !== 0) {
      if (firstHealthy !== -1) healthy[firstHealthy] += remaining;
      else degraded[firstDegraded] += remaining;
    }
  }
  const threshold = Math.min(100, panicThresholdPercent);
  // Panic disabled and nothing available: P=0 takes the load and, having no healthy host, yields none (503).
  if (threshold === 0 && normalized === 0) {
    healthy[0] = 100;
    return { healthy, degraded, panic };
  }
  let totalPanic = true;
  for (let i = 0; i < n; i++) {
    const l = levels[i];
    const inPanic = normalized !== 100 && isInPanic(l, threshold);
    panic[i] = inPanic;
    totalPanic &&= inPanic;
  }
  if (totalPanic) loadInTotalPanic(levels, healthy, degraded);
  return { healthy, degraded, panic };
}

/** Envoy's isHostSetInPanic: (healthy + degraded) percent of the level's hosts below the threshold (an empty level is). */
function isInPanic(l: PriorityLevelCounts | undefined, threshold: number): boolean {
  const hosts = l?.hosts ?? 0;
  const availablePercent = hosts === 0 ? 0 : (100 * (l!.healthy + l!.degraded)) / hosts;
  return availablePercent < threshold;
}

/** Envoy's distributeLoad: fills `load` from `availability` scaled to `normalized`; returns [first available level, load left]. */
function distributeLoad(load: number[], availability: readonly number[], total: number, normalized: number): [number, number] {
  let first = -1;
  for (let i = 0; i < availability.length; i++) {
    if (first < 0 && availability[i] > 0) first = i;
    load[i] = Math.min(total, Math.floor((availability[i] * 100) / normalized));
    total -= load[i];
  }
  return [first, total];
}

/** Envoy's recalculateLoadInTotalPanic: load by host count regardless of health, remainder to the first non-empty level. */
function loadInTotalPanic(levels: readonly PriorityLevelCounts[], healthy: number[], degraded: number[]): void {
  const total = levels.reduce((acc, l) => acc + l.hosts, 0);
  healthy.fill(0);
  degraded.fill(0);
  if (total === 0) {
    healthy[0] = 100;
    return;
  }
  let left = 100;
  let firstNonEmpty = -1;
  for (let i = 0; i < levels.length; i++) {
    if (firstNonEmpty === -1 && levels[i].hosts !== 0) firstNonEmpty = i;
    healthy[i] = Math.floor((100 * levels[i].hosts) / total);
    left -= healthy[i];
  }
  healthy[firstNonEmpty] += left;
}

function sum(a: readonly number[]): number {
  let s = 0;
  for (const v of a) s += v;
  return s;
}

/** Draw → (priority, degraded) for draws 1..100, as Envoy's choosePriority scans healthy loads then degraded loads. */
export class PriorityTable {
  /** Index = draw (1..100); value = priority × 2 + (1 when the degraded hosts are to be used). */
  private readonly table = new Uint16Array(101);

  constructor(load: PriorityLoad) {
    let draw = 1;
    for (const [loads, bit] of [[load.healthy, 0], [load.degraded, 1]] as const) {
      for (let p = 0; p < loads.length; p++) {
        for (let k = 0; k < loads[p] && draw <= 100; k++) this.table[draw++] = p * 2 + bit;
      }
    }
  }

  /** Envoy's choosePriority(hash): `hash % 100 + 1` indexes the cumulative loads; returns priority × 2 + degraded bit. */
  choose(hash: number): number {
    return this.table[(Math.abs(Math.trunc(hash)) % 100) + 1];
  }
}
