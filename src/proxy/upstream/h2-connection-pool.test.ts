// Tests of the per-host HTTP/2 pool against a real node:http2 server: stream limits, GOAWAY, connection stats.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Http2Server, type ServerHttp2Session } from "node:http2";
import type { AddressInfo } from "node:net";
import { ClusterStats, HostStats } from "../stats/proxy-stats.js";
import { H2ConnectionPool, type H2Connection } from "./h2-connection-pool.js";
import { standalonePoolCluster, type PoolCluster } from "./host-pool.js";

async function server(maxConcurrentStreams: number): Promise<{ srv: Http2Server; port: number; sessions: ServerHttp2Session[] }> {
  const sessions: ServerHttp2Session[] = [];
  const srv = createServer({ settings: { maxConcurrentStreams } });
  srv.on("session", (s) => sessions.push(s));
  srv.on("stream", (stream) => { stream.respond({ ":status": 200 }); stream.end("ok"); });
  await new Promise<void>((r) => srv.listen(0, "127.0.3.91", r));
  return { srv, port: (srv.address() as AddressInfo).port, sessions };
}

/** acquire() that must yield a connection. */
function take(pool: H2ConnectionPool): H2Connection {
  const c = pool.acquire();
  assert.ok(typeof c !== "string", `acquire failed: ${String(c)}`);
  return c;
}

function connected(c: H2Connection): Promise<void> {
  return c.connected ? Promise.resolve() : new Promise((r) => c.session.once("remoteSettings", () => r()));
}

test("a connection takes streams up to the peer's SETTINGS_MAX_CONCURRENT_STREAMS, then a second one opens", async () => {
  const { srv, port } = await server(2);
  const stats = new ClusterStats();
  const pool = new H2ConnectionPool("127.0.3.91", port, standalonePoolCluster(stats), new HostStats(), 1000);
  try {
    const first = take(pool);
    await connected(first);
    first.release();
    const a = take(pool);
    const b = take(pool);
    const c = take(pool);
    assert.equal(a, first);
    assert.equal(b, first);
    assert.notEqual(c, first);
    assert.equal(stats.upstream_cx_total, 2);
    await connected(c);
    assert.equal(stats.upstream_cx_active, 2);
    b.release();
    assert.equal(pool.acquire(), first, "a freed slot is reused");
  } finally {
    pool.close();
    srv.close();
  }
});

test("after the server's graceful close (GOAWAY) the connection takes no new streams and its close is counted", async () => {
  const { srv, port, sessions } = await server(100);
  const stats = new ClusterStats();
  const pool = new H2ConnectionPool("127.0.3.91", port, standalonePoolCluster(stats), new HostStats(), 1000);
  try {
    const first = take(pool);
    await connected(first);
    first.release();
    const closed = new Promise((r) => first.session.once("close", r));
    const goaway = new Promise((r) => first.session.once("goaway", r));
    sessions[0].close();
    await goaway;
    const next = take(pool);
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
  const pool = new H2ConnectionPool("127.0.3.91", 1, standalonePoolCluster(stats), new HostStats(), 1000);
  const c = take(pool);
  await new Promise((r) => c.session.once("close", r));
  assert.equal(stats.upstream_cx_connect_fail, 1);
  assert.equal(stats.upstream_cx_active, 0);
  pool.close();
});

test("max_requests refuses a stream with overflow; at max_connections with every connection full a stream overflows too", async () => {
  const { srv, port } = await server(1);
  const stats = new ClusterStats();
  const cluster: PoolCluster = standalonePoolCluster(stats);
  cluster.resources.setThresholds({ maxConnections: 1, maxPendingRequests: 10, maxRequests: 1, maxRetries: 3, trackRemaining: false });
  const pool = new H2ConnectionPool("127.0.3.91", port, cluster, new HostStats(), 1000);
  try {
    const first = take(pool);
    await connected(first);
    cluster.resources.requests.inc(); // the attempt's track()
    assert.equal(pool.acquire(), "overflow", "max_requests 1 reached");
    assert.equal(stats.upstream_rq_pending_overflow, 1);
    cluster.resources.requests.dec();
    assert.equal(pool.acquire(), "overflow", "the one connection is full (1 stream) and max_connections is 1");
    assert.equal(stats.upstream_rq_pending_overflow, 2);
    assert.equal(stats.upstream_cx_overflow, 1);
    assert.equal(stats.upstream_cx_total, 1);
  } finally {
    pool.close();
    srv.close();
  }
});

test("max_requests_per_connection 2 drains a connection after its second stream; idle_timeout closes an idle one", async () => {
  const { srv, port } = await server(100);
  const stats = new ClusterStats();
  const cluster: PoolCluster = { ...standalonePoolCluster(stats), connection: { ...standalonePoolCluster(stats).connection, maxRequestsPerConnection: 2, idleTimeoutMs: 100 } };
  const pool = new H2ConnectionPool("127.0.3.91", port, cluster, new HostStats(), 1000);
  try {
    const first = take(pool);
    await connected(first);
    assert.equal(take(pool), first);
    assert.equal(stats.upstream_cx_max_requests, 1);
    const next = take(pool);
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
