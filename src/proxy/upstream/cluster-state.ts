// ClusterState: what belongs to a cluster name rather than to one CDS/EDS version: stats and the cluster in force.

import { ClusterStats } from "../stats/proxy-stats.js";
import type { Cluster } from "./cluster.js";

/**
 * Created with the first version of a cluster and kept while its name stays in CDS. Per-cluster machinery that must
 * outlive rebuilds (outlier detection, health checking, circuit-breaker counts) hangs here and follows `current`.
 */
export class ClusterState {
  readonly stats = new ClusterStats();
  /** The cluster built from the latest CDS and EDS. */
  current: Cluster | undefined;

  constructor(readonly name: string) {}

  /** A new version of the cluster is in force. */
  update(cluster: Cluster): void {
    this.current = cluster;
  }

  /** The cluster left CDS: stop timers. */
  close(): void {
    this.current = undefined;
  }
}
