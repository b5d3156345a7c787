// Tests of the HTTP/1.1 ConnectionPool over real loopback sockets: the pending queue under the circuit breakers and connection lifetime limits.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { once } from "node:events";
import { ClusterStats, HostStats } from "../stats/proxy-stats.js";
import { ClusterResources } from "./cluster-resources.js";
import { DEFAULT_CONNECTION_OPTIONS, type ConnectionOptions } from "./connection-options.js";
import { ConnectionPool } from "./connection-pool.js";
import type { PoolCallbacks, PoolCluster, PoolFailure } from "./host-pool.js";
import type { UpstreamConnection, UpstreamResponseHandler } from "./upstream-connection.js";
import { DEFAULT_THRESHOLDS, type CircuitBreakerThresholds } from "./circuit-breakers.js";

const ADDR = "127.0.7.10";

/** An HTTP/1.1 server that answers when `release()` is called (or at once with `auto`), counting connections. */
class SlowServer {
  readonly server: Server;
  connections = 0;
  open = 0;
  maxOpen = 0;
  private waiting: ServerResponse[] = [];
  auto = false;
  constructor() {
    this.server = createServer((_req, res) => {
      if (this.auto) res.end("ok");
      else this.waiting.push(res);
    });
    this.server.keepAliveTimeout = 10_000;
    this.server.on("connection", (s) => {
      this.connections++;
      this.open++;
      this.maxOpen = Math.max(this.maxOpen, this.open);
      s.on("close", () => { this.open--; });
    });
  }
  async listen(): Promise<number> {
    this.server.listen(0, ADDR);
    await once(this.server, "listening");
    return (this.server.address() as AddressInfo).port;
  }
  get waitingCount(): number { return this.waiting.length; }
  /** Answers the oldest waiting request. */
  release(): void { this.waiting.shift()?.end("ok"); }
  close(): void { this.server.closeAllConnections(); this.server.close(); }
}

/** A request in the pool: its outcome, and what it does when given a connection (counts max_requests like the router). */
class Req implements PoolCallbacks<UpstreamConnection> {
  conn: UpstreamConnection | undefined;
  failure: PoolFailure | undefined;
  constructor(readonly name: string, private readonly order: string[], private readonly resources: ClusterResources) {}
  onPoolReady(conn: UpstreamConnection): void {
    this.conn = conn;
    this.resources.requests.inc();
    this.order.push(this.name);
  }
  onPoolFailure(reason: PoolFailure): void { this.failure = reason; }
  /** Sends GET / on the connection; resolves when the response ended (the connection is then released). */
  exchange(): Promise<void> {
    const conn = this.conn!;
    return new Promise((resolve, reject) => {
      const h: UpstreamResponseHandler = {
        onResponseHead: () => false,
        onResponseData: () => {},
        onResponseEnd: () => { this.resources.requests.dec(); resolve(); },
        onReadComplete: () => {},
        onUpstreamReset: () => { this.resources.requests.dec(); reject(new Error("reset")); },
      };
      conn.begin(h, false);
      conn.socket.write("GET / HTTP/1.1\r\nhost: x\r\n\r\n");
      conn.requestDone();
    });
  }
}

function poolCluster(thresholds: Partial<CircuitBreakerThresholds>, connection: Partial<ConnectionOptions> = {}): PoolCluster & { stats: ClusterStats; resources: ClusterResources } {
  const resources = new ClusterResources();
  resources.setThresholds({ ...DEFAULT_THRESHOLDS, ...thresholds });
  return { stats: new ClusterStats(), resources, connection: { ...DEFAULT_CONNECTION_OPTIONS, ...connection } };
}

/** Runs `body` with a SlowServer (answering at once when `auto`) and a pool to it, closing both afterwards. */
async function withPool(
  thresholds: Partial<CircuitBreakerThresholds>,
  connection: Partial<ConnectionOptions>,
  auto: boolean,
  body: (t: { srv: SlowServer; c: ReturnType<typeof poolCluster>; pool: ConnectionPool }) => Promise<void>,
): Promise<void> {
  const srv = new SlowServer();
  srv.auto = auto;
  const port = await srv.listen();
  const c = poolCluster(thresholds, connection);
  const pool = new ConnectionPool(ADDR, port, c, new HostStats(), 1000);
  try {
    await body({ srv, c, pool });
  } finally {
    pool.close();
    srv.close();
  }
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test("max_connections 1, max_pending_requests 2: two requests queue and get the one connection in arrival order; the third overflows at once", async () => {
  await withPool({ maxConnections: 1, maxPendingRequests: 2 }, {}, false, async ({ srv, c, pool }) => {
    const order: string[] = [];
    const [a, b, x] = ["a", "b", "x"].map((n) => new Req(n, order, c.resources));
    pool.newStream(a);
    pool.newStream(b);
    pool.newStream(x);
    assert.equal(x.failure, "overflow", "no room in the pending queue");
    assert.equal(c.stats.upstream_rq_pending_overflow, 1);
    assert.equal(c.resources.pendingRequests.open, 1);
    await until(() => a.conn !== undefined, "a's connection");
    assert.equal(c.stats.upstream_rq_pending_active, 1, "b still waits");
    const first = a.exchange();
    await until(() => srv.waitingCount === 1, "server got the request");
    srv.release();
    await first;
    await until(() => b.conn !== undefined, "b's connection");
    assert.equal(b.conn, a.conn, "b reuses a's connection");
    const second = b.exchange();
    await until(() => srv.waitingCount === 1, "server got the second request");
    srv.release();
    await second;
    assert.deepEqual(order, ["a", "b"]);
    assert.equal(srv.connections, 1);
    assert.equal(c.stats.upstream_cx_total, 1);
    assert.ok(c.stats.upstream_cx_overflow >= 1, "the second pending request could not open a connection");
    assert.equal(c.stats.upstream_rq_pending_total, 2);
    assert.equal(c.stats.upstream_rq_pending_active, 0);
    assert.equal(c.resources.pendingRequests.current, 0);
    assert.equal(c.resources.requests.current, 0);
  });
});

test("a pending request whose downstream leaves is dropped from the queue (upstream_rq_cancelled); the next gets the connection", async () => {
  await withPool({ maxConnections: 1 }, {}, true, async ({ c, pool }) => {
    const order: string[] = [];
    const [a, b, d] = ["a", "b", "d"].map((n) => new Req(n, order, c.resources));
    pool.newStream(a);
    pool.newStream(b);
    pool.newStream(d);
    pool.cancel(b);
    assert.equal(c.stats.upstream_rq_cancelled, 1);
    assert.equal(c.resources.pendingRequests.current, 2);
    await until(() => a.conn !== undefined, "a's connection");
    await a.exchange();
    await until(() => d.conn !== undefined, "d's connection");
    await d.exchange();
    assert.deepEqual(order, ["a", "d"]);
    assert.equal(b.conn, undefined);
    assert.equal(c.resources.pendingRequests.current, 0);
  });
});

test("max_requests reached when a connection frees: the waiting request overflows instead of being sent", async () => {
  await withPool({ maxConnections: 1, maxRequests: 1 }, {}, true, async ({ c, pool }) => {
    const [a, b] = ["a", "b"].map((n) => new Req(n, [], c.resources));
    pool.newStream(a);
    pool.newStream(b);
    await until(() => a.conn !== undefined, "a's connection");
    c.resources.requests.inc(); // another host's request holds the last max_requests slot
    await a.exchange();
    await until(() => b.failure !== undefined, "b's outcome");
    assert.equal(b.failure, "overflow");
    assert.equal(c.stats.upstream_rq_pending_overflow, 1);
  });
});

test("max_requests_per_connection 2: the connection closes after its second request and the third opens a new one", async () => {
  await withPool({}, { maxRequestsPerConnection: 2 }, true, async ({ srv, c, pool }) => {
    for (const n of ["a", "b", "d"]) {
      const r = new Req(n, [], c.resources);
      pool.newStream(r);
      await until(() => r.conn !== undefined, `${n}'s connection`);
      await r.exchange();
    }
    await until(() => srv.connections === 2, "a second connection");
    assert.equal(c.stats.upstream_cx_max_requests, 1);
    assert.equal(c.stats.upstream_cx_total, 2);
  });
});

test("idle_timeout closes a connection left idle (upstream_cx_idle_timeout); the connections breaker slot is given back", async () => {
  await withPool({}, { idleTimeoutMs: 100 }, true, async ({ srv, c, pool }) => {
    const r = new Req("a", [], c.resources);
    pool.newStream(r);
    await until(() => r.conn !== undefined, "a connection");
    await r.exchange();
    assert.equal(c.resources.connections.current, 1);
    await until(() => c.stats.upstream_cx_idle_timeout === 1, "the idle timeout");
    await until(() => srv.open === 0, "the server to see the close");
    assert.equal(c.stats.upstream_cx_active, 0);
    assert.equal(c.resources.connections.current, 0);
  });
});

test("max_connection_duration drains a busy connection after its exchange (upstream_cx_max_duration_reached)", async () => {
  await withPool({}, { maxConnectionDurationMs: 50 }, false, async ({ srv, c, pool }) => {
    const r = new Req("a", [], c.resources);
    pool.newStream(r);
    await until(() => r.conn !== undefined, "a connection");
    const done = r.exchange();
    await until(() => c.stats.upstream_cx_max_duration_reached === 1 && srv.waitingCount === 1, "the duration limit");
    assert.equal(srv.open, 1, "the busy connection stays until its response");
    srv.release();
    await done;
    await until(() => srv.open === 0, "the drained connection to close");
  });
});

test("a connect failure fails every pending request (Envoy purgePendingStreams, upstream_rq_pending_failure_eject)", async () => {
  const c = poolCluster({ maxConnections: 1 });
  const pool = new ConnectionPool(ADDR, 1, c, new HostStats(), 1000);
  const [a, b] = ["a", "b"].map((n) => new Req(n, [], c.resources));
  pool.newStream(a);
  pool.newStream(b);
  await until(() => a.failure !== undefined && b.failure !== undefined, "both failures");
  assert.equal(a.failure, "connect");
  assert.equal(b.failure, "connect");
  assert.equal(c.stats.upstream_cx_connect_fail, 1);
  assert.equal(c.stats.upstream_rq_pending_failure_eject, 2);
  assert.equal(c.resources.pendingRequests.current, 0);
  assert.equal(c.resources.connections.current, 0);
  pool.close();
});
