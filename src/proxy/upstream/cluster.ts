// An upstream cluster as the data path sees it: hosts with pools and stats, and the current round-robin picker.

import { ClusterStats, HostStats } from "../stats/proxy-stats.js";
import { ConnectionPool } from "./connection-pool.js";
import { RoundRobinPicker } from "./round-robin-picker.js";

/** One endpoint. Kept across EDS updates while its address:port stays (so pools and counters survive). */
export class Host {
  readonly stats = new HostStats();
  readonly pool: ConnectionPool;
  readonly key: string;

  constructor(readonly address: string, readonly port: number, public health: string, clusterStats: ClusterStats, connectTimeoutMs: number) {
    this.key = `${address}:${port}`;
    this.pool = new ConnectionPool(address, port, clusterStats, this.stats, connectTimeoutMs);
  }
}

/** Immutable per (CDS, EDS) version, except the picker's cursor. */
export class Cluster {
  readonly picker: RoundRobinPicker<Host>;

  constructor(
    readonly name: string,
    readonly type: string,
    readonly connectTimeoutMs: number,
    /** EDS service name for EDS clusters, "" otherwise. */
    readonly edsServiceName: string,
    readonly stats: ClusterStats,
    readonly hosts: readonly Host[],
  ) {
    this.picker = new RoundRobinPicker(hosts.filter((h) => h.health === "HEALTHY" || h.health === "UNKNOWN"));
  }
}
