// Per-host keep-alive pool of UpstreamConnections: LIFO reuse of idle connections, connect with a timeout, stats.

import { connect } from "node:net";
import { HostPool } from "./host-pool.js";
import { UpstreamConnection } from "./upstream-connection.js";

export type ConnectCallback = (conn: UpstreamConnection | null, timedOut: boolean) => void;

/** Owned by one Host. A connection closed while idle leaves the pool; close() ends idle ones and refuses new work. */
export class ConnectionPool extends HostPool {
  private readonly idle: UpstreamConnection[] = [];

  /** The most recently used idle connection, or undefined. */
  takeIdle(): UpstreamConnection | undefined {
    const c = this.idle.pop();
    return c;
  }

  /** Opens a new connection; `cb(null, timedOut)` on failure. */
  connect(cb: ConnectCallback): void {
    if (this.closing) { cb(null, false); return; }
    const socket = connect({ host: this.address, port: this.port, noDelay: true });
    let connected = false;
    let timedOut = false;
    const timer = this.connecting(() => { timedOut = true; socket.destroy(); });
    const conn = new UpstreamConnection(socket, (c) => this.release(c), (c) => this.onClosed(c, connected));
    socket.once("connect", () => {
      clearTimeout(timer);
      connected = true;
      this.connected();
      cb(conn, false);
    });
    socket.once("close", () => {
      if (connected) return;
      clearTimeout(timer);
      this.connectFailed(timedOut);
      cb(null, timedOut);
    });
  }

  /** Closes idle connections; in-use ones close when their exchange ends. */
  override close(): void {
    this.closing = true;
    for (const c of this.idle.splice(0)) c.socket.destroy();
  }

  private release(c: UpstreamConnection): void {
    if (this.closing) c.socket.destroy();
    else this.idle.push(c);
  }

  private onClosed(c: UpstreamConnection, connected: boolean): void {
    if (!connected) return;
    this.disconnected();
    const i = this.idle.indexOf(c);
    if (i !== -1) this.idle.splice(i, 1);
  }
}
