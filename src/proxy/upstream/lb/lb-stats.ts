// LbStats: a cluster's load-balancer and membership stats with Envoy's names (cluster.<name>.lb_healthy_panic, membership_*).

import type { ClusterStats, StatGroup } from "../../stats/proxy-stats.js";
import type { Host } from "../host.js";

/**
 * Kept per cluster name (ClusterState) across rebuilds and registered once on the cluster's stat groups. The zone-aware
 * routing stats (lb_zone_*, lb_local_cluster_not_ok) are not kept: Weft has no local cluster, so Envoy never moves them.
 */
export class LbStats implements StatGroup {
  /** Counter: picks made while the chosen priority was in panic (all its hosts used whatever their health). */
  lb_healthy_panic = 0;
  /** Counter: host-set updates that added or removed hosts. */
  membership_change = 0;
  /** Gauges over all priorities; excluded hosts are those pending their first health check or EDS DRAINING. */
  membership_healthy = 0;
  membership_degraded = 0;
  membership_excluded = 0;
  membership_total = 0;
  /** Gauge: the largest endpoint load_balancing_weight. */
  max_host_weight = 0;
  private members: ReadonlySet<Host> = new Set();

  constructor(clusterStats: ClusterStats) {
    clusterStats.groups.push(this);
  }

  /** Called on each load-balancer build: refreshes the gauges and counts a membership change when hosts came or went. */
  update(hosts: readonly Host[]): void {
    let healthy = 0;
    let degraded = 0;
    let excluded = 0;
    let maxWeight = 0;
    let changed = hosts.length !== this.members.size;
    for (const h of hosts) {
      if (h.excluded) excluded++;
      else if (h.healthy) healthy++;
      else if (h.degraded) degraded++;
      if (h.weight > maxWeight) maxWeight = h.weight;
      if (!changed && !this.members.has(h)) changed = true;
    }
    if (changed) {
      this.membership_change++;
      this.members = new Set(hosts);
    }
    this.membership_healthy = healthy;
    this.membership_degraded = degraded;
    this.membership_excluded = excluded;
    this.membership_total = hosts.length;
    this.max_host_weight = maxWeight;
  }

  forEach(emit: (name: string, value: number, gauge: boolean) => void): void {
    emit("lb_healthy_panic", this.lb_healthy_panic, false);
    emit("membership_change", this.membership_change, false);
    emit("membership_healthy", this.membership_healthy, true);
    emit("membership_degraded", this.membership_degraded, true);
    emit("membership_excluded", this.membership_excluded, true);
    emit("membership_total", this.membership_total, true);
    emit("max_host_weight", this.max_host_weight, true);
  }
}
