// Per-host HTTP/2 connections: streams multiplexed on few sessions, SETTINGS_MAX_CONCURRENT_STREAMS respected, GOAWAY drains.

import { connect as h2connect, type ClientHttp2Session } from "node:http2";
import { connect as tcpConnect } from "node:net";
import { HostPool, type PoolFailure } from "./host-pool.js";

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

  /** `maxStreams`: the cluster's http2_protocol_options.max_concurrent_streams, below the peer's own limit. */
  constructor(readonly session: ClientHttp2Session, private readonly maxStreams: number) {}

  get hasCapacity(): boolean {
    if (this.draining || this.session.destroyed || this.session.closed) return false;
    const peer = this.connected ? this.session.remoteSettings.maxConcurrentStreams ?? INITIAL_MAX_STREAMS : INITIAL_MAX_STREAMS;
    return this.active < (peer < this.maxStreams ? peer : this.maxStreams);
  }

  /** A stream on it ended: frees its slot; a draining connection closes with its last stream. */
  release(): void {
    this.active--;
    if (this.draining && this.active === 0 && !this.session.closed) this.session.close();
  }

  /** No new streams; closes (GOAWAY) once the streams in flight end. */
  drain(): void {
    this.draining = true;
    if (this.active === 0 && !this.session.closed) this.session.close();
  }
}

/**
 * Owned by one Host. acquire() returns a connection with a free stream slot, opening a new one (a new TCP
 * connection with a connect timeout) when every open connection is full or draining and max_connections allows
 * (an empty pool always may). Requests on a connection still connecting are queued by nghttp2 and fail with it.
 * The max_requests breaker refuses a stream with "overflow" (upstream_rq_pending_overflow), as Envoy's
 * attachStreamToClient does; so does a pool whose connections are all full at max_connections (Weft keeps no
 * HTTP/2 pending queue: such a stream is refused at once rather than queued). A connection drains after
 * max_requests_per_connection streams (upstream_cx_max_requests) and at max_connection_duration
 * (upstream_cx_max_duration_reached), and closes after idle_timeout without traffic and without streams
 * (upstream_cx_idle_timeout).
 */
export class H2ConnectionPool extends HostPool {
  private readonly conns: H2Connection[] = [];

  /** A connection with room for one more stream (its slot is taken), or why there is none ("connect": the pool is closed). */
  acquire(): H2Connection | PoolFailure {
    if (this.closing) return "connect";
    if (!this.cluster.resources.requests.canCreate()) {
      this.clusterStats.upstream_rq_pending_overflow++;
      return "overflow";
    }
    let c: H2Connection | undefined;
    for (let i = 0; i < this.conns.length; i++) if (this.conns[i].hasCapacity) { c = this.conns[i]; break; }
    if (c === undefined) {
      if (!this.mayOpen(this.conns.length === 0)) {
        this.clusterStats.upstream_rq_pending_overflow++;
        return "overflow";
      }
      c = this.open();
    }
    c.active++;
    const max = this.cluster.connection.maxRequestsPerConnection;
    if (max > 0 && ++c.streams >= max) {
      this.clusterStats.upstream_cx_max_requests++;
      c.draining = true;
    }
    return c;
  }

  /** Sends GOAWAY on every connection; streams in flight finish. */
  override close(): void {
    this.closing = true;
    for (const c of this.conns.splice(0)) { c.draining = true; c.session.close(); }
  }

  private open(): H2Connection {
    const socket = tcpConnect({ host: this.address, port: this.port, noDelay: true });
    const session = h2connect(`http://${this.address}:${this.port}`, { createConnection: () => socket });
    const conn = new H2Connection(session, this.cluster.connection.maxConcurrentStreams);
    this.conns.push(conn);
    let timedOut = false;
    const timer = this.connecting(() => { timedOut = true; session.destroy(); });
    session.once("connect", () => {
      clearTimeout(timer);
      conn.connected = true;
      this.connected(socket);
    });
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
      else this.connectFailed(timedOut);
    });
    // An idle session must not keep the process alive; streams ref it while they run.
    session.unref();
    return conn;
  }
}
