// ClusterState: what belongs to a cluster name rather than to one CDS/EDS version: stats and the cluster in force.

import { ClusterStats } from "../stats/proxy-stats.js";
import { LbStats } from "./lb/lb-stats.js";
import { ClusterResources } from "./cluster-resources.js";
import { DEFAULT_CONNECTION_OPTIONS, type ConnectionOptions } from "./connection-options.js";
import type { Cluster } from "./cluster.js";
import { ClusterHealth } from "./health/cluster-health.js";
import type { PoolCluster } from "./host-pool.js";

/**
 * Created with the first version of a cluster and kept while its name stays in CDS. Per-cluster machinery that must
 * outlive rebuilds (outlier detection, health checking, circuit-breaker counts) hangs here and follows `current`.
 */
export class ClusterState implements PoolCluster {
  readonly stats = new ClusterStats();
  /** Load-balancer and membership stats (lb_healthy_panic, membership_*), registered on `stats.groups`. */
  readonly lbStats = new LbStats(this.stats);
  /** Circuit-breaker counts (connections, pending requests, requests, retries in use); thresholds follow `current`. */
  readonly resources = new ClusterResources();
  /** The connection options in force, read by the hosts' pools when they open, reuse or retire a connection. */
  connection: ConnectionOptions = DEFAULT_CONNECTION_OPTIONS;
  /** The cluster built from the latest CDS and EDS. */
  current: Cluster | undefined;
  /** Outlier detection and active health checking (their timers and per-host state outlive rebuilds). */
  readonly health = new ClusterHealth(this.stats, () => this.current);

  constructor(readonly name: string) {
    this.stats.groups.push(this.resources);
  }

  /** A new version of the cluster is in force. */
  update(cluster: Cluster): void {
    this.current = cluster;
    this.resources.setThresholds(cluster.config.circuitBreakers);
    this.connection = cluster.config.connection;
    this.health.update(cluster);
  }

  /** The cluster left CDS: stop timers. */
  close(): void {
    this.current = undefined;
    this.health.close();
  }
}
