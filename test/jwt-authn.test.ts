// End to end: a real `weft proxy` fed an Envoy JwtAuthentication config by a scripted ADS server, real tokens, a real JWKS server.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from "jose";
import { CLUSTER_TYPE, ENDPOINT_TYPE, JWT_AUTHN_TYPE, LISTENER_TYPE, ROUTE_TYPE } from "../src/xds/type-urls.js";
import { outboundListener, routeConfig, staticCluster, virtualOutboundListener } from "../src/proxy/testing/envoy-fixtures.js";
import { ScriptedAds } from "./support/scripted-ads.js";
import { runWeft, serverPort, closeServer, httpGet, waitFor, sleep, type WeftProcess } from "./support/mesh-processes.js";

const PROXY_IP = "127.0.11.50";
const APP_IP = "127.0.11.51";
const JWKS_IP = "127.0.11.52";
const VIA = `${PROXY_IP}:15001`;
const ISSUER = "https://issuer.weft.test";
const FLAKY_ISSUER = "https://flaky.weft.test";
const FETCH_TIMEOUT_MS = 500;

interface Key { privateKey: CryptoKey; jwk: JWK }

async function key(alg: string, kid: string): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg } };
}

function sign(k: Key, claims: Record<string, unknown> = {}, kid = k.jwk.kid): Promise<string> {
  return new SignJWT({ iss: ISSUER, sub: "alice", aud: "weft", exp: Math.floor(Date.now() / 1000) + 600, ...claims })
    .setProtectedHeader({ alg: k.jwk.alg!, kid }).sign(k.privateKey);
}

/** The JWKS endpoint: `/good` serves `goodKeys`; `/flaky` answers per `flakyMode`. Counts fetches per path. */
let goodKeys: JWK[] = [];
let flakyMode: "ok" | "hang" | "garbage" = "ok";
const fetches = new Map<string, number>();
let k1: Key, k2: Key, other: Key;
let ads: ScriptedAds;
let proxy: WeftProcess;
const servers: Server[] = [];

function listen(s: Server, ip: string): Promise<number> {
  servers.push(s);
  return new Promise((r) => s.listen(0, ip, () => r(serverPort(s))));
}

before(async () => {
  k1 = await key("RS256", "k1");
  k2 = await key("ES256", "k2");
  other = await key("RS256", "k1");
  goodKeys = [k1.jwk];
  const jwksPort = await listen(createServer((req, res) => {
    req.resume();
    fetches.set(req.url!, (fetches.get(req.url!) ?? 0) + 1);
    if (req.url === "/flaky" && flakyMode === "hang") return;
    if (req.url === "/flaky" && flakyMode === "garbage") { res.end("{\"keys\": 42}"); return; }
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ keys: req.url === "/flaky" ? [k1.jwk] : goodKeys }));
  }), JWKS_IP);
  // The app answers with the request headers it received.
  const appPort = await listen(createServer((req, res) => { req.resume(); res.end(JSON.stringify(req.headers)); }), APP_IP);

  const remote = (path: string) => ({
    http_uri: { uri: `http://${JWKS_IP}:${jwksPort}${path}`, cluster: "outbound|80||jwks.weft.test", timeout: { nanos: FETCH_TIMEOUT_MS * 1e6 } },
    cache_duration: { seconds: 300 },
  });
  const jwtAuthn = {
    "@type": JWT_AUTHN_TYPE,
    providers: {
      "origins-0": {
        issuer: ISSUER, audiences: ["weft"], remote_jwks: remote("/good"), payload_in_metadata: "payload",
        forward_payload_header: "x-jwt-payload", claim_to_headers: [{ header_name: "x-jwt-sub", claim_name: "sub" }],
      },
      "origins-1": { issuer: FLAKY_ISSUER, remote_jwks: remote("/flaky"), from_headers: [{ name: "x-flaky-token" }], payload_in_metadata: "payload" },
    },
    rules: [
      { match: { prefix: "/flaky" }, requires: { requires_any: { requirements: [{ provider_name: "origins-1" }, { allow_missing: {} }] } } },
      // Istio's policy_applier shape: the providers or nothing (authorization decides about anonymous requests).
      { match: { prefix: "/" }, requires: { requires_any: { requirements: [{ provider_name: "origins-0" }, { allow_missing: {} }] } } },
    ],
    bypass_cors_preflight: true,
  };
  ads = new ScriptedAds();
  await ads.listen("127.0.11.1");
  ads.set(CLUSTER_TYPE, "v1", [staticCluster("app", APP_IP, appPort)]);
  ads.set(ENDPOINT_TYPE, "v1", []);
  ads.set(LISTENER_TYPE, "v1", [virtualOutboundListener(), outboundListener(9080, [{ name: "envoy.filters.http.jwt_authn", typed_config: jwtAuthn }])]);
  ads.set(ROUTE_TYPE, "v1", [routeConfig("9080", [{ name: "app", domains: ["app:9080"], routes: [{ match: { prefix: "/" }, route: { cluster: "app" } }] }])]);
  proxy = runWeft("proxy", ["proxy", "--xds", `127.0.11.1:${ads.port}`, "--xds-protocol", "sotw", "--ip", PROXY_IP, "--workload", "client", "--labels", "app=client"]);
  await waitFor(async () => (await get("/")).status === 200, 10_000, () => proxy.stderr);
});

after(async () => {
  await proxy?.stop();
  ads?.close();
  for (const s of servers) await closeServer(s);
});

function get(path: string, headers: Record<string, string> = {}) {
  return httpGet(`http://app:9080${path}`, { via: VIA, headers });
}

async function counter(name: string): Promise<number> {
  const text = (await httpGet(`http://${PROXY_IP}:15000/stats/prometheus`)).body;
  const m = new RegExp(`^envoy_http_jwt_authn_${name}\\{http_conn_manager_prefix="outbound_0\\.0\\.0\\.0_9080"\\} (\\d+)$`, "m").exec(text);
  return m ? Number(m[1]) : NaN;
}

test("a valid token reaches the app with the payload and sub headers and without the token", async () => {
  const token = await sign(k1);
  const res = await get("/hello", { authorization: `Bearer ${token}` });
  assert.equal(res.status, 200, res.body);
  const seen = JSON.parse(res.body) as Record<string, string>;
  assert.equal(seen["x-jwt-sub"], "alice");
  assert.equal(seen["x-jwt-payload"], token.split(".")[1]);
  assert.equal(seen.authorization, undefined);
});

test("a request without a token passes authentication; a spoofed sub header does not reach the app", async () => {
  const res = await get("/", { "x-jwt-sub": "root" });
  assert.equal(res.status, 200);
  assert.equal((JSON.parse(res.body) as Record<string, string>)["x-jwt-sub"], undefined);
});

test("each invalid token is refused with Envoy's status, body and challenge, and counted", async () => {
  const now = Math.floor(Date.now() / 1000);
  const good = await sign(k1);
  const none = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${good.split(".")[1]}.`;
  const cases: Array<[string, string, number, string]> = [
    ["bad signature", await sign(other), 401, "Jwt verification fails"],
    ["expired", await sign(k1, { exp: now - 300 }), 401, "Jwt is expired"],
    ["not yet valid", await sign(k1, { nbf: now + 300 }), 401, "Jwt not yet valid"],
    ["wrong issuer", await sign(k1, { iss: "https://evil.test" }), 401, "Jwt issuer is not configured"],
    ["wrong audience", await sign(k1, { aud: "someone-else" }), 403, "Audiences in Jwt are not allowed"],
    ["unknown kid", await sign(k1, {}, "k-unknown"), 401, "Jwks doesn't have key to match kid or alg from Jwt"],
    ["alg none", none, 401, "Jwt header [alg] is not supported"],
    ["a 40 KB JWT header", `${Buffer.from(JSON.stringify({ alg: "RS256", kid: "k1", x: "y".repeat(40_000) })).toString("base64url")}.${good.split(".")[1]}.AA`, 401, "Jwt verification fails"],
  ];
  const denied = await counter("denied");
  for (const [name, token, status, body] of cases) {
    const res = await get("/path?q=1", { authorization: `Bearer ${token}` });
    assert.equal(res.status, status, `${name}: ${res.body}`);
    assert.equal(res.body, body, name);
    assert.equal(res.headers["www-authenticate"], 'Bearer realm="http://app:9080/path?q=1", error="invalid_token"', name);
  }
  assert.equal(await counter("denied"), denied + cases.length);
  // A 64 KB token is over Envoy's default max_request_headers_kb (60): the codec answers 431 before any filter runs.
  const huge = await get("/", { authorization: `Bearer ${"a".repeat(64 * 1024)}.b.c` });
  assert.equal(huge.status, 431);
  assert.equal((await get("/")).status, 200, "the proxy carries on");
});

test("the JWKS is fetched once for many concurrent requests and then served from the cache", async () => {
  const token = await sign(k1);
  const before = fetches.get("/good") ?? 0;
  const results = await Promise.all(Array.from({ length: 30 }, () => get("/", { authorization: `Bearer ${token}` })));
  assert.ok(results.every((r) => r.status === 200));
  assert.ok(before <= 2, `fetched ${before} times so far (startup + at most one kid refetch)`);
  assert.equal(fetches.get("/good"), before, "cached: no new fetch");
  assert.ok(await counter("jwks_fetch_success") >= 1);
});

test("a rotated key (unknown kid) makes the proxy fetch the JWKS again once, then the new token verifies", async () => {
  goodKeys = [k1.jwk, k2.jwk];
  await sleep(1_100); // the kid refetch interval since the last fetch
  const before = fetches.get("/good") ?? 0;
  const res = await get("/", { authorization: `Bearer ${await sign(k2)}` });
  assert.equal(res.status, 200, res.body);
  assert.equal(fetches.get("/good"), before + 1);
});

test("a JWKS server that hangs or returns garbage fails the request within the fetch timeout; it recovers", async () => {
  const token = await sign(k1, { iss: FLAKY_ISSUER });
  const failed = await counter("jwks_fetch_failed");
  flakyMode = "hang";
  const t0 = performance.now();
  const hung = await get("/flaky", { "x-flaky-token": token });
  const took = performance.now() - t0;
  assert.equal(hung.status, 401);
  assert.equal(hung.body, "Jwks remote fetch is failed");
  assert.ok(took < FETCH_TIMEOUT_MS + 400, `answered after ${took} ms (one fetch timeout)`);
  flakyMode = "garbage";
  assert.equal((await get("/flaky", { "x-flaky-token": token })).body, "Jwks remote fetch is failed");
  assert.equal((await get("/flaky")).status, 200, "no token: no fetch needed");
  assert.equal(await counter("jwks_fetch_failed"), failed + 2);
  flakyMode = "ok";
  assert.equal((await get("/flaky", { "x-flaky-token": token })).status, 200);
});

test("a JwtAuthentication naming an unknown provider is NACKed and the proxy keeps verifying with the config it has", async () => {
  const bad = { "@type": JWT_AUTHN_TYPE, providers: {}, rules: [{ match: { prefix: "/" }, requires: { provider_name: "ghost" } }] };
  ads.set(LISTENER_TYPE, "v2", [virtualOutboundListener(), outboundListener(9080, [{ name: "envoy.filters.http.jwt_authn", typed_config: bad }])]);
  const nonce = ads.send(LISTENER_TYPE);
  await waitFor(() => ads.reply(nonce) !== undefined, 5_000);
  assert.match(ads.reply(nonce)!.error_detail?.message ?? "", /Required provider \['ghost'\] is not configured/);
  assert.equal((await get("/", { authorization: `Bearer ${await sign(k1)}` })).status, 200);
  assert.equal((await get("/", { authorization: `Bearer ${await sign(other)}` })).status, 401);
});
