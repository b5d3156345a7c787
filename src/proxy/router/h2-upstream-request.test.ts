// Tests of the HTTP/2 upstream request: header translation (shared with the downstream stream) and waiting in the pool under the circuit breakers.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type ServerHttp2Stream } from "node:http2";
import type { AddressInfo } from "node:net";
import type { RequestHead } from "../http/request-head.js";
import type { ResponseHead } from "../http/response-head.js";
import { h2RequestHead } from "../http2/h2-active-stream.js";
import { DEFAULT_THRESHOLDS } from "../upstream/circuit-breakers.js";
import { DEFAULT_CONNECTION_OPTIONS } from "../upstream/connection-options.js";
import { staticCluster } from "../upstream/static-cluster.js";
import { flattenH2Headers, h2RequestHeaders, H2UpstreamRequest } from "./h2-upstream-request.js";
import type { ClusterAction } from "./route-entry.js";
import type { UpstreamRequestStream } from "./upstream-request.js";

const HEAD: RequestHead = {
  method: "POST", path: "/pkg.Svc/Call", versionMinor: 1, host: "svc:7070", contentLength: -1, chunked: true, keepAlive: true, expectContinue: false,
  headers: ["host", "svc:7070", "connection", "keep-alive, te", "keep-alive", "5", "te", "trailers", "transfer-encoding", "chunked",
    "upgrade", "h2c", "proxy-connection", "x", "content-type", "application/grpc", "x-a", "1", "x-a", "2"],
};

test("h2RequestHeaders drops connection-specific fields, keeps te: trailers, and turns host into :authority", () => {
  assert.deepEqual(h2RequestHeaders(HEAD), {
    ":method": "POST", ":path": "/pkg.Svc/Call", ":scheme": "http", ":authority": "svc:7070",
    te: "trailers", "content-type": "application/grpc", "x-a": ["1", "2"],
  });
  const gzip = h2RequestHeaders({ ...HEAD, headers: ["host", "h", "te", "gzip"] });
  assert.equal(gzip.te, undefined);
  assert.equal(gzip[":authority"], "h");
});

test("flattenH2Headers lists regular fields and repeats multi-valued ones, without pseudo-headers", () => {
  assert.deepEqual(flattenH2Headers({ ":status": "200", "content-type": "a/b", "set-cookie": ["a=1", "b=2"] }), ["content-type", "a/b", "set-cookie", "a=1", "set-cookie", "b=2"]);
});

test("h2RequestHead takes :authority as host (replacing a host field) and reads content-length", () => {
  const head = h2RequestHead({ ":method": "PUT", ":path": "/p", ":authority": "a:1", ":scheme": "http", host: "other", "content-length": "12" });
  assert.equal(head.method, "PUT");
  assert.equal(head.path, "/p");
  assert.equal(head.host, "a:1");
  assert.equal(head.contentLength, 12);
  assert.deepEqual(head.headers, ["host", "a:1", "content-length", "12"]);
  const noHost = h2RequestHead({ ":method": "GET", ":path": "/", ":authority": "b" });
  assert.deepEqual(noHost.headers, ["host", "b"]);
  assert.equal(noHost.contentLength, -1);
});

/** A downstream that records how its request ended. */
class Outcome implements Partial<UpstreamRequestStream> {
  readonly head: RequestHead = { method: "GET", path: "/", versionMinor: 1, headers: ["host", "svc"], host: "svc", contentLength: -1, chunked: false, keepAlive: true, expectContinue: false };
  readonly requestEnded = true;
  status = 0;
  flag = 0;
  readonly done: Promise<void>;
  private finish!: () => void;
  constructor() { this.done = new Promise((r) => (this.finish = r)); }
  takePendingBody(): null { return null; }
  setUpstream(): void {}
  onResponseHead(h: ResponseHead): boolean { this.status = h.status; return true; }
  onResponseData(): void {}
  flushResponse(): void {}
  onResponseEnd(): void { this.finish(); }
  upstreamFailure(status: number, _body: string, flag: number): void { this.status = status; this.flag = flag; this.finish(); }
}

test("max_requests 1, one stream per connection, max_connections 1: a second request waits in the pool and is sent when the first ends (not 503 UO)", async () => {
  const held: ServerHttp2Stream[] = [];
  const srv = createServer();
  srv.on("stream", (stream) => held.push(stream));
  await new Promise<void>((r) => srv.listen(0, "127.0.7.30", r));
  const port = (srv.address() as AddressInfo).port;
  const c = staticCluster("h2q", [["127.0.7.30", port]], {
    protocol: "http2",
    circuitBreakers: { ...DEFAULT_THRESHOLDS, maxConnections: 1, maxRequests: 1 },
    connection: { ...DEFAULT_CONNECTION_OPTIONS, maxConcurrentStreams: 1 },
  });
  const action = { timeoutMs: 0 } as ClusterAction;
  try {
    const [a, b] = [new Outcome(), new Outcome()];
    new H2UpstreamRequest(a as unknown as UpstreamRequestStream, c, action, false).start();
    new H2UpstreamRequest(b as unknown as UpstreamRequestStream, c, action, false).start();
    assert.equal(c.stats.upstream_rq_pending_active, 1, "b waits for a stream slot");
    while (held.length < 1) await new Promise((r) => setTimeout(r, 5));
    held[0].respond({ ":status": 200 });
    held[0].end("a");
    await a.done;
    // b's stream opens only once a's max_requests slot is free (UpstreamAttemptBase.cleanup untracks before releasing).
    let bEnded = false;
    void b.done.then(() => { bEnded = true; });
    while (held.length < 2 && !bEnded) await new Promise((r) => setTimeout(r, 5));
    assert.equal(b.flag, 0, "b was not refused");
    held[1].respond({ ":status": 200 });
    held[1].end("b");
    await b.done;
    assert.deepEqual([a.status, b.status, b.flag], [200, 200, 0]);
    assert.equal(c.stats.upstream_rq_pending_overflow, 0);
    assert.equal(c.stats.upstream_rq_pending_total, 2, "a waited for the connection, b for a slot");
    assert.equal(c.state.resources.requests.current, 0);
    assert.equal(c.state.resources.pendingRequests.current, 0);
  } finally {
    for (const h of c.hosts) h.close();
    srv.close();
  }
});
