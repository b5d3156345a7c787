// Table-driven tests of the HTTP/1.1 request head parser: valid forms, framing, and smuggling defences.

import { test } from "node:test";
import assert from "node:assert/strict";
import { parseRequestHead, type RequestHead } from "./request-head.js";

function parse(raw: string): RequestHead | number {
  const buf = Buffer.from(raw, "latin1");
  return parseRequestHead(buf, 0, buf.indexOf("\r\n\r\n") + 4);
}

const VALID: Array<[string, string, Partial<RequestHead>]> = [
  ["origin-form with Host", "GET /a?b=1 HTTP/1.1\r\nHost: Reviews:9080\r\n\r\n", { method: "GET", path: "/a?b=1", host: "Reviews:9080", keepAlive: true, versionMinor: 1, contentLength: -1, chunked: false }],
  ["header names lowercased, values trimmed", "GET / HTTP/1.1\r\nHOST: x\r\nX-Foo: \t bar \t\r\n\r\n", { headers: ["host", "x", "x-foo", "bar"] }],
  ["absolute-form rewrites path and Host", "GET http://reviews:9080/p?q HTTP/1.1\r\nHost: other\r\nProxy-Connection: keep-alive\r\n\r\n", { path: "/p?q", host: "reviews:9080", headers: ["host", "reviews:9080", "proxy-connection", "keep-alive"] }],
  ["absolute-form without path", "GET http://reviews HTTP/1.1\r\n\r\n", { path: "/", host: "reviews", headers: ["host", "reviews"] }],
  ["Connection: close", "GET / HTTP/1.1\r\nHost: x\r\nConnection: Keep-Alive, Close\r\n\r\n", { keepAlive: false }],
  ["HTTP/1.0 defaults to close", "GET / HTTP/1.0\r\n\r\n", { keepAlive: false, versionMinor: 0, host: "" }],
  ["HTTP/1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", { keepAlive: true }],
  ["Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 42\r\n\r\n", { contentLength: 42, chunked: false }],
  ["identical duplicate Content-Length collapses", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\n", { contentLength: 4, headers: ["host", "x", "content-length", "4"] }],
  ["chunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n", { chunked: true, contentLength: -1 }],
  ["Expect: 100-continue is consumed", "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n", { expectContinue: true, headers: ["host", "x", "content-length", "1"] }],
  ["empty header value", "GET / HTTP/1.1\r\nHost: x\r\nX-Empty:\r\n\r\n", { headers: ["host", "x", "x-empty", ""] }],
];

for (const [name, raw, want] of VALID) {
  test(`parses: ${name}`, () => {
    const head = parse(raw);
    assert.notEqual(typeof head, "number", `rejected with ${String(head)}`);
    for (const [k, v] of Object.entries(want)) assert.deepEqual((head as unknown as Record<string, unknown>)[k], v, k);
  });
}

const INVALID: Array<[string, string, number]> = [
  ["101 header fields (Envoy max_headers_count 100)", `GET / HTTP/1.1\r\nHost: x\r\n${"X-A: 1\r\n".repeat(100)}\r\n`, 431],
  ["Content-Length and Transfer-Encoding together (CL.TE smuggling)", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400],
  ["conflicting Content-Lengths", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 400],
  ["Content-Length list", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\n", 400],
  ["signed Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\n", 400],
  ["Transfer-Encoding other than chunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501],
  ["two Transfer-Encoding fields", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 501],
  ["space before colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400],
  ["obs-fold continuation line", "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  2\r\n\r\n", 400],
  ["bare LF in a header line", "GET / HTTP/1.1\r\nHost: x\nX-A: 1\r\n\r\n", 400],
  ["NUL in a value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", 400],
  ["missing Host on HTTP/1.1", "GET / HTTP/1.1\r\nX: y\r\n\r\n", 400],
  ["two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400],
  ["unknown version", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 400],
  ["lowercase version", "GET / http/1.1\r\nHost: x\r\n\r\n", 400],
  ["control byte in target", "GET /a\x7fb HTTP/1.1\r\nHost: x\r\n\r\n", 400],
  ["double space in request line", "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400],
  ["empty method", " / HTTP/1.1\r\nHost: x\r\n\r\n", 400],
  ["userinfo in absolute-form", "GET http://u@reviews/ HTTP/1.1\r\n\r\n", 400],
  ["non-http scheme", "GET ftp://reviews/ HTTP/1.1\r\n\r\n", 400],
];

for (const [name, raw, status] of INVALID) {
  test(`rejects with ${status}: ${name}`, () => {
    assert.equal(parse(raw), status);
  });
}

test("100 header fields are accepted", () => {
  assert.notEqual(typeof parse(`GET / HTTP/1.1\r\nHost: x\r\n${"X-A: 1\r\n".repeat(99)}\r\n`), "number");
});

test("an upgrade needs both Upgrade and Connection: upgrade, on HTTP/1.1", () => {
  const up = parse("GET /ws HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Upgrade\r\nUpgrade: WebSocket\r\n\r\n") as RequestHead;
  assert.equal(up.upgrade, "WebSocket");
  const lone = parse("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n") as RequestHead;
  assert.equal(lone.upgrade, "");
  const http10 = parse("GET /ws HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n") as RequestHead;
  assert.equal(http10.upgrade, "");
});

test("an h2c upgrade (curl --http2) is stripped and served as an ordinary request", () => {
  const h = parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n") as RequestHead;
  assert.equal(h.upgrade, "");
  assert.ok(!h.headers.includes("http2-settings"));
});
