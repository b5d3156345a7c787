// Tests of the HTTP/1.1 ⇄ HTTP/2 header translation used by the HTTP/2 upstream request and downstream stream.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { RequestHead } from "../http/request-head.js";
import { h2RequestHead } from "../http2/h2-active-stream.js";
import { flattenH2Headers, h2RequestHeaders } from "./h2-upstream-request.js";

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
