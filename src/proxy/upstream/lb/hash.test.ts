// Tests of hash32 (MurmurHash3 x86_32 reference vectors) and the hash combination.

import { test } from "node:test";
import assert from "node:assert/strict";
import { combineHash, hash32, hashHex64 } from "./hash.js";

test("hash32 matches MurmurHash3_x86_32 reference vectors", () => {
  assert.equal(hash32(""), 0);
  assert.equal(hash32("", 1), 0x514e28b7);
  assert.equal(hash32("hello"), 0x248bfa47);
  assert.equal(hash32("Hello, world!", 1234), 0xfaf6cdb3);
  assert.equal(hash32("The quick brown fox jumps over the lazy dog"), 0x2e4ff723);
});

test("hash32 hashes the UTF-8 bytes: a non-ASCII string equals its byte-wise hash", () => {
  // "é" is C3 A9 in UTF-8; "€" is E2 82 AC; "😀" is F0 9F 98 80; a lone surrogate becomes EF BF BD.
  for (const s of ["é", "é€😀x", "abcdé", "a\ud800b"]) assert.equal(hash32(s, 7), bytesHash(Buffer.from(s, "utf8"), 7), s);
});

/** A straightforward MurmurHash3_x86_32 over a byte buffer, as the reference. */
function bytesHash(bytes: Buffer, seed: number): number {
  let h = seed;
  const n = bytes.length;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    let k = bytes.readUInt32LE(i);
    k = Math.imul(k, 0xcc9e2d51); k = (k << 15) | (k >>> 17); k = Math.imul(k, 0x1b873593);
    h ^= k; h = (h << 13) | (h >>> 19); h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  for (let j = n - 1; j >= i; j--) k = (k << 8) | bytes[j];
  if (n > i) { k = Math.imul(k, 0xcc9e2d51); k = (k << 15) | (k >>> 17); h ^= Math.imul(k, 0x1b873593); }
  h ^= n; h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b); h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35); h ^= h >>> 16;
  return h >>> 0;
}

test("combineHash rotates the old value so duplicate policies do not cancel out", () => {
  const a = hash32("a");
  assert.notEqual(combineHash(a, a), 0);
  assert.equal(combineHash(0x80000000, 0), 1);
  assert.equal(combineHash(1, 1), 3);
});

test("hashHex64 gives 16 hex digits, stable per input", () => {
  assert.match(hashHex64("1.2.3.4:5"), /^[0-9a-f]{16}$/);
  assert.equal(hashHex64("x"), hashHex64("x"));
  assert.notEqual(hashHex64("x"), hashHex64("y"));
});
