// ClusterHealth: a cluster's outlier detector and active health checker, kept by its ClusterState across rebuilds.

import type { ClusterStats } from "../../stats/proxy-stats.js";
import type { Cluster } from "../cluster.js";
import { OutlierDetectionStats } from "../outlier/outlier-detection-stats.js";
import { OutlierDetector } from "../outlier/outlier-detector.js";
import { HealthCheckStats } from "./health-check-stats.js";
import { HealthChecker } from "./health-checker.js";

/**
 * `update()` runs after every CDS/EDS rebuild: it creates, reconfigures or stops the detector and the checker as the
 * cluster's config says, hands them the current hosts, and rebuilds the balancer when that changed a host's flags.
 * Their stats groups are registered once, on first use, and keep counting across config changes.
 */
export class ClusterHealth {
  detector: OutlierDetector | undefined;
  checker: HealthChecker | undefined;
  private outlierStats: OutlierDetectionStats | undefined;
  private checkStats: HealthCheckStats | undefined;

  constructor(private readonly stats: ClusterStats, private readonly current: () => Cluster | undefined) {}

  update(cluster: Cluster): void {
    const detectorChanged = this.updateDetector(cluster);
    const checkerChanged = this.updateChecker(cluster);
    if (detectorChanged || checkerChanged) cluster.hostHealthChanged();
  }

  close(): void {
    this.detector?.close();
    this.detector = undefined;
    this.checker?.close();
    this.checker = undefined;
  }

  private readonly healthChanged = (): void => { this.current()?.hostHealthChanged(); };

  private updateDetector(cluster: Cluster): boolean {
    const config = cluster.config.outlier;
    if (config === undefined) {
      if (this.detector === undefined) return false;
      this.detector.close();
      this.detector = undefined;
      return true;
    }
    if (this.detector === undefined) {
      if (this.outlierStats === undefined) {
        this.outlierStats = new OutlierDetectionStats();
        this.stats.groups.push(this.outlierStats);
      }
      this.detector = new OutlierDetector(config, this.outlierStats, this.healthChanged);
    } else {
      this.detector.setConfig(config);
    }
    this.detector.setHosts(cluster.hosts);
    return false;
  }

  private updateChecker(cluster: Cluster): boolean {
    const config = cluster.config.healthChecks[0];
    if (config === undefined) {
      if (this.checker === undefined) return false;
      this.checker.close();
      this.checker = undefined;
      return true;
    }
    if (this.checker === undefined) {
      if (this.checkStats === undefined) {
        this.checkStats = new HealthCheckStats();
        this.stats.groups.push(this.checkStats);
      }
      this.checker = new HealthChecker(config, this.checkStats, {
        onHealthChanged: this.healthChanged,
        onCheckPassed: (host) => this.detector?.healthCheckPassed(host),
        trafficSeen: () => this.stats.upstream_cx_total > 0,
      });
    } else {
      this.checker.config = config;
    }
    return this.checker.setHosts(cluster.hosts);
  }
}
