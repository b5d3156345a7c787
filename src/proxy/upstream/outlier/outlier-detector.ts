// OutlierDetector: a cluster's passive health checking: consecutive-error ejection and timed return (Envoy's DetectorImpl).

import { HealthFlag, type Host } from "../host.js";
import { EjectionType, HostOutlierState, type OutlierSink } from "./host-outlier-state.js";
import type { OutlierConfig } from "./outlier-config.js";
import type { OutlierDetectionStats } from "./outlier-detection-stats.js";

/** Time and randomness, injectable for tests. */
export interface OutlierClock {
  /** Monotonic milliseconds. */
  now(): number;
  /** Uniform in [0, 1). */
  random(): number;
}

const SYSTEM_CLOCK: OutlierClock = { now: () => performance.now(), random: Math.random };

/**
 * Owned by a ClusterState and kept across CDS/EDS rebuilds. `setHosts()` after each rebuild attaches a
 * HostOutlierState to each new host (`host.outlier`) and forgets removed ones. Ejection happens inline when a
 * host's consecutive-error counter reaches its threshold, if `max_ejection_percent` allows (Envoy: ejected hosts + 1
 * ≤ max% of all hosts, or none ejected yet with always_eject_one_host) and the enforcing_* percentage draws it.
 * An ejection lasts min(base_ejection_time × backoff, max_ejection_time) + jitter, where backoff grows by one per
 * ejection and shrinks by one at every interval tick the host spends back in; hosts return at the first interval
 * tick after their time. Each tick also runs success-rate and failure-percentage detection over the interval that
 * ended. `onHealthChanged` runs after every ejection and after a tick that returned hosts.
 */
export class OutlierDetector implements OutlierSink {
  private readonly monitors = new Map<Host, HostOutlierState>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    public config: OutlierConfig,
    private readonly stats: OutlierDetectionStats,
    private readonly onHealthChanged: () => void,
    private readonly clock: OutlierClock = SYSTEM_CLOCK,
  ) {
    this.arm();
  }

  /** A new outlier_detection for the same cluster: counters and ejections stay; the interval restarts if it changed. */
  setConfig(config: OutlierConfig): void {
    const rearm = config.intervalMs !== this.config.intervalMs;
    this.config = config;
    if (rearm) this.arm();
  }

  /** The cluster's current hosts, after each rebuild (the caller rebuilds its balancer; removed hosts need no flag change). */
  setHosts(hosts: readonly Host[]): void {
    const current = new Set(hosts);
    for (const [host] of this.monitors) {
      if (current.has(host)) continue;
      if (host.healthFlags & HealthFlag.FailedOutlierCheck) this.stats.ejections_active--;
      host.outlier = null;
      this.monitors.delete(host);
    }
    for (const host of hosts) {
      if (this.monitors.has(host)) continue;
      const monitor = new HostOutlierState(this, host);
      host.outlier = monitor;
      this.monitors.set(host, monitor);
    }
  }

  onConsecutiveError(host: Host, type: number): void {
    const monitor = this.monitors.get(host);
    if (monitor === undefined || host.healthFlags & HealthFlag.FailedOutlierCheck) return;
    const stats = this.stats;
    countDetected(stats, type);
    this.ejectHost(host, monitor, type);
    // The counter that tripped starts over, so a host that was not ejected (overflow, not enforced) can trip again.
    switch (type) {
      case EjectionType.Consecutive5xx:
        stats.ejections_consecutive_5xx++;
        monitor.consecutive5xx = 0;
        break;
      case EjectionType.ConsecutiveGatewayFailure: monitor.consecutiveGatewayFailure = 0; break;
      case EjectionType.ConsecutiveLocalOriginFailure: monitor.consecutiveLocalOriginFailure = 0; break;
    }
  }

  /** An active health check passed for an ejected host (successful_active_health_check_uneject_host). */
  healthCheckPassed(host: Host): void {
    if (!this.config.successfulActiveHealthCheckUnejectHost) return;
    if ((host.healthFlags & (HealthFlag.FailedOutlierCheck | HealthFlag.FailedActiveHc)) !== HealthFlag.FailedOutlierCheck) return;
    const monitor = this.monitors.get(host);
    if (monitor === undefined) return;
    this.uneject(host, monitor, this.clock.now());
    this.onHealthChanged();
  }

  /**
   * The interval tick (run by the timer; public for tests): returns hosts whose ejection time passed, runs
   * success-rate and failure-percentage detection over the interval that ended, decays backoffs.
   */
  sweep(): void {
    const now = this.clock.now();
    const config = this.config;
    let changed = false;
    for (const [host, monitor] of this.monitors) {
      monitor.rotateBuckets();
      if ((host.healthFlags & HealthFlag.FailedOutlierCheck) === 0) {
        // Envoy's checkHostForUneject: a host back in for a whole interval has its backoff decay, before this tick's
        // success-rate detection may eject it again.
        if (monitor.lastUnejectionTime >= 0 && now - monitor.lastUnejectionTime >= config.intervalMs && monitor.ejectTimeBackoff > 0) {
          monitor.ejectTimeBackoff--;
        }
        continue;
      }
      const ejectedFor = Math.min(config.baseEjectionTimeMs * monitor.ejectTimeBackoff, config.maxEjectionTimeMs) + monitor.jitterMs;
      if (ejectedFor <= now - monitor.lastEjectionTime) {
        this.uneject(host, monitor, now);
        changed = true;
      }
    }
    this.successRateEjections(false);
    this.successRateEjections(true);
    if (changed) this.onHealthChanged();
  }

  /** Stops the timer and returns every ejected host (outlier_detection removed, or the cluster left CDS). */
  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    for (const [host] of this.monitors) {
      if (host.healthFlags & HealthFlag.FailedOutlierCheck) {
        host.healthFlags &= ~HealthFlag.FailedOutlierCheck;
        this.stats.ejections_active--;
      }
      host.outlier = null;
    }
    this.monitors.clear();
  }

  private ejectHost(host: Host, monitor: HostOutlierState, type: number): void {
    const config = this.config;
    const stats = this.stats;
    const ejectedPercent = (100 * (stats.ejections_active + 1)) / this.monitors.size;
    const allowed = ejectedPercent <= config.maxEjectionPercent || (config.alwaysEjectOneHost && stats.ejections_active === 0);
    if (!allowed) {
      stats.ejections_overflow++;
      return;
    }
    if (type === EjectionType.Consecutive5xx || type === EjectionType.SuccessRate) stats.ejections_total++;
    if (!this.enforced(type)) return;
    stats.ejections_active++;
    stats.ejections_enforced_total++;
    countEnforced(stats, type);
    host.healthFlags |= HealthFlag.FailedOutlierCheck;
    monitor.numEjections++;
    monitor.lastEjectionTime = this.clock.now();
    monitor.jitterMs = Math.floor(this.clock.random() * (config.maxEjectionTimeJitterMs + 1));
    // The backoff stops growing once base × backoff reaches max_ejection_time (Envoy caps it one step above).
    if (monitor.ejectTimeBackoff * config.baseEjectionTimeMs < config.maxEjectionTimeMs + config.baseEjectionTimeMs) monitor.ejectTimeBackoff++;
    this.onHealthChanged();
  }

  /**
   * Envoy's processSuccessRateEjections for one origin over the interval that just ended: among hosts not ejected with
   * enough requests, success rate below mean − stdev_factor/1000 × stdev (with ≥ success_rate_minimum_hosts such
   * hosts), or a failure percentage ≥ failure_percentage_threshold (with ≥ failure_percentage_minimum_hosts).
   */
  private successRateEjections(localOrigin: boolean): void {
    const c = this.config;
    if (this.monitors.size < c.successRateMinimumHosts && this.monitors.size < c.failurePercentageMinimumHosts) return;
    const srHosts: Array<[Host, HostOutlierState, number]> = [];
    const fpHosts: Array<[Host, HostOutlierState, number]> = [];
    let sum = 0;
    for (const [host, monitor] of this.monitors) {
      if (host.healthFlags & HealthFlag.FailedOutlierCheck) continue;
      const total = localOrigin ? monitor.localTotalPrev : monitor.externalTotalPrev;
      if (total === 0) continue;
      const rate = ((localOrigin ? monitor.localSuccessPrev : monitor.externalSuccessPrev) * 100) / total;
      if (total >= c.successRateRequestVolume) {
        srHosts.push([host, monitor, rate]);
        sum += rate;
      }
      if (total >= c.failurePercentageRequestVolume) fpHosts.push([host, monitor, rate]);
    }
    if (srHosts.length > 0 && srHosts.length >= c.successRateMinimumHosts) {
      const mean = sum / srHosts.length;
      let variance = 0;
      for (const [, , rate] of srHosts) variance += (rate - mean) ** 2;
      const threshold = mean - (c.successRateStdevFactor / 1000) * Math.sqrt(variance / srHosts.length);
      const type = localOrigin ? EjectionType.SuccessRateLocalOrigin : EjectionType.SuccessRate;
      for (const [host, monitor, rate] of srHosts) {
        if (rate >= threshold || host.healthFlags & HealthFlag.FailedOutlierCheck) continue;
        this.stats.ejections_success_rate++;
        countDetected(this.stats, type);
        this.ejectHost(host, monitor, type);
      }
    }
    if (fpHosts.length > 0 && fpHosts.length >= c.failurePercentageMinimumHosts) {
      const type = localOrigin ? EjectionType.FailurePercentageLocalOrigin : EjectionType.FailurePercentage;
      for (const [host, monitor, rate] of fpHosts) {
        if (100 - rate < c.failurePercentageThreshold || host.healthFlags & HealthFlag.FailedOutlierCheck) continue;
        countDetected(this.stats, type);
        this.ejectHost(host, monitor, type);
      }
    }
  }

  /** Envoy's featureEnabled(enforcing_*): ejected with that percent chance. */
  private enforced(type: number): boolean {
    const percent = enforcingPercent(this.config, type);
    return percent >= 100 || (percent > 0 && this.clock.random() * 100 < percent);
  }

  private uneject(host: Host, monitor: HostOutlierState, now: number): void {
    this.stats.ejections_active--;
    host.healthFlags &= ~HealthFlag.FailedOutlierCheck;
    monitor.resetConsecutive();
    monitor.lastUnejectionTime = now;
  }

  private arm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.sweep();
      this.arm();
    }, this.config.intervalMs);
    this.timer.unref();
  }
}

function enforcingPercent(c: OutlierConfig, type: number): number {
  switch (type) {
    case EjectionType.Consecutive5xx: return c.enforcingConsecutive5xx;
    case EjectionType.ConsecutiveGatewayFailure: return c.enforcingConsecutiveGatewayFailure;
    case EjectionType.ConsecutiveLocalOriginFailure: return c.enforcingConsecutiveLocalOriginFailure;
    case EjectionType.SuccessRate: return c.enforcingSuccessRate;
    case EjectionType.SuccessRateLocalOrigin: return c.enforcingLocalOriginSuccessRate;
    case EjectionType.FailurePercentage: return c.enforcingFailurePercentage;
    default: return c.enforcingFailurePercentageLocalOrigin;
  }
}

function countDetected(stats: OutlierDetectionStats, type: number): void {
  switch (type) {
    case EjectionType.Consecutive5xx: stats.ejections_detected_consecutive_5xx++; break;
    case EjectionType.ConsecutiveGatewayFailure: stats.ejections_detected_consecutive_gateway_failure++; break;
    case EjectionType.ConsecutiveLocalOriginFailure: stats.ejections_detected_consecutive_local_origin_failure++; break;
    case EjectionType.SuccessRate: stats.ejections_detected_success_rate++; break;
    case EjectionType.SuccessRateLocalOrigin: stats.ejections_detected_local_origin_success_rate++; break;
    case EjectionType.FailurePercentage: stats.ejections_detected_failure_percentage++; break;
    case EjectionType.FailurePercentageLocalOrigin: stats.ejections_detected_local_origin_failure_percentage++; break;
  }
}

function countEnforced(stats: OutlierDetectionStats, type: number): void {
  switch (type) {
    case EjectionType.Consecutive5xx: stats.ejections_enforced_consecutive_5xx++; break;
    case EjectionType.ConsecutiveGatewayFailure: stats.ejections_enforced_consecutive_gateway_failure++; break;
    case EjectionType.ConsecutiveLocalOriginFailure: stats.ejections_enforced_consecutive_local_origin_failure++; break;
    case EjectionType.SuccessRate: stats.ejections_enforced_success_rate++; break;
    case EjectionType.SuccessRateLocalOrigin: stats.ejections_enforced_local_origin_success_rate++; break;
    case EjectionType.FailurePercentage: stats.ejections_enforced_failure_percentage++; break;
    case EjectionType.FailurePercentageLocalOrigin: stats.ejections_enforced_local_origin_failure_percentage++; break;
  }
}
