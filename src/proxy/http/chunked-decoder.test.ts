// Table-driven tests of the chunked transfer-coding scanner, fed whole and byte by byte.

import { test } from "node:test";
import assert from "node:assert/strict";
import { ChunkedDecoder } from "./chunked-decoder.js";

/** Feeds `raw` in pieces of `step` bytes; returns [payload, bytes consumed, done] or "error". */
function run(raw: string, step: number): [string, number, boolean] | "error" {
  const buf = Buffer.from(raw, "latin1");
  const d = new ChunkedDecoder();
  let payload = "";
  for (let pos = 0; pos < buf.length; pos += step) {
    const end = Math.min(buf.length, pos + step);
    const r = d.feed(buf, pos, end, (b, s, e) => (payload += b.toString("latin1", s, e)));
    if (r < 0) return "error";
    if (d.done) return [payload, r, true];
  }
  return [payload, buf.length, d.done];
}

const CASES: Array<[string, string, [string, number, boolean] | "error"]> = [
  ["two chunks and the last chunk", "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", ["hello world", 26, true]],
  ["hex sizes, either case", "a\r\n0123456789\r\nA\r\n0123456789\r\n0\r\n\r\n", ["01234567890123456789", 35, true]],
  ["chunk extensions", "3;name=value\r\nabc\r\n0;x\r\n\r\n", ["abc", 26, true]],
  ["trailers", "1\r\na\r\n0\r\nX-Checksum: 1\r\nX-B: 2\r\n\r\n", ["a", 34, true]],
  ["stops at the end of the message (pipelined bytes follow)", "1\r\na\r\n0\r\n\r\nGET / HTTP/1.1\r\n", ["a", 11, true]],
  ["incomplete", "5\r\nhel", ["hel", 6, false]],
  ["non-hex size", "zz\r\n", "error"],
  ["empty size line", "\r\n", "error"],
  ["missing CRLF after data", "1\r\nab\r\n", "error"],
  ["bare LF after size", "1\na\r\n0\r\n\r\n", "error"],
  ["oversized chunk size", "fffffffffffffffff\r\n", "error"],
  ["negative size", "-1\r\n", "error"],
];

for (const [name, raw, want] of CASES) {
  for (const step of [1, 3, 1000]) {
    test(`chunked (${step}-byte reads): ${name}`, () => {
      assert.deepEqual(run(raw, step), want);
    });
  }
}
