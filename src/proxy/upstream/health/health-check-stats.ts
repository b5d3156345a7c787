// HealthCheckStats: a cluster's `health_check.*` counters and gauges with Envoy's names (ALL_HEALTH_CHECKER_STATS).

import type { StatGroup } from "../../stats/proxy-stats.js";

/** Kept by the cluster's ClusterHealth across CDS updates; plain fields bumped by the HealthChecker. */
export class HealthCheckStats implements StatGroup {
  attempt = 0;
  success = 0;
  failure = 0;
  network_failure = 0;
  passive_failure = 0;
  verify_cluster = 0;
  /** Gauges: hosts not failing active health checking / degraded by it. */
  healthy = 0;
  degraded = 0;

  forEach(emit: (name: string, value: number, gauge: boolean) => void): void {
    emit("health_check.attempt", this.attempt, false);
    emit("health_check.success", this.success, false);
    emit("health_check.failure", this.failure, false);
    emit("health_check.network_failure", this.network_failure, false);
    emit("health_check.passive_failure", this.passive_failure, false);
    emit("health_check.verify_cluster", this.verify_cluster, false);
    emit("health_check.healthy", this.healthy, true);
    emit("health_check.degraded", this.degraded, true);
  }
}
