// Per-host HTTP/1.1 pool of UpstreamConnections: LIFO reuse of idle connections, a FIFO pending queue under the circuit breakers, connection lifetime limits.

import { connect } from "node:net";
import { HostPool, type PoolCallbacks } from "./host-pool.js";
import { UpstreamConnection } from "./upstream-connection.js";

/**
 * Owned by one Host; Envoy's HTTP/1 ConnPoolImplBase. newStream() attaches an idle connection at once; otherwise the
 * request joins the pending queue (cluster-wide max_pending_requests, else 503 UO and upstream_rq_pending_overflow)
 * and a connection is opened when the queue outgrows the connections being opened (cluster-wide max_connections,
 * upstream_cx_overflow; an empty pool always may open one). A connection freed or connected takes the oldest pending
 * request; attaching checks max_requests (overflow as above). A connect failure fails every pending request (Envoy
 * purgePendingStreams). Connections close after max_requests_per_connection requests, after idle_timeout without
 * traffic while idle, and drain at max_connection_duration.
 */
export class ConnectionPool extends HostPool<UpstreamConnection> {
  private readonly idle: UpstreamConnection[] = [];
  /** Connections opened and not yet connected. */
  private connectingCount = 0;
  /** Connections opened and not yet closed (connecting or connected). */
  private total = 0;

  /** Gets `cb` a connection: now (idle one), later (pending), or fails it with overflow. */
  newStream(cb: PoolCallbacks<UpstreamConnection>): void {
    const conn = this.idle.pop();
    if (conn !== undefined) {
      if (this.cluster.resources.requests.canCreate()) this.attach(conn, cb);
      else { this.idle.push(conn); this.overflow(cb); }
      return;
    }
    if (this.closing) { cb.onPoolFailure("connect"); return; }
    if (this.enqueue(cb)) this.tryConnect();
  }

  /** Closes idle connections; in-use ones close when their exchange ends; pending requests with no connection coming fail. */
  override close(): void {
    this.closing = true;
    for (const c of this.idle.splice(0)) c.socket.destroy();
    if (this.total === 0) this.purge("connect");
  }

  private attach(conn: UpstreamConnection, cb: PoolCallbacks<UpstreamConnection>): void {
    const max = this.cluster.connection.maxRequestsPerConnection;
    if (max > 0 && ++conn.streams >= max) {
      // The last request this connection may carry: it closes when the exchange ends.
      conn.reusable = false;
      this.clusterStats.upstream_cx_max_requests++;
    }
    cb.onPoolReady(conn);
  }

  /** Envoy shouldCreateNewConnection + tryCreateNewConnection: one more connection when the queue outgrows the connecting ones. */
  private tryConnect(): void {
    if (this.pending.length <= this.connectingCount) return;
    if (this.mayOpen(this.total === 0)) this.open();
  }

  private open(): void {
    this.total++;
    this.connectingCount++;
    const socket = connect({ host: this.address, port: this.port, noDelay: true });
    let connected = false;
    let timedOut = false;
    const timer = this.connecting(() => { timedOut = true; socket.destroy(); });
    const conn = new UpstreamConnection(socket, (c) => this.release(c), (c) => { if (connected) this.onClosed(c); });
    socket.once("connect", () => {
      clearTimeout(timer);
      connected = true;
      this.connectingCount--;
      this.connected(socket);
      this.limitLifetime(conn);
      this.serve(conn);
    });
    socket.once("close", () => {
      if (connected) return;
      clearTimeout(timer);
      this.connectingCount--;
      this.total--;
      this.connectFailed(timedOut);
      this.purge(timedOut ? "timeout" : "connect");
    });
  }

  /** idle_timeout (socket inactivity while idle) and max_connection_duration for a new connection. */
  private limitLifetime(conn: UpstreamConnection): void {
    const options = this.cluster.connection;
    if (options.idleTimeoutMs > 0) {
      // Node re-arms the socket timer on every read and write without allocating: an idle connection times out
      // idle_timeout after its last response byte; a busy one ignores the event.
      conn.socket.setTimeout(options.idleTimeoutMs, () => {
        if (this.removeIdle(conn)) {
          this.clusterStats.upstream_cx_idle_timeout++;
          conn.socket.destroy();
        }
      });
    }
    if (options.maxConnectionDurationMs > 0) {
      conn.drainTimer = setTimeout(() => {
        this.clusterStats.upstream_cx_max_duration_reached++;
        conn.reusable = false;
        if (this.removeIdle(conn)) conn.socket.destroy();
      }, options.maxConnectionDurationMs);
      conn.drainTimer.unref();
    }
  }

  private removeIdle(conn: UpstreamConnection): boolean {
    const i = this.idle.indexOf(conn);
    if (i === -1) return false;
    this.idle.splice(i, 1);
    return true;
  }

  /** An exchange ended and the connection is reusable. */
  private release(conn: UpstreamConnection): void {
    if (this.pending.length === 0) {
      if (this.closing) conn.socket.destroy();
      else this.idle.push(conn);
      return;
    }
    // Envoy's HTTP/1 pool attaches the next pending request later in the same event-loop iteration
    // (scheduleOnUpstreamReady); here also because the finished request's cleanup (its max_requests slot) runs after
    // this callback returns. A close arriving meanwhile is caught by serve(); the router resends on a keep-alive race.
    queueMicrotask(() => this.serve(conn));
  }

  /** A connected (or freed) connection takes the oldest pending request that max_requests admits, else goes idle. */
  private serve(conn: UpstreamConnection): void {
    if (conn.closed) return;
    const requests = this.cluster.resources.requests;
    for (let cb = this.takePending(); cb !== undefined; cb = this.takePending()) {
      if (requests.canCreate()) { this.attach(conn, cb); return; }
      this.overflow(cb);
    }
    if (this.closing || !conn.reusable) conn.socket.destroy();
    else this.idle.push(conn);
  }

  private onClosed(conn: UpstreamConnection): void {
    this.total--;
    this.disconnected();
    if (conn.drainTimer !== undefined) clearTimeout(conn.drainTimer);
    this.removeIdle(conn);
    if (this.pending.length > 0) {
      if (this.closing && this.total === 0) this.purge("connect");
      else if (!this.closing) this.tryConnect();
    }
  }
}
