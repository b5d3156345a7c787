import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair } from "jose";
import { Jwks } from "./jwks.js";
import { LocalJwksSource, RemoteJwksSource, type RemoteJwksOptions } from "./jwks-source.js";
import { JwtStatus } from "./jwt-status.js";

/** A JWKS endpoint whose answer the test changes: "ok", "garbage", "hang" or "500". */
async function jwksServer(ip: string): Promise<{ server: Server; uri: string; fetches: () => number; mode: (m: string) => void; close: () => Promise<void> }> {
  const { publicKey } = await generateKeyPair("ES256");
  const doc = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256" }] });
  let mode = "ok";
  let n = 0;
  const server = createServer((req, res) => {
    n++;
    req.resume();
    if (mode === "hang") return;
    if (mode === "500") { res.statusCode = 500; res.end("oops"); return; }
    // A slow answer so that concurrent requests overlap the fetch.
    setTimeout(() => res.end(mode === "garbage" ? "<html>not a jwks</html>" : doc), 30);
  });
  await new Promise<void>((r) => server.listen(0, ip, r));
  return {
    server, uri: `http://${ip}:${(server.address() as AddressInfo).port}/jwks.json`, fetches: () => n, mode: (m) => { mode = m; },
    close: async () => { server.closeAllConnections(); await new Promise((r) => server.close(r)); },
  };
}

const stats = () => ({ jwt_authn_jwks_fetch_success: 0, jwt_authn_jwks_fetch_failed: 0 });
const opts = (uri: string, o: Partial<RemoteJwksOptions> = {}): RemoteJwksOptions =>
  ({ uri, timeoutMs: 300, cacheMs: 60_000, asyncFetch: false, kidRefetchIntervalMs: 1_000, ...o });

test("concurrent requests share one fetch, and the keys are cached for cache_duration, then fetched again", async () => {
  const srv = await jwksServer("127.0.11.10");
  try {
    const s = stats();
    const source = new RemoteJwksSource(opts(srv.uri, { cacheMs: 300 }));
    const results = await Promise.all(Array.from({ length: 20 }, () => source.keys(s)));
    assert.ok(results.every((r) => r instanceof Jwks));
    assert.equal(srv.fetches(), 1);
    await source.keys(s);
    assert.equal(srv.fetches(), 1, "cached");
    await new Promise((r) => setTimeout(r, 350));
    await source.keys(s);
    assert.equal(srv.fetches(), 2, "expired: fetched again");
    assert.deepEqual(s, { jwt_authn_jwks_fetch_success: 2, jwt_authn_jwks_fetch_failed: 0 });
  } finally { await srv.close(); }
});

test("a JWKS server that hangs fails the fetch within http_uri.timeout; garbage and 500 fail too; it recovers", async () => {
  const srv = await jwksServer("127.0.11.11");
  try {
    const s = stats();
    const source = new RemoteJwksSource(opts(srv.uri));
    srv.mode("hang");
    const t0 = performance.now();
    assert.equal(await source.keys(s), JwtStatus.JwksFetchFail);
    const took = performance.now() - t0;
    assert.ok(took >= 250 && took < 1000, `took ${took} ms`);
    srv.mode("garbage");
    assert.equal(await source.keys(s), JwtStatus.JwksFetchFail);
    srv.mode("500");
    assert.equal(await source.keys(s), JwtStatus.JwksFetchFail);
    srv.mode("ok");
    assert.ok((await source.keys(s)) instanceof Jwks, "recovered");
    assert.deepEqual(s, { jwt_authn_jwks_fetch_success: 1, jwt_authn_jwks_fetch_failed: 3 });
  } finally { await srv.close(); }
});

test("an unknown kid refetches at most once per interval; async_fetch serves expired keys while refreshing", async () => {
  const srv = await jwksServer("127.0.11.12");
  try {
    const s = stats();
    const source = new RemoteJwksSource(opts(srv.uri, { kidRefetchIntervalMs: 200 }));
    await source.keys(s);
    assert.equal(source.refetch(s), undefined, "just fetched");
    await new Promise((r) => setTimeout(r, 250));
    assert.ok((await source.refetch(s)!) instanceof Jwks);
    assert.equal(srv.fetches(), 2);

    const async = new RemoteJwksSource(opts(srv.uri, { asyncFetch: true, cacheMs: 100 }));
    async.warm(s);
    assert.ok((await async.keys(s)) instanceof Jwks);
    assert.equal(srv.fetches(), 3, "warm fetched; the request joined it");
    await new Promise((r) => setTimeout(r, 150));
    srv.mode("hang");
    const t0 = performance.now();
    assert.ok((await async.keys(s)) instanceof Jwks, "stale keys while the refresh runs");
    assert.ok(performance.now() - t0 < 50);
  } finally { await srv.close(); }
});

test("inline keys: a bad set reads as JwksNoValidKeys and is never refetched", async () => {
  const bad = new LocalJwksSource('{"keys": [{"kty": "RSA"}]}', "t");
  assert.equal(await bad.keys(), JwtStatus.JwksNoValidKeys);
  assert.equal(bad.refetch(), undefined);
  assert.equal(Jwks.parse("[]"), undefined);
  assert.equal(Jwks.parse('{"keys": {}}'), undefined);
});
