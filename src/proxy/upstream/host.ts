// Host: one endpoint of a cluster, with its pools, stats, weight, locality, priority and health flags.

import { ClusterStats, HostStats } from "../stats/proxy-stats.js";
import { ConnectionPool } from "./connection-pool.js";
import { H2ConnectionPool } from "./h2-connection-pool.js";
import type { HostOutlierState } from "./outlier/host-outlier-state.js";
import { standalonePoolCluster, type PoolCluster } from "./host-pool.js";

/** Envoy's Host::HealthFlag bits; a host with none of the FAILED/EDS bits set is healthy. */
export const HealthFlag = {
  /** Active health checking marked it unhealthy. */
  FailedActiveHc: 1,
  /** Outlier detection ejected it. */
  FailedOutlierCheck: 2,
  /** EDS says UNHEALTHY, DRAINING or TIMEOUT. */
  FailedEdsHealth: 4,
  /** EDS says DEGRADED: used only when there are not enough healthy hosts. */
  DegradedEdsHealth: 8,
  /** Active health checking has not yet checked it (with a health check configured, hosts start here). */
  PendingActiveHc: 16,
  /** EDS says DRAINING (besides FailedEdsHealth): excluded from load balancing altogether, even in panic. */
  EdsStatusDraining: 32,
} as const;

/** Envoy's excludeBasedOnHealthFlag: such hosts are in no host list the load balancer uses, panic included. */
export const EXCLUDED_FLAGS = HealthFlag.PendingActiveHc | HealthFlag.EdsStatusDraining;

/** The EDS-owned bits, replaced on every EDS update. */
const EDS_FLAGS = HealthFlag.FailedEdsHealth | HealthFlag.DegradedEdsHealth | HealthFlag.EdsStatusDraining;

/** Flags that take a host out of the healthy set. */
export const UNHEALTHY_FLAGS = HealthFlag.FailedActiveHc | HealthFlag.FailedOutlierCheck | HealthFlag.FailedEdsHealth | HealthFlag.PendingActiveHc;

/** The EDS health status string as decoded (HEALTHY, UNHEALTHY, DRAINING, TIMEOUT, DEGRADED, UNKNOWN). */
export function edsHealthFlags(status: string): number {
  switch (status) {
    case "UNHEALTHY": case "TIMEOUT": return HealthFlag.FailedEdsHealth;
    case "DRAINING": return HealthFlag.FailedEdsHealth | HealthFlag.EdsStatusDraining;
    case "DEGRADED": return HealthFlag.DegradedEdsHealth;
    default: return 0;
  }
}

/** One endpoint. Kept across CDS/EDS updates while its address:port stays (so pools, counters and health survive). */
export class Host {
  readonly stats = new HostStats();
  readonly pool: ConnectionPool;
  readonly key: string;
  /** EDS health_status as received (admin output). */
  health: string;
  /** HealthFlag bits; the EDS bits are replaced on each update, the others belong to health checking and outlier detection. */
  healthFlags: number;
  /** load_balancing_weight of the endpoint (≥ 1). */
  weight = 1;
  /** "region/zone/sub_zone" of its LocalityLbEndpoints ("" when unset). */
  locality = "";
  /** load_balancing_weight of its LocalityLbEndpoints (0 when unset). */
  localityWeight = 0;
  /** priority of its LocalityLbEndpoints (0 is the highest). */
  priority = 0;
  /** performance.now() when the host was added (slow start measures from here, or from passing its first health check). */
  addedAt = performance.now();
  /** Outlier detection's counters while the cluster has outlier_detection (set by its OutlierDetector), else null. */
  outlier: HostOutlierState | null = null;
  private h2: H2ConnectionPool | null = null;

  /**
   * `cluster` (the ClusterState) gives the pools the cluster's circuit-breaker counts and connection options; without
   * it (unit tests) the host gets Envoy's default limits of its own.
   */
  constructor(
    readonly address: string,
    readonly port: number,
    health: string,
    clusterStats: ClusterStats,
    private connectTimeoutMs: number,
    private readonly cluster: PoolCluster = standalonePoolCluster(clusterStats),
  ) {
    this.key = `${address}:${port}`;
    this.health = health;
    this.healthFlags = edsHealthFlags(health);
    this.pool = new ConnectionPool(address, port, this.cluster, this.stats, connectTimeoutMs);
  }

  /** No failure flag set (DEGRADED counts as not healthy here but usable; see `degraded`). */
  get healthy(): boolean { return (this.healthFlags & (UNHEALTHY_FLAGS | HealthFlag.DegradedEdsHealth)) === 0; }

  /** PENDING_ACTIVE_HC or EDS DRAINING: not load balanced to at all (Envoy's excluded hosts). */
  get excluded(): boolean { return (this.healthFlags & EXCLUDED_FLAGS) !== 0; }

  get degraded(): boolean { return (this.healthFlags & UNHEALTHY_FLAGS) === 0 && (this.healthFlags & HealthFlag.DegradedEdsHealth) !== 0; }

  /** Sets the EDS health, keeping health-check and outlier flags. */
  setEdsHealth(status: string): void {
    this.health = status;
    this.healthFlags = (this.healthFlags & ~EDS_FLAGS) | edsHealthFlags(status);
  }

  /** The host's HTTP/2 connections, created on first use. */
  get h2Pool(): H2ConnectionPool {
    this.h2 ??= new H2ConnectionPool(this.address, this.port, this.cluster, this.stats, this.connectTimeoutMs);
    return this.h2;
  }

  setConnectTimeout(ms: number): void {
    this.connectTimeoutMs = ms;
    this.pool.setConnectTimeout(ms);
    this.h2?.setConnectTimeout(ms);
  }

  /** Closes idle HTTP/1.1 connections and sends GOAWAY on HTTP/2 ones; exchanges in flight finish. */
  close(): void {
    this.pool.close();
    this.h2?.close();
  }
}
