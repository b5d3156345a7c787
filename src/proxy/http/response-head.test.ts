// Tests of the HTTP/1.x response head parser's framing decisions.

import { test } from "node:test";
import assert from "node:assert/strict";
import { parseResponseHead } from "./response-head.js";

function parse(raw: string) {
  const buf = Buffer.from(raw, "latin1");
  return parseResponseHead(buf, 0, buf.indexOf("\r\n\r\n") + 4);
}

test("status, headers and Content-Length framing", () => {
  const h = parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\n")!;
  assert.equal(h.status, 200);
  assert.equal(h.contentLength, 5);
  assert.deepEqual(h.headers, ["content-length", "5", "x-a", "b"]);
  assert.equal(h.keepAlive, true);
});

test("chunked wins over Content-Length; Connection: close and HTTP/1.0 turn keep-alive off", () => {
  const h = parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n")!;
  assert.equal(h.chunked, true);
  assert.equal(h.contentLength, -1);
  assert.equal(parse("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")!.keepAlive, false);
  assert.equal(parse("HTTP/1.0 200 OK\r\n\r\n")!.keepAlive, false);
  assert.equal(parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n")!.keepAlive, true);
});

test("status line without reason phrase is accepted; garbage is not", () => {
  assert.equal(parse("HTTP/1.1 404\r\n\r\n")!.status, 404);
  assert.equal(parse("HTTP/1.1 20 OK\r\n\r\n"), undefined);
  assert.equal(parse("ICY 200 OK\r\n\r\n"), undefined);
  assert.equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"), undefined);
});
