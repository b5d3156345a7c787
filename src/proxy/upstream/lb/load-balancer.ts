// LoadBalancer: Envoy's priority / panic / degraded / locality composition over per-subset pickers, rebuilt on every host-set or health change.

import type { Host } from "../host.js";
import { createPicker } from "./create-picker.js";
import type { HostPicker } from "./host-picker.js";
import type { LbConfig } from "./lb-config.js";
import type { LbContext } from "./lb-context.js";
import type { LbStats } from "./lb-stats.js";
import { originalDstPicker, type OriginalDstCluster } from "./original-dst.js";
import { effectiveLocalityWeight, LocalityScheduler } from "./locality-scheduler.js";
import { computePriorityLoad, PriorityTable, type PriorityLevelCounts } from "./priority-load.js";

export interface LoadBalancer {
  /** A host for one request or connection, or undefined when there is none to use (→ 503 UH). */
  chooseHost(ctx: LbContext | undefined): Host | undefined;
}

/** What the composition reads besides the hosts and the cluster's LbConfig. */
export interface LoadBalancerOptions {
  /** ClusterLoadAssignment policy.overprovisioning_factor in percent (Envoy's default 140). */
  readonly overprovisioningFactor: number;
  /** The cluster's load-balancer stats (kept across rebuilds), or undefined (tests). */
  readonly stats: LbStats | undefined;
  /** The cluster, for ORIGINAL_DST clusters' on-demand hosts (undefined: such a cluster picks nothing). */
  readonly cluster: OriginalDstCluster | undefined;
}

export const DEFAULT_LB_OPTIONS: LoadBalancerOptions = { overprovisioningFactor: 140, stats: undefined, cluster: undefined };

/**
 * Builds the cluster's load balancer for its current hosts and their health (Envoy's load_balancer_impl.cc): hosts are
 * grouped by priority; each level's healthy/degraded availability (with the overprovisioning factor) gives its share of
 * traffic and its panic state. A pick draws the level with one random number (the request hash for RING_HASH/MAGLEV),
 * then, with locality_weighted_lb_config, a locality by weight × availability, then delegates to createPicker's picker
 * over that subset. Pickers are built here once; a pick allocates nothing.
 */
export function buildLoadBalancer(hosts: readonly Host[], config: LbConfig, options: LoadBalancerOptions = DEFAULT_LB_OPTIONS): LoadBalancer {
  options.stats?.update(hosts);
  // ORIGINAL_DST: no priorities or EDS hosts; the picker makes hosts from the request.
  if (config.policy === "CLUSTER_PROVIDED") return single(options.cluster ? originalDstPicker(config, options.cluster) : EMPTY);
  const levels = groupByPriority(hosts);
  const factor = options.overprovisioningFactor;
  const load = computePriorityLoad(levels.map((l) => l.counts), factor, config.common.healthyPanicThresholdPercent);
  const stats = options.stats;
  if (config.policy === "RING_HASH" || config.policy === "MAGLEV") {
    // Envoy's ThreadAwareLoadBalancerBase: one table per level over its healthy hosts (all of them in panic).
    const pickers = levels.map((l, p) => hashPicker(config, l, load.panic[p]));
    if (pickers.length === 1 && !load.panic[0]) return single(pickers[0]);
    return new HashPriorityLoadBalancer(new PriorityTable(load), pickers, load.panic, stats);
  }
  const built = levels.map((l, p) => new LevelPickers(l, config, load.panic[p], factor));
  const only = built[0];
  if (built.length === 1 && load.healthy[0] === 100 && !only.panic && only.healthyLocalities === undefined) return single(only.healthy);
  return new PriorityLoadBalancer(new PriorityTable(load), built, stats);
}

/** One priority level's hosts, split by health and by locality. */
class PriorityLevel {
  readonly hosts: Host[] = [];
  readonly healthy: Host[] = [];
  readonly degraded: Host[] = [];
  /** Localities in EDS order. */
  readonly localities = new Map<string, Locality>();

  get counts(): PriorityLevelCounts {
    return { hosts: this.hosts.length, healthy: this.healthy.length, degraded: this.degraded.length };
  }

  add(h: Host): void {
    this.hosts.push(h);
    let loc = this.localities.get(h.locality);
    if (!loc) { loc = new Locality(h.localityWeight); this.localities.set(h.locality, loc); }
    loc.all.push(h);
    if (h.healthy) { this.healthy.push(h); loc.healthy.push(h); }
    else if (h.degraded) { this.degraded.push(h); loc.degraded.push(h); }
  }
}

class Locality {
  readonly all: Host[] = [];
  readonly healthy: Host[] = [];
  readonly degraded: Host[] = [];
  constructor(readonly weight: number) {}
}

/**
 * Levels 0..max priority (Envoy keeps a host set per priority up to the highest used, empty ones included). Excluded
 * hosts (pending their first health check, EDS DRAINING) are left out of every list, as Envoy's partitionHostList does.
 */
function groupByPriority(hosts: readonly Host[]): PriorityLevel[] {
  const levels: PriorityLevel[] = [new PriorityLevel()];
  for (const h of hosts) {
    while (levels.length <= h.priority) levels.push(new PriorityLevel());
    if (h.excluded) continue;
    levels[h.priority].add(h);
  }
  return levels;
}

const EMPTY: HostPicker = { pick: () => undefined };

function picker(config: LbConfig, hosts: readonly Host[]): HostPicker {
  return hosts.length === 0 ? EMPTY : createPicker(config, hosts);
}

/**
 * A RING_HASH / MAGLEV level's table over its healthy hosts (all in panic). With locality_weighted_lb_config each host
 * weighs host weight / its locality's host weight sum × locality weight (Envoy's normalizeLocalityWeights, raw locality
 * weights): hosts of a zero-weight locality are left out, and with every locality weight 0 the table is empty.
 */
function hashPicker(config: LbConfig, level: PriorityLevel, panic: boolean): HostPicker {
  if (!config.common.localityWeighted) return picker(config, panic ? level.hosts : level.healthy);
  const hosts: Host[] = [];
  const weights: number[] = [];
  for (const loc of level.localities.values()) {
    if (loc.weight === 0) continue;
    const members = panic ? loc.all : loc.healthy;
    let sum = 0;
    for (const h of members) sum += h.weight;
    for (const h of members) { hosts.push(h); weights.push((h.weight / sum) * loc.weight); }
  }
  return hosts.length === 0 ? EMPTY : createPicker(config, hosts, weights);
}

function single(p: HostPicker): LoadBalancer {
  return { chooseHost: (ctx) => p.pick(ctx) };
}

/** Per-locality pickers and the scheduler choosing among them (undefined when locality weighting does not apply). */
class LocalityPickers {
  constructor(readonly scheduler: LocalityScheduler, readonly pickers: readonly HostPicker[]) {}

  /** Envoy's HostSetImpl::chooseLocality over `eligible` (healthy or degraded hosts per locality), or undefined when every effective weight is 0. */
  static create(level: PriorityLevel, config: LbConfig, factor: number, eligible: (l: Locality) => readonly Host[]): LocalityPickers | undefined {
    const locs = [...level.localities.values()];
    const weights = locs.map((l) => effectiveLocalityWeight(l.weight, eligible(l).length, l.all.length, factor));
    const scheduler = LocalityScheduler.create(weights);
    if (scheduler === undefined) return undefined;
    return new LocalityPickers(scheduler, locs.map((l, i) => (weights[i] > 0 ? picker(config, eligible(l)) : EMPTY)));
  }

  pick(ctx: LbContext | undefined): Host | undefined {
    return this.pickers[this.scheduler.pick()].pick(ctx);
  }
}

/** The pickers of one level: all hosts when in panic; otherwise healthy and degraded hosts, per locality when weighted. */
class LevelPickers {
  readonly all: HostPicker;
  readonly healthy: HostPicker;
  readonly degraded: HostPicker;
  readonly healthyLocalities: LocalityPickers | undefined;
  readonly degradedLocalities: LocalityPickers | undefined;

  constructor(level: PriorityLevel, config: LbConfig, readonly panic: boolean, factor: number) {
    const weighted = !panic && config.common.localityWeighted;
    this.healthyLocalities = weighted ? LocalityPickers.create(level, config, factor, (l) => l.healthy) : undefined;
    this.degradedLocalities = weighted ? LocalityPickers.create(level, config, factor, (l) => l.degraded) : undefined;
    // The flat pickers serve when localities do not apply (not weighted, or every effective weight 0).
    this.all = panic ? picker(config, level.hosts) : EMPTY;
    this.healthy = panic || this.healthyLocalities ? EMPTY : picker(config, level.healthy);
    this.degraded = panic || this.degradedLocalities ? EMPTY : picker(config, level.degraded);
  }
}

/** EDF-family policies (ROUND_ROBIN, LEAST_REQUEST, RANDOM): Envoy's ZoneAwareLoadBalancerBase::hostSourceToUse per pick. */
class PriorityLoadBalancer implements LoadBalancer {
  constructor(private readonly table: PriorityTable, private readonly levels: readonly LevelPickers[], private readonly stats: LbStats | undefined) {}

  chooseHost(ctx: LbContext | undefined): Host | undefined {
    const choice = this.table.choose((Math.random() * 100) | 0);
    const level = this.levels[choice >> 1];
    if (level.panic) {
      if (this.stats) this.stats.lb_healthy_panic++;
      return level.all.pick(ctx);
    }
    if ((choice & 1) === 1) return level.degradedLocalities ? level.degradedLocalities.pick(ctx) : level.degraded.pick(ctx);
    return level.healthyLocalities ? level.healthyLocalities.pick(ctx) : level.healthy.pick(ctx);
  }
}

/** RING_HASH / MAGLEV: the level is chosen by the request's hash (a random draw without one), then its table is used. */
class HashPriorityLoadBalancer implements LoadBalancer {
  constructor(
    private readonly table: PriorityTable,
    private readonly pickers: readonly HostPicker[],
    private readonly panic: readonly boolean[],
    private readonly stats: LbStats | undefined,
  ) {}

  chooseHost(ctx: LbContext | undefined): Host | undefined {
    const hash = ctx?.hashKey();
    const p = this.table.choose(hash ?? ((Math.random() * 100) | 0)) >> 1;
    if (this.panic[p] && this.stats) this.stats.lb_healthy_panic++;
    return this.pickers[p].pick(ctx);
  }
}
