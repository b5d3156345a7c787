// HostPool: what a host's HTTP/1.1 and HTTP/2 connection pools share: the address, the connect timeout, closing, cx stats.

import type { ClusterStats, HostStats } from "../stats/proxy-stats.js";

/**
 * Base of ConnectionPool and H2ConnectionPool. Each new connection goes through the counters Envoy keeps per
 * cluster and host: connecting() once, then connected() or connectFailed(), then disconnected() after connected().
 */
export abstract class HostPool {
  /** close() was called: no new connections. */
  protected closing = false;

  constructor(
    protected readonly address: string,
    protected readonly port: number,
    protected readonly clusterStats: ClusterStats,
    protected readonly hostStats: HostStats,
    protected connectTimeoutMs: number,
  ) {}

  setConnectTimeout(ms: number): void { this.connectTimeoutMs = ms; }

  /** Closes idle connections (HTTP/2: GOAWAY); in-use ones end with their exchanges. */
  abstract close(): void;

  /** A connection attempt starts; `onTimeout` runs if it is not connected within the connect timeout. Returns the timer. */
  protected connecting(onTimeout: () => void): NodeJS.Timeout {
    this.clusterStats.upstream_cx_total++;
    return setTimeout(onTimeout, this.connectTimeoutMs);
  }

  protected connected(): void {
    this.clusterStats.upstream_cx_active++;
    this.hostStats.cx_active++;
  }

  /** The attempt ended before connecting (refused, reset, or the connect timeout when `timedOut`). */
  protected connectFailed(timedOut: boolean): void {
    this.clusterStats.upstream_cx_connect_fail++;
    if (timedOut) this.clusterStats.upstream_cx_connect_timeout++;
  }

  /** A connected connection closed. */
  protected disconnected(): void {
    this.clusterStats.upstream_cx_active--;
    this.hostStats.cx_active--;
  }
}
