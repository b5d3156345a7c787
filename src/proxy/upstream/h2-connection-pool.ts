// Per-host HTTP/2 connections: streams multiplexed on few sessions, SETTINGS_MAX_CONCURRENT_STREAMS respected, a pending queue, GOAWAY drains.

import { connect as h2connect, type ClientHttp2Session } from "node:http2";
import { connect as tcpConnect } from "node:net";
import { HostPool, type PoolCallbacks } from "./host-pool.js";

/** nghttp2's default before the peer's SETTINGS arrive (RFC 9113 §6.5.2 leaves it unlimited; Node assumes 100). */
const INITIAL_MAX_STREAMS = 100;

/** One HTTP/2 connection to the host; `active` counts the streams this pool opened on it. */
export class H2Connection {
  active = 0;
  /** Streams opened on it so far (max_requests_per_connection). */
  streams = 0;
  connected = false;
  /** max_connection_duration timer. */
  drainTimer: NodeJS.Timeout | undefined;
  /** GOAWAY received, the socket closed, or the pool is closing: no new streams. */
  draining = false;

  /**
   * `maxStreams`: the cluster's http2_protocol_options.max_concurrent_streams, below the peer's own limit;
   * `onFree`: a stream slot of this (not draining) connection was freed.
   */
  constructor(
    readonly session: ClientHttp2Session,
    private readonly maxStreams: number,
    private readonly onFree: (c: H2Connection) => void,
  ) {}

  get hasCapacity(): boolean {
    if (this.draining || this.session.destroyed || this.session.closed) return false;
    const peer = this.connected ? this.session.remoteSettings.maxConcurrentStreams ?? INITIAL_MAX_STREAMS : INITIAL_MAX_STREAMS;
    return this.active < (peer < this.maxStreams ? peer : this.maxStreams);
  }

  /** A stream on it ended: frees its slot; a draining connection closes with its last stream. */
  release(): void {
    this.active--;
    if (!this.draining) this.onFree(this);
    else if (this.active === 0 && !this.session.closed) this.session.close();
  }

  /** No new streams; closes (GOAWAY) once the streams in flight end. */
  drain(): void {
    this.draining = true;
    if (this.active === 0 && !this.session.closed) this.session.close();
  }
}

/**
 * Owned by one Host; Envoy's HTTP/2 ConnPoolImplBase. newStream() gives the request a stream slot on a connection
 * with room at once, opening a new connection (a new TCP connection with a connect timeout) when every open one is
 * full or draining and max_connections allows (an empty pool always may); streams on a connection still connecting
 * are queued by nghttp2 and fail with it. Otherwise the request joins the pending queue (cluster-wide
 * max_pending_requests, else 503 UO and upstream_rq_pending_overflow) and takes the first stream slot freed, or a
 * connection opened when one closes. Attaching checks max_requests (overflow as above, Envoy attachStreamToClient).
 * A connect failure fails every pending request (Envoy purgePendingStreams). A connection drains after
 * max_requests_per_connection streams (upstream_cx_max_requests) and at max_connection_duration
 * (upstream_cx_max_duration_reached), and closes after idle_timeout without traffic and without streams
 * (upstream_cx_idle_timeout).
 */
export class H2ConnectionPool extends HostPool<H2Connection> {
  private readonly conns: H2Connection[] = [];
  private readonly onFree = (): void => this.servePending();

  /** Gets `cb` a stream slot: now, later (pending), or fails it (overflow; "connect" when the pool is closed). */
  newStream(cb: PoolCallbacks<H2Connection>): void {
    if (this.closing) { cb.onPoolFailure("connect"); return; }
    const c = this.withCapacity();
    if (c !== undefined) { this.attach(c, cb); return; }
    // Envoy queues the stream first, then tries for a connection (upstream_cx_overflow when max_connections says no).
    if (!this.enqueue(cb)) return;
    if (this.mayOpen(this.conns.length === 0)) {
      this.open();
      this.servePending();
    }
  }

  /** Sends GOAWAY on every connection; streams in flight finish. */
  override close(): void {
    this.closing = true;
    for (const c of this.conns.splice(0)) { c.draining = true; c.session.close(); }
    this.purge("connect");
  }

  private withCapacity(): H2Connection | undefined {
    for (let i = 0; i < this.conns.length; i++) if (this.conns[i].hasCapacity) return this.conns[i];
    return undefined;
  }

  /** Takes one stream slot of `c` for `cb` unless max_requests is reached (then 503 UO). */
  private attach(c: H2Connection, cb: PoolCallbacks<H2Connection>): void {
    if (!this.cluster.resources.requests.canCreate()) { this.overflow(cb); return; }
    c.active++;
    const max = this.cluster.connection.maxRequestsPerConnection;
    if (max > 0 && ++c.streams >= max) {
      this.clusterStats.upstream_cx_max_requests++;
      c.draining = true;
    }
    cb.onPoolReady(c);
  }

  /** Envoy onUpstreamReady: pending requests take free stream slots, oldest first. */
  private servePending(): void {
    while (this.pending.length > 0) {
      const c = this.withCapacity();
      if (c === undefined) return;
      this.attach(c, this.takePending()!);
    }
  }

  private open(): H2Connection {
    const socket = tcpConnect({ host: this.address, port: this.port, noDelay: true });
    const session = h2connect(`http://${this.address}:${this.port}`, { createConnection: () => socket });
    const conn = new H2Connection(session, this.cluster.connection.maxConcurrentStreams, this.onFree);
    this.conns.push(conn);
    let timedOut = false;
    const timer = this.connecting(() => { timedOut = true; session.destroy(); });
    session.once("connect", () => {
      clearTimeout(timer);
      conn.connected = true;
      this.connected(socket);
    });
    // The peer's SETTINGS may allow more streams than assumed before they arrived.
    session.on("remoteSettings", this.onFree);
    session.on("goaway", () => { conn.draining = true; });
    const options = this.cluster.connection;
    if (options.idleTimeoutMs > 0) {
      // Re-armed by nghttp2 traffic; a connection with streams in flight ignores it.
      session.setTimeout(options.idleTimeoutMs, () => {
        if (conn.active > 0 || conn.draining) return;
        this.clusterStats.upstream_cx_idle_timeout++;
        conn.drain();
      });
    }
    if (options.maxConnectionDurationMs > 0) {
      conn.drainTimer = setTimeout(() => {
        this.clusterStats.upstream_cx_max_duration_reached++;
        conn.drain();
      }, options.maxConnectionDurationMs);
      conn.drainTimer.unref();
    }
    session.on("error", () => { /* 'close' follows; streams see their own errors */ });
    session.once("close", () => {
      clearTimeout(timer);
      if (conn.drainTimer !== undefined) clearTimeout(conn.drainTimer);
      conn.draining = true;
      const i = this.conns.indexOf(conn);
      if (i !== -1) this.conns.splice(i, 1);
      if (conn.connected) this.disconnected();
      else {
        this.connectFailed(timedOut);
        this.purge(timedOut ? "timeout" : "connect");
      }
      // A connection slot is free: the queue may get a new connection (Envoy tryCreateNewConnections).
      if (this.pending.length > 0 && !this.closing && this.mayOpen(this.conns.length === 0)) {
        this.open();
        this.servePending();
      }
    });
    // An idle session must not keep the process alive; streams ref it while they run.
    session.unref();
    return conn;
  }
}
