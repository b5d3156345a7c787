// Tests for the load generator: pacing, the jason share, and how answers are tallied.

import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { LoadGenerator, reviewsVersionOf } from "./load-generator.js";

test("reviewsVersionOf takes reviews.version from a 200, and an error otherwise", () => {
  assert.deepEqual(reviewsVersionOf(200, JSON.stringify({ reviews: { version: "v3" } })), { version: "v3" });
  assert.deepEqual(reviewsVersionOf(200, JSON.stringify({ reviews: { error: "Sorry, reviews are currently unavailable" } })), {
    error: "Sorry, reviews are currently unavailable",
  });
  assert.deepEqual(reviewsVersionOf(503, "no healthy upstream"), { error: "productpage answered 503: no healthy upstream" });
  assert.match(reviewsVersionOf(200, "<html>").error ?? "", /non-JSON/);
});

test("200 req/s for 1.5 s: ~300 requests, every 10th as end-user jason, versions and errors tallied as served", async () => {
  // A stand-in productpage on 127.0.0.31: jason → v2; others cycle v1, v1, v3, 503.
  let n = 0;
  const hosts = new Set<string>();
  const server = http.createServer((req, res) => {
    hosts.add(req.headers.host ?? "");
    if (req.headers["end-user"] === "jason") return res.end(JSON.stringify({ reviews: { version: "v2" } }));
    const k = n++ % 4;
    if (k === 3) {
      res.statusCode = 503;
      return res.end("no healthy upstream");
    }
    res.end(JSON.stringify({ reviews: { version: k === 2 ? "v3" : "v1" } }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.31", r));
  const port = (server.address() as AddressInfo).port;
  const load = new LoadGenerator({ target: `127.0.0.31:${port}`, rate: 200, jasonShare: 0.1 });
  try {
    load.start();
    await new Promise((r) => setTimeout(r, 1500));
    await load.stop();
    const t = load.takeInterval();
    const total = t.anonymous.requests + t.jason.requests;
    assert.ok(total >= 270 && total <= 305, `total ${total}`);
    assert.equal(t.jason.requests, Math.floor(total / 10));
    assert.equal(t.jason.count("v2"), t.jason.requests);
    assert.equal(t.jason.errors, 0);
    const a = t.anonymous;
    assert.equal(a.count("v1") + a.count("v3") + a.errors, a.requests);
    assert.equal(a.errors, Math.floor(a.requests / 4));
    assert.ok(Math.abs(a.count("v1") - 2 * a.count("v3")) <= 2, `v1 ${a.count("v1")} v3 ${a.count("v3")}`);
    assert.equal(a.lastError, "productpage answered 503: no healthy upstream");
    assert.equal(t.skipped, 0);
    assert.deepEqual([...hosts], ["productpage:9080"]);
    assert.equal(load.takeInterval().anonymous.requests, 0, "takeInterval starts a fresh tally");
  } finally {
    await new Promise((r) => server.close(r));
  }
});

test("a target that never answers: requests beyond maxInFlight are skipped, and stop() gives up after the timeout", async () => {
  const server = http.createServer(() => undefined);
  await new Promise<void>((r) => server.listen(0, "127.0.0.32", r));
  const port = (server.address() as AddressInfo).port;
  const load = new LoadGenerator({ target: `127.0.0.32:${port}`, rate: 500, maxInFlight: 5, timeoutMs: 300 });
  try {
    load.start();
    await new Promise((r) => setTimeout(r, 200));
    await load.stop();
    const t = load.takeInterval();
    assert.ok(t.skipped > 50, `skipped ${t.skipped}`);
    assert.equal(t.anonymous.requests + t.jason.requests, 5, "the 5 in flight time out and count as errors");
    assert.equal(t.anonymous.errors + t.jason.errors, 5);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});
