// Tests of the per-host HTTP/2 pool against a real node:http2 server: stream limits, GOAWAY, connection stats.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Http2Server, type ServerHttp2Session } from "node:http2";
import type { AddressInfo } from "node:net";
import { ClusterStats, HostStats } from "../stats/proxy-stats.js";
import { H2ConnectionPool, type H2Connection } from "./h2-connection-pool.js";

async function server(maxConcurrentStreams: number): Promise<{ srv: Http2Server; port: number; sessions: ServerHttp2Session[] }> {
  const sessions: ServerHttp2Session[] = [];
  const srv = createServer({ settings: { maxConcurrentStreams } });
  srv.on("session", (s) => sessions.push(s));
  srv.on("stream", (stream) => { stream.respond({ ":status": 200 }); stream.end("ok"); });
  await new Promise<void>((r) => srv.listen(0, "127.0.3.91", r));
  return { srv, port: (srv.address() as AddressInfo).port, sessions };
}

function connected(c: H2Connection): Promise<void> {
  return c.connected ? Promise.resolve() : new Promise((r) => c.session.once("remoteSettings", () => r()));
}

test("a connection takes streams up to the peer's SETTINGS_MAX_CONCURRENT_STREAMS, then a second one opens", async () => {
  const { srv, port } = await server(2);
  const stats = new ClusterStats();
  const pool = new H2ConnectionPool("127.0.3.91", port, stats, new HostStats(), 1000);
  try {
    const first = pool.acquire()!;
    await connected(first);
    first.release();
    const a = pool.acquire()!;
    const b = pool.acquire()!;
    const c = pool.acquire()!;
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
  const pool = new H2ConnectionPool("127.0.3.91", port, stats, new HostStats(), 1000);
  try {
    const first = pool.acquire()!;
    await connected(first);
    first.release();
    const closed = new Promise((r) => first.session.once("close", r));
    const goaway = new Promise((r) => first.session.once("goaway", r));
    sessions[0].close();
    await goaway;
    const next = pool.acquire()!;
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
  const pool = new H2ConnectionPool("127.0.3.91", 1, stats, new HostStats(), 1000);
  const c = pool.acquire()!;
  await new Promise((r) => c.session.once("close", r));
  assert.equal(stats.upstream_cx_connect_fail, 1);
  assert.equal(stats.upstream_cx_active, 0);
  pool.close();
});
