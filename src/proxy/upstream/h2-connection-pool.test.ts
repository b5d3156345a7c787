// Tests of the per-host HTTP/2 pool against a real node:http2 server: stream limits, the pending queue, GOAWAY, connection stats.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Http2Server, type ServerHttp2Session } from "node:http2";
import type { AddressInfo } from "node:net";
import { ClusterStats, HostStats } from "../stats/proxy-stats.js";
import { H2ConnectionPool, type H2Connection } from "./h2-connection-pool.js";
import { DEFAULT_THRESHOLDS, type CircuitBreakerThresholds } from "./circuit-breakers.js";
import { standalonePoolCluster, type PoolCallbacks, type PoolCluster, type PoolFailure } from "./host-pool.js";

async function server(maxConcurrentStreams: number): Promise<{ srv: Http2Server; port: number; sessions: ServerHttp2Session[] }> {
  const sessions: ServerHttp2Session[] = [];
  const srv = createServer({ settings: { maxConcurrentStreams } });
  srv.on("session", (s) => sessions.push(s));
  srv.on("stream", (stream) => { stream.respond({ ":status": 200 }); stream.end("ok"); });
  await new Promise<void>((r) => srv.listen(0, "127.0.3.91", r));
  return { srv, port: (srv.address() as AddressInfo).port, sessions };
}

/** A request in the pool: its outcome; it counts max_requests like the router's attempt (track/cleanup). */
class Req implements PoolCallbacks<H2Connection> {
  conn: H2Connection | undefined;
  failure: PoolFailure | undefined;
  constructor(private readonly cluster: PoolCluster, private readonly order: string[] = [], readonly name = "") {}
  onPoolReady(conn: H2Connection): void {
    this.conn = conn;
    this.cluster.resources.requests.inc();
    this.order.push(this.name);
  }
  onPoolFailure(reason: PoolFailure): void { this.failure = reason; }
  /** The stream ended: its max_requests slot, then its stream slot, are given back (UpstreamAttemptBase.cleanup's order). */
  done(): void {
    this.cluster.resources.requests.dec();
    this.conn!.release();
  }
}

/** newStream() that must yield a connection at once. */
function take(pool: H2ConnectionPool, cluster: PoolCluster): H2Connection {
  const r = new Req(cluster);
  pool.newStream(r);
  assert.ok(r.conn !== undefined, `newStream did not attach: ${String(r.failure)}`);
  return r.conn;
}

/** A pool to `port` whose cluster has the given breaker thresholds (and optionally one stream per connection). */
function limitedPool(port: number, t: Partial<CircuitBreakerThresholds>, oneStream = false): { stats: ClusterStats; cluster: PoolCluster; pool: H2ConnectionPool } {
  const stats = new ClusterStats();
  const base = standalonePoolCluster(stats);
  // oneStream: http2_protocol_options.max_concurrent_streams 1.
  const cluster: PoolCluster = oneStream ? { ...base, connection: { ...base.connection, maxConcurrentStreams: 1 } } : base;
  cluster.resources.setThresholds({ ...DEFAULT_THRESHOLDS, ...t });
  return { stats, cluster, pool: new H2ConnectionPool("127.0.3.91", port, cluster, new HostStats(), 1000) };
}

function connected(c: H2Connection): Promise<void> {
  return c.connected ? Promise.resolve() : new Promise((r) => c.session.once("remoteSettings", () => r()));
}

test("a connection takes streams up to the peer's SETTINGS_MAX_CONCURRENT_STREAMS, then a second one opens", async () => {
  const { srv, port } = await server(2);
  const stats = new ClusterStats();
  const cluster = standalonePoolCluster(stats);
  const pool = new H2ConnectionPool("127.0.3.91", port, cluster, new HostStats(), 1000);
  try {
    const first = take(pool, cluster);
    await connected(first);
    first.release();
    const a = take(pool, cluster);
    const b = take(pool, cluster);
    const c = take(pool, cluster);
    assert.equal(a, first);
    assert.equal(b, first);
    assert.notEqual(c, first);
    assert.equal(stats.upstream_cx_total, 2);
    await connected(c);
    assert.equal(stats.upstream_cx_active, 2);
    b.release();
    assert.equal(take(pool, cluster), first, "a freed slot is reused");
  } finally {
    pool.close();
    srv.close();
  }
});

test("after the server's graceful close (GOAWAY) the connection takes no new streams and its close is counted", async () => {
  const { srv, port, sessions } = await server(100);
  const stats = new ClusterStats();
  const cluster = standalonePoolCluster(stats);
  const pool = new H2ConnectionPool("127.0.3.91", port, cluster, new HostStats(), 1000);
  try {
    const first = take(pool, cluster);
    await connected(first);
    first.release();
    const closed = new Promise((r) => first.session.once("close", r));
    const goaway = new Promise((r) => first.session.once("goaway", r));
    sessions[0].close();
    await goaway;
    const next = take(pool, cluster);
    assert.notEqual(next, first);
    await closed;
    await connected(next);
    assert.equal(stats.upstream_cx_total, 2);
    assert.equal(stats.upstream_cx_active, 1);
  } finally {
    pool.close();
    srv.close();
  }
});

test("a refused connection counts as a connect failure", async () => {
  const stats = new ClusterStats();
  const cluster = standalonePoolCluster(stats);
  const pool = new H2ConnectionPool("127.0.3.91", 1, cluster, new HostStats(), 1000);
  const c = take(pool, cluster);
  await new Promise((r) => c.session.once("close", r));
  assert.equal(stats.upstream_cx_connect_fail, 1);
  assert.equal(stats.upstream_cx_active, 0);
  pool.close();
});

test("at max_connections with every connection full, streams queue up to max_pending_requests (beyond: overflow) and take freed slots in arrival order", async () => {
  const { srv, port } = await server(1);
  const { stats, cluster, pool } = limitedPool(port, { maxConnections: 1, maxPendingRequests: 2 });
  try {
    const order: string[] = [];
    const first = new Req(cluster, order, "first");
    pool.newStream(first);
    await connected(first.conn!);
    const [a, b, c, x] = ["a", "b", "c", "x"].map((n) => new Req(cluster, order, n));
    pool.newStream(a);
    pool.newStream(b);
    pool.newStream(x);
    assert.equal(x.failure, "overflow", "no room in the pending queue");
    assert.equal(stats.upstream_rq_pending_overflow, 1);
    assert.equal(stats.upstream_cx_overflow, 2, "each queued stream found max_connections reached");
    assert.equal(stats.upstream_rq_pending_active, 2);
    assert.equal(cluster.resources.pendingRequests.open, 1, "rq_pending_open");
    assert.equal(pool.pendingCount, 2);
    pool.cancel(b);
    assert.equal(stats.upstream_rq_cancelled, 1);
    pool.newStream(c);
    first.done();
    assert.deepEqual(order, ["first", "a"], "the freed slot goes to the oldest pending stream at once");
    assert.equal(a.conn, first.conn);
    a.done();
    assert.deepEqual(order, ["first", "a", "c"]);
    c.done();
    assert.equal(b.conn, undefined, "a cancelled stream never gets a slot");
    assert.equal(stats.upstream_rq_pending_total, 4, "first (before its connection), a, b, c");
    assert.equal(stats.upstream_rq_pending_active, 0);
    assert.equal(cluster.resources.pendingRequests.current, 0);
    assert.equal(cluster.resources.requests.current, 0);
    assert.equal(stats.upstream_cx_total, 1);
  } finally {
    pool.close();
    srv.close();
  }
});

test("a pending stream whose turn comes at max_requests overflows; the next pending one still gets the slot later", async () => {
  const { srv, port } = await server(1);
  const { stats, cluster, pool } = limitedPool(port, { maxConnections: 1, maxRequests: 1 });
  try {
    const first = new Req(cluster);
    pool.newStream(first);
    await connected(first.conn!);
    const a = new Req(cluster);
    pool.newStream(a);
    assert.equal(pool.pendingCount, 1, "the connection is full (1 stream) and max_connections is 1: a waits");
    cluster.resources.requests.inc(); // a request on another host holds the only max_requests slot
    first.done();
    assert.equal(a.failure, "overflow", "max_requests reached when a's turn came");
    assert.equal(stats.upstream_rq_pending_overflow, 1);
    cluster.resources.requests.dec();
    const b = new Req(cluster);
    pool.newStream(b);
    assert.equal(b.conn, first.conn, "the slot is free again");
    cluster.resources.requests.inc();
    const d = new Req(cluster);
    b.done();
    pool.newStream(d);
    assert.equal(d.failure, "overflow", "a free slot but max_requests reached: Envoy attachStreamToClient");
    assert.equal(stats.upstream_rq_pending_overflow, 2);
    cluster.resources.requests.dec();
  } finally {
    pool.close();
    srv.close();
  }
});

test("pending streams fail when the pool closes, and a refused connection fails the queue with it", async () => {
  const { stats, cluster, pool } = limitedPool(1, { maxConnections: 1 }, true);
  cluster.resources.connections.inc(); // another host's connection holds max_connections
  const first = new Req(cluster);
  pool.newStream(first);
  assert.ok(first.conn !== undefined, "an empty pool always may open a connection");
  const queued = new Req(cluster);
  pool.newStream(queued);
  await new Promise((r) => first.conn!.session.once("close", r));
  assert.equal(queued.failure, "connect", "purged on connect failure");
  assert.equal(stats.upstream_rq_pending_failure_eject, 1);
  assert.equal(stats.upstream_rq_pending_active, 0);
  assert.equal(first.failure, undefined, "a stream on the connecting connection fails with its own stream, not from the queue");
  // The pool is empty again (an empty pool always may connect): fill its new connection, queue one more, close the pool.
  const second = new Req(cluster);
  pool.newStream(second);
  assert.ok(second.conn !== undefined);
  const late = new Req(cluster);
  pool.newStream(late);
  assert.equal(pool.pendingCount, 1);
  pool.close();
  assert.equal(late.failure, "connect", "no connection is coming for it");
  assert.equal(stats.upstream_rq_pending_active, 0);
  assert.equal(cluster.resources.pendingRequests.current, 0);
  cluster.resources.connections.dec();
});

test("max_requests_per_connection 2 drains a connection after its second stream; idle_timeout closes an idle one", async () => {
  const { srv, port } = await server(100);
  const stats = new ClusterStats();
  const cluster: PoolCluster = { ...standalonePoolCluster(stats), connection: { ...standalonePoolCluster(stats).connection, maxRequestsPerConnection: 2, idleTimeoutMs: 100 } };
  const pool = new H2ConnectionPool("127.0.3.91", port, cluster, new HostStats(), 1000);
  try {
    const first = take(pool, cluster);
    await connected(first);
    assert.equal(take(pool, cluster), first);
    assert.equal(stats.upstream_cx_max_requests, 1);
    const next = take(pool, cluster);
    assert.notEqual(next, first, "the drained connection takes no third stream");
    const closed = new Promise((r) => first.session.once("close", r));
    first.release();
    first.release();
    await closed;
    await connected(next);
    next.release();
    await new Promise((r) => next.session.once("close", r));
    assert.equal(stats.upstream_cx_idle_timeout, 1);
    assert.equal(stats.upstream_cx_active, 0);
  } finally {
    pool.close();
    srv.close();
  }
});
