// Per-host keep-alive pool of UpstreamConnections: LIFO reuse of idle connections, connect with a timeout, stats.

import { connect } from "node:net";
import type { ClusterStats, HostStats } from "../stats/proxy-stats.js";
import { UpstreamConnection } from "./upstream-connection.js";

export type ConnectCallback = (conn: UpstreamConnection | null, timedOut: boolean) => void;

/** Owned by one Host. A connection closed while idle leaves the pool; close() ends idle ones and refuses new work. */
export class ConnectionPool {
  private readonly idle: UpstreamConnection[] = [];
  private closing = false;

  constructor(
    private readonly address: string,
    private readonly port: number,
    private readonly clusterStats: ClusterStats,
    private readonly hostStats: HostStats,
    private connectTimeoutMs: number,
  ) {}

  setConnectTimeout(ms: number): void { this.connectTimeoutMs = ms; }

  /** The most recently used idle connection, or undefined. */
  takeIdle(): UpstreamConnection | undefined {
    const c = this.idle.pop();
    return c;
  }

  /** Opens a new connection; `cb(null, timedOut)` on failure. */
  connect(cb: ConnectCallback): void {
    if (this.closing) { cb(null, false); return; }
    const socket = connect({ host: this.address, port: this.port, noDelay: true });
    const stats = this.clusterStats;
    stats.upstream_cx_total++;
    let connected = false;
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; socket.destroy(); }, this.connectTimeoutMs);
    const conn = new UpstreamConnection(socket, (c) => this.release(c), (c) => this.onClosed(c, connected));
    socket.once("connect", () => {
      clearTimeout(timer);
      connected = true;
      stats.upstream_cx_active++;
      this.hostStats.cx_active++;
      cb(conn, false);
    });
    socket.once("close", () => {
      if (connected) return;
      clearTimeout(timer);
      stats.upstream_cx_connect_fail++;
      if (timedOut) stats.upstream_cx_connect_timeout++;
      cb(null, timedOut);
    });
  }

  /** Closes idle connections; in-use ones close when their exchange ends. */
  close(): void {
    this.closing = true;
    for (const c of this.idle.splice(0)) c.socket.destroy();
  }

  private release(c: UpstreamConnection): void {
    if (this.closing) c.socket.destroy();
    else this.idle.push(c);
  }

  private onClosed(c: UpstreamConnection, connected: boolean): void {
    if (!connected) return;
    this.clusterStats.upstream_cx_active--;
    this.hostStats.cx_active--;
    const i = this.idle.indexOf(c);
    if (i !== -1) this.idle.splice(i, 1);
  }
}
