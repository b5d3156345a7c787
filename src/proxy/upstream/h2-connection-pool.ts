// Per-host HTTP/2 connections: streams multiplexed on few sessions, SETTINGS_MAX_CONCURRENT_STREAMS respected, GOAWAY drains.

import { connect as h2connect, type ClientHttp2Session } from "node:http2";
import { connect as tcpConnect } from "node:net";
import { HostPool } from "./host-pool.js";

/** nghttp2's default before the peer's SETTINGS arrive (RFC 9113 §6.5.2 leaves it unlimited; Node assumes 100). */
const INITIAL_MAX_STREAMS = 100;

/** One HTTP/2 connection to the host; `active` counts the streams this pool opened on it. */
export class H2Connection {
  active = 0;
  connected = false;
  /** GOAWAY received, the socket closed, or the pool is closing: no new streams. */
  draining = false;

  constructor(readonly session: ClientHttp2Session) {}

  get hasCapacity(): boolean {
    if (this.draining || this.session.destroyed || this.session.closed) return false;
    const max = this.connected ? this.session.remoteSettings.maxConcurrentStreams ?? INITIAL_MAX_STREAMS : INITIAL_MAX_STREAMS;
    return this.active < max;
  }

  /** A stream on it ended: frees its slot. */
  release(): void { this.active--; }
}

/**
 * Owned by one Host. acquire() returns a connection with a free stream slot, opening a new one (a new TCP
 * connection with a connect timeout) when every open connection is full or draining. Requests on a connection
 * still connecting are queued by nghttp2 and fail with it.
 */
export class H2ConnectionPool extends HostPool {
  private readonly conns: H2Connection[] = [];

  /** A connection with room for one more stream (its slot is taken), or undefined when the pool is closed. */
  acquire(): H2Connection | undefined {
    if (this.closing) return undefined;
    let c: H2Connection | undefined;
    for (let i = 0; i < this.conns.length; i++) if (this.conns[i].hasCapacity) { c = this.conns[i]; break; }
    c ??= this.open();
    c.active++;
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
    const conn = new H2Connection(session);
    this.conns.push(conn);
    let timedOut = false;
    const timer = this.connecting(() => { timedOut = true; session.destroy(); });
    session.once("connect", () => {
      clearTimeout(timer);
      conn.connected = true;
      this.connected();
    });
    session.on("goaway", () => { conn.draining = true; });
    session.on("error", () => { /* 'close' follows; streams see their own errors */ });
    session.once("close", () => {
      clearTimeout(timer);
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
