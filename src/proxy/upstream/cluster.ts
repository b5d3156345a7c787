// An upstream cluster as the data path sees it: hosts with pools and stats, and the current round-robin picker.

import { ClusterStats, HostStats } from "../stats/proxy-stats.js";
import { ConnectionPool } from "./connection-pool.js";
import { H2ConnectionPool } from "./h2-connection-pool.js";
import { RoundRobinPicker } from "./round-robin-picker.js";

/**
 * The upstream HTTP protocol from the cluster's HttpProtocolOptions: explicit HTTP/1.1 (the default), explicit
 * HTTP/2, or the downstream request's protocol (use_downstream_protocol_config).
 */
export type UpstreamProtocol = "http1" | "http2" | "downstream";

/** One endpoint. Kept across EDS updates while its address:port stays (so pools and counters survive). */
export class Host {
  readonly stats = new HostStats();
  readonly pool: ConnectionPool;
  readonly key: string;
  private h2: H2ConnectionPool | null = null;

  constructor(readonly address: string, readonly port: number, public health: string, private readonly clusterStats: ClusterStats, private connectTimeoutMs: number) {
    this.key = `${address}:${port}`;
    this.pool = new ConnectionPool(address, port, clusterStats, this.stats, connectTimeoutMs);
  }

  /** The host's HTTP/2 connections, created on first use. */
  get h2Pool(): H2ConnectionPool {
    this.h2 ??= new H2ConnectionPool(this.address, this.port, this.clusterStats, this.stats, this.connectTimeoutMs);
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
    readonly protocol: UpstreamProtocol = "http1",
    /** circuit_breakers max_retries of the DEFAULT priority (Envoy's default 3). */
    public maxRetries = 3,
  ) {
    this.picker = new RoundRobinPicker(hosts.filter((h) => h.health === "HEALTHY" || h.health === "UNKNOWN"));
  }
}
