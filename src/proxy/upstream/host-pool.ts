// HostPool: what a host's HTTP/1.1 and HTTP/2 connection pools share: the pending queue, the connect timeout, closing, cx stats and the connections breaker.

import type { Socket } from "node:net";
import type { ClusterStats, HostStats } from "../stats/proxy-stats.js";
import { ClusterResources } from "./cluster-resources.js";
import { DEFAULT_CONNECTION_OPTIONS, type ConnectionOptions } from "./connection-options.js";

/** What a pool reads from its cluster (the ClusterState): stats, circuit-breaker counts and the connection options in force. */
export interface PoolCluster {
  readonly stats: ClusterStats;
  readonly resources: ClusterResources;
  readonly connection: ConnectionOptions;
}

/** A PoolCluster of its own for a pool or host built without a ClusterState (tests): Envoy's default limits. */
export function standalonePoolCluster(stats: ClusterStats): PoolCluster {
  return { stats, resources: new ClusterResources(), connection: DEFAULT_CONNECTION_OPTIONS };
}

/**
 * Why a pool could not give a request a connection (Envoy ConnectionPool::PoolFailureReason): "overflow" when a
 * circuit breaker (max_pending_requests, max_requests) refused it (503 UO), "connect" when the connection it waited
 * for failed or the pool closed, "timeout" when that connection hit the connect timeout (both 503 UF).
 */
export type PoolFailure = "overflow" | "connect" | "timeout";

/** A request waiting for a connection `C`; exactly one of the two is called, possibly before newStream() returns. */
export interface PoolCallbacks<C> {
  /** `conn` is the request's until its exchange ends (the caller then counts the request against max_requests). */
  onPoolReady(conn: C): void;
  onPoolFailure(reason: PoolFailure): void;
}

/**
 * Base of ConnectionPool and H2ConnectionPool (Envoy ConnPoolImplBase). Each new connection goes through the counters
 * Envoy keeps per cluster and host: connecting() once (which takes one of the cluster's max_connections), then
 * connected() or connectFailed(), then disconnected() after connected(); connectFailed() and disconnected() give the
 * slot back. Requests without a connection wait in one FIFO queue under the cluster's max_pending_requests: enqueue()
 * counts them in (upstream_rq_pending_total/_active), takePending(), cancel() and purge() count them out exactly once.
 */
export abstract class HostPool<C> {
  /** close() was called: no new connections. */
  protected closing = false;
  /** Requests waiting for a connection, oldest first. */
  protected readonly pending: PoolCallbacks<C>[] = [];

  constructor(
    protected readonly address: string,
    protected readonly port: number,
    protected readonly cluster: PoolCluster,
    protected readonly hostStats: HostStats,
    protected connectTimeoutMs: number,
  ) {}

  protected get clusterStats(): ClusterStats { return this.cluster.stats; }

  /** Requests waiting in this pool's queue. */
  get pendingCount(): number { return this.pending.length; }

  setConnectTimeout(ms: number): void { this.connectTimeoutMs = ms; }

  /** `cb` no longer wants a connection (downstream gone, timeout): it leaves the queue (upstream_rq_cancelled). */
  cancel(cb: PoolCallbacks<C>): void {
    const i = this.pending.indexOf(cb);
    if (i === -1) return;
    this.pending.splice(i, 1);
    this.leavePending();
    this.clusterStats.upstream_rq_cancelled++;
  }

  /** Closes idle connections (HTTP/2: GOAWAY); in-use ones end with their exchanges. */
  abstract close(): void;

  /**
   * Envoy tryCreateNewConnection's breaker check: true when max_connections leaves room, or when this pool has no
   * connection at all (Envoy always lets an empty pool open one, so its requests are not stranded);
   * upstream_cx_overflow counts every time the limit is reached.
   */
  protected mayOpen(poolEmpty: boolean): boolean {
    if (this.cluster.resources.connections.canCreate()) return true;
    this.clusterStats.upstream_cx_overflow++;
    return poolEmpty;
  }

  /** Queues `cb` when max_pending_requests leaves room (true), else fails it with overflow (false). */
  protected enqueue(cb: PoolCallbacks<C>): boolean {
    const pending = this.cluster.resources.pendingRequests;
    if (!pending.canCreate()) { this.overflow(cb); return false; }
    this.pending.push(cb);
    pending.inc();
    this.clusterStats.upstream_rq_pending_total++;
    this.clusterStats.upstream_rq_pending_active++;
    return true;
  }

  /** The oldest pending request, out of the queue. */
  protected takePending(): PoolCallbacks<C> | undefined {
    const cb = this.pending.shift();
    if (cb !== undefined) this.leavePending();
    return cb;
  }

  /** Fails every pending request (a connect failure: Envoy purgePendingStreams; or the pool closed); a retry may queue again. */
  protected purge(reason: PoolFailure): void {
    if (this.pending.length === 0) return;
    const failed = this.pending.splice(0);
    for (let i = 0; i < failed.length; i++) this.leavePending();
    this.clusterStats.upstream_rq_pending_failure_eject += failed.length;
    for (let i = 0; i < failed.length; i++) failed[i].onPoolFailure(reason);
  }

  /** A circuit breaker (max_pending_requests, max_requests) refused `cb`: 503 UO (upstream_rq_pending_overflow). */
  protected overflow(cb: PoolCallbacks<C>): void {
    this.clusterStats.upstream_rq_pending_overflow++;
    cb.onPoolFailure("overflow");
  }

  private leavePending(): void {
    this.cluster.resources.pendingRequests.dec();
    this.clusterStats.upstream_rq_pending_active--;
  }

  /** A connection attempt starts; `onTimeout` runs if it is not connected within the connect timeout. Returns the timer. */
  protected connecting(onTimeout: () => void): NodeJS.Timeout {
    this.clusterStats.upstream_cx_total++;
    this.cluster.resources.connections.inc();
    const timer = setTimeout(onTimeout, this.connectTimeoutMs);
    // The socket keeps the process alive while it connects; a stray timer must not.
    timer.unref();
    return timer;
  }

  /** The socket connected: counts it and applies upstream_connection_options.tcp_keepalive. */
  protected connected(socket: Socket): void {
    this.clusterStats.upstream_cx_active++;
    this.hostStats.cx_active++;
    const keepalive = this.cluster.connection.keepaliveTimeMs;
    if (keepalive >= 0) socket.setKeepAlive(true, keepalive);
  }

  /** The attempt ended before connecting (refused, reset, or the connect timeout when `timedOut`). */
  protected connectFailed(timedOut: boolean): void {
    this.cluster.resources.connections.dec();
    this.clusterStats.upstream_cx_connect_fail++;
    if (timedOut) this.clusterStats.upstream_cx_connect_timeout++;
  }

  /** A connected connection closed. */
  protected disconnected(): void {
    this.cluster.resources.connections.dec();
    this.clusterStats.upstream_cx_active--;
    this.hostStats.cx_active--;
  }
}
