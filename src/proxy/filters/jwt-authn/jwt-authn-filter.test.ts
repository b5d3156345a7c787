import { test } from "node:test";
import assert from "node:assert/strict";
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from "jose";
import { FilterStatus, type HttpFilterCallbacks } from "../http-filter.js";
import { StreamInfo } from "../../http/stream-info.js";
import type { RequestHead } from "../../http/request-head.js";
import { RouteEntry } from "../../router/route-entry.js";
import { HttpConnectionManagerStats } from "../../stats/proxy-stats.js";
import { compileJwtAuthnConfig } from "./jwt-authn-config.js";
import { JwtAuthnFilterFactory } from "./jwt-authn-filter.js";

const ISSUER = "https://issuer.weft.test";
const now = () => Math.floor(Date.now() / 1000);

interface Outcome { status: number; body: string; headers: string[]; head: RequestHead; info: StreamInfo }

function head(path: string, headers: string[] = []): RequestHead {
  return { method: "GET", path, versionMinor: 1, headers, host: "svc.test:8080", contentLength: -1, chunked: false, keepAlive: true, expectContinue: false };
}

/** Runs the filter on a request; status 0 means it continued to the next filter. */
function run(factory: JwtAuthnFilterFactory, h: RequestHead, route?: RouteEntry): Promise<Outcome> {
  return new Promise((resolve) => {
    const info = new StreamInfo();
    const cb: HttpFilterCallbacks = {
      streamInfo: info,
      continueDecoding: () => resolve({ status: 0, body: "", headers: [], head: h, info }),
      sendLocalReply: (status, body, _flags, headers = []) => resolve({ status, body, headers, head: h, info }),
      route: () => route,
    };
    if (factory.create(cb).decodeHeaders!(h, true) === FilterStatus.Continue) resolve({ status: 0, body: "", headers: [], head: h, info });
  });
}

interface Key { alg: string; privateKey: CryptoKey; jwk: JWK }

async function key(alg: string, kid: string): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg } };
}

function sign(k: Key, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ iss: ISSUER, sub: "alice", aud: "weft", exp: now() + 600, ...claims })
    .setProtectedHeader({ alg: k.alg, kid: k.jwk.kid, ...header }).sign(k.privateKey);
}

/** Istio's shape: one provider "origins-0", rule prefix "/" requiring it or nothing (allow_missing). */
function istioConfig(jwks: JWK[], provider: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    providers: { "origins-0": { issuer: ISSUER, audiences: ["weft"], local_jwks: { inline_string: JSON.stringify({ keys: jwks }) },
      payload_in_metadata: "payload", normalize_payload_in_metadata: { space_delimited_claims: ["permission", "scope"] }, ...provider } },
    rules: [{ match: { prefix: "/" }, requires: { requires_any: { requirements: [{ provider_name: "origins-0" }, { allow_missing: {} }] } } }],
    bypass_cors_preflight: true,
  };
}

function factory(config: Record<string, unknown>, stats = new HttpConnectionManagerStats()): JwtAuthnFilterFactory {
  return new JwtAuthnFilterFactory(compileJwtAuthnConfig("test", config), stats);
}

const bearer = (t: string) => ["authorization", `Bearer ${t}`];
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");

test("every algorithm jwt_authn supports verifies a token signed by a key made here", async () => {
  for (const alg of ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256", "EdDSA"]) {
    const k = await key(alg, `k-${alg}`);
    const out = await run(factory(istioConfig([k.jwk])), head("/", bearer(await sign(k))));
    assert.equal(out.status, 0, `${alg}: ${out.body}`);
    assert.equal(out.info.jwtPayloads?.get("payload")?.sub, "alice", alg);
  }
});

test("each invalid token gets Envoy's status, body and www-authenticate challenge", async () => {
  const k = await key("RS256", "k1");
  const other = await key("RS256", "k1");
  const stats = new HttpConnectionManagerStats();
  const f = factory(istioConfig([k.jwk]), stats);
  const good = await sign(k);
  const [h, p] = good.split(".");
  const cases: Array<[string, string | Promise<string>, number, string]> = [
    ["bad signature", sign(other), 401, "Jwt verification fails"],
    ["tampered payload", `${h}.${b64({ iss: ISSUER, aud: "weft", sub: "mallory" })}.${good.split(".")[2]}`, 401, "Jwt verification fails"],
    ["expired beyond the 60 s skew", sign(k, { exp: now() - 120 }), 401, "Jwt is expired"],
    ["not yet valid", sign(k, { nbf: now() + 120 }), 401, "Jwt not yet valid"],
    ["wrong issuer", sign(k, { iss: "https://evil.test" }), 401, "Jwt issuer is not configured"],
    ["wrong audience", sign(k, { aud: "other" }), 403, "Audiences in Jwt are not allowed"],
    ["unknown kid", sign(k, {}, { kid: "nope" }), 401, "Jwks doesn't have key to match kid or alg from Jwt"],
    ["alg none", `${b64({ alg: "none", typ: "JWT" })}.${p}.`, 401, "Jwt header [alg] is not supported"],
    ["HS256 with the public key as secret", `${b64({ alg: "HS256", kid: "k1" })}.${p}.AAAA`, 401, "Jwks doesn't have key to match kid or alg from Jwt"],
    ["two segments", `${h}.${p}`, 401, "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections"],
    ["header not JSON", `${Buffer.from("{nope").toString("base64url")}.${p}.AA`, 401, "Jwt header is an invalid JSON"],
    ["payload not base64url", `${h}.a+b/.AA`, 401, "Jwt payload is an invalid Base64url encoded"],
    ["a 64 KB header", `${b64({ alg: "RS256", kid: "k1", pad: "x".repeat(64 * 1024) })}.${p}.AA`, 401, "Jwt verification fails"],
  ];
  for (const [name, token, status, body] of cases) {
    const out = await run(f, head("/a?b=1", bearer(await token)));
    assert.equal(out.status, status, name);
    assert.equal(out.body, body, name);
    assert.deepEqual(out.headers, ["www-authenticate", 'Bearer realm="http://svc.test:8080/a?b=1", error="invalid_token"'], name);
  }
  assert.equal(stats.jwt_authn_denied, cases.length);
  assert.equal(stats.jwt_authn_allowed, 0);
});

test("a token expired by less than clock_skew_seconds still passes; clock_skew_seconds narrows it", async () => {
  const k = await key("ES256", "k1");
  const token = await sign(k, { exp: now() - 30 });
  assert.equal((await run(factory(istioConfig([k.jwk])), head("/", bearer(token)))).status, 0);
  assert.equal((await run(factory(istioConfig([k.jwk], { clock_skew_seconds: 5 })), head("/", bearer(token)))).body, "Jwt is expired");
});

test("without a token, Istio's allow_missing passes; a provider-only requirement answers 401 Jwt is missing", async () => {
  const k = await key("RS256", "k1");
  const stats = new HttpConnectionManagerStats();
  const out = await run(factory(istioConfig([k.jwk]), stats), head("/"));
  assert.equal(out.status, 0);
  assert.equal(out.info.jwtPayloads, undefined);
  assert.equal(stats.jwt_authn_allowed, 1);
  const strict = { ...istioConfig([k.jwk]), rules: [{ match: { prefix: "/api" }, requires: { provider_name: "origins-0" } }] };
  const missing = await run(factory(strict), head("/api/x"));
  assert.equal(missing.status, 401);
  assert.equal(missing.body, "Jwt is missing");
  assert.equal(missing.info.responseCodeDetails, "jwt_authn_access_denied{Jwt_is_missing}");
  assert.deepEqual(missing.headers, ["www-authenticate", 'Bearer realm="http://svc.test:8080/api/x"']);
  assert.equal((await run(factory(strict), head("/other"))).status, 0, "no rule matches: no verification");
});

test("a valid token: removed unless forward, payload header, claim headers, spoofed copies dropped", async () => {
  const k = await key("RS256", "k1");
  const f = factory(istioConfig([k.jwk], {
    forward_payload_header: "x-jwt-payload",
    claim_to_headers: [{ header_name: "x-sub", claim_name: "sub" }, { header_name: "x-team", claim_name: "org.team" }, { header_name: "x-none", claim_name: "absent" }],
  }));
  const token = await sign(k, { org: { team: "blue" } });
  const out = await run(f, head("/", [...bearer(token), "x-sub", "spoofed", "x-jwt-payload", "spoofed", "x-none", "spoofed"]));
  assert.equal(out.status, 0);
  const hs = out.head.headers;
  assert.equal(hs.indexOf("authorization"), -1, "forward: false removes the token");
  assert.deepEqual(hs.filter((_, i) => hs[i - 1] === "x-sub" && i % 2 === 1), ["alice"]);
  assert.equal(hs[hs.indexOf("x-team") + 1], "blue");
  assert.equal(hs.indexOf("x-none"), -1);
  assert.equal(hs[hs.indexOf("x-jwt-payload") + 1], token.split(".")[1]);

  const kept = await run(factory(istioConfig([k.jwk], { forward: true })), head("/", bearer(token)));
  assert.equal(kept.head.headers[kept.head.headers.indexOf("authorization") + 1], `Bearer ${token}`);
});

test("from_headers with a prefix, from_params and from_cookies find the token; the default locations are then off", async () => {
  const k = await key("ES384", "k1");
  const token = await sign(k);
  const f = factory(istioConfig([k.jwk], { from_headers: [{ name: "X-Auth", value_prefix: "Token " }], from_params: ["jwt"], from_cookies: ["session"] }));
  assert.equal((await run(f, head("/", ["x-auth", `Token ${token}`]))).status, 0);
  assert.equal((await run(f, head(`/?a=1&jwt=${token}`))).status, 0);
  assert.equal((await run(f, head("/", ["cookie", `theme=dark; session=${token}`]))).status, 0);
  assert.equal((await run(f, head("/", ["x-auth", "Token garbage"]))).body, "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections");
  const defaultOff = await run(f, head("/", bearer("garbage")));
  assert.equal(defaultOff.status, 0, "Authorization is not a location any more, so the request has no token");
  const defaults = factory(istioConfig([k.jwk]));
  assert.equal((await run(defaults, head(`/?access_token=${token}`))).status, 0);
});

test("requires_all, provider_and_audiences and allow_missing_or_failed combine as Envoy's verifiers", async () => {
  const a = await key("RS256", "a");
  const b = await key("EdDSA", "b");
  const providers = {
    a: { issuer: "iss-a", local_jwks: { inline_string: JSON.stringify({ keys: [a.jwk] }) }, from_headers: [{ name: "x-a" }], payload_in_metadata: "iss-a" },
    b: { issuer: "iss-b", local_jwks: { inline_string: JSON.stringify({ keys: [b.jwk] }) }, from_headers: [{ name: "x-b" }], payload_in_metadata: "iss-b" },
  };
  const ta = await sign(a, { iss: "iss-a" });
  const tb = await sign(b, { iss: "iss-b", aud: "api" });
  const all = factory({ providers, rules: [{ match: { prefix: "/" }, requires: { requires_all: { requirements: [{ provider_name: "a" }, { provider_and_audiences: { provider_name: "b", audiences: ["api"] } }] } } }] });
  const both = await run(all, head("/", ["x-a", ta, "x-b", tb]));
  assert.equal(both.status, 0);
  assert.deepEqual([...both.info.jwtPayloads!.keys()].sort(), ["iss-a", "iss-b"]);
  assert.equal((await run(all, head("/", ["x-a", ta]))).body, "Jwt is missing");
  const failed = factory({ providers, rules: [{ match: { prefix: "/" }, requires: { allow_missing_or_failed: {} } }] });
  const out = await run(failed, head("/", ["x-a", "bad.token.here", "x-b", tb]));
  assert.equal(out.status, 0);
  assert.deepEqual([...out.info.jwtPayloads!.keys()], ["iss-b"]);
});

test("PerRouteConfig: disabled skips verification, requirement_name picks from requirement_map, an unknown name is 403", async () => {
  const k = await key("RS256", "k1");
  const PER_ROUTE = "type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.PerRouteConfig";
  const config = { ...istioConfig([k.jwk]), requirement_map: { strict: { provider_name: "origins-0" } } };
  const f = factory(config);
  const route = (per: object) => RouteEntry.compile("rc", { match: { prefix: "/" }, route: { cluster: "c" }, typed_per_filter_config: { "envoy.filters.http.jwt_authn": { "@type": PER_ROUTE, ...per } } });
  assert.equal((await run(f, head("/", bearer("junk")), route({ disabled: true }))).status, 0);
  assert.equal((await run(f, head("/"), route({ requirement_name: "strict" }))).body, "Jwt is missing");
  const unknown = await run(f, head("/"), route({ requirement_name: "nope" }));
  assert.equal(unknown.status, 403);
  assert.equal(unknown.body, "Failed JWT authentication: Wrong requirement_name: nope. It should be one of [strict]");
});

test("a CORS preflight bypasses verification when bypass_cors_preflight is set", async () => {
  const k = await key("RS256", "k1");
  const h = { ...head("/", [...bearer("junk"), "origin", "https://a.test", "access-control-request-method", "GET"]), method: "OPTIONS" };
  assert.equal((await run(factory(istioConfig([k.jwk])), h)).status, 0);
});

test("an invalid inline JWKS fails tokens with Jwks doesn't have valid keys; a config naming an unknown provider is refused", async () => {
  const k = await key("RS256", "k1");
  const config = istioConfig([]);
  (config.providers as Record<string, Record<string, unknown>>)["origins-0"].local_jwks = { inline_string: "not json" };
  assert.equal((await run(factory(config), head("/", bearer(await sign(k))))).body, "Jwks doesn't have valid keys");
  assert.throws(() => factory({ ...istioConfig([k.jwk]), rules: [{ match: { prefix: "/" }, requires: { provider_name: "ghost" } }] }), /PROXY_CONFIG_INVALID|not configured/);
});

test("Istio's multi-provider shape: any provider's valid token passes, a bad or foreign one fails, none passes", async () => {
  const a = await key("RS256", "a");
  const b = await key("ES256", "b");
  const inline = (k: Key) => ({ inline_string: JSON.stringify({ keys: [k.jwk] }) });
  const anyOrMissing = (name: string) => ({ requires_any: { requirements: [{ provider_name: name }, { allow_missing: {} }] } });
  const f = factory({
    providers: {
      "origins-0": { issuer: "iss-a", local_jwks: inline(a), payload_in_metadata: "payload" },
      "origins-1": { issuer: "iss-b", local_jwks: inline(b), payload_in_metadata: "payload" },
    },
    rules: [{ match: { prefix: "/" }, requires: { requires_any: { requirements: [
      { provider_name: "origins-0" }, { provider_name: "origins-1" },
      { requires_all: { requirements: [anyOrMissing("origins-0"), anyOrMissing("origins-1")] } },
    ] } } }],
    bypass_cors_preflight: true,
  });
  const viaB = await run(f, head("/", bearer(await sign(b, { iss: "iss-b", scope: "read write" }))));
  assert.equal(viaB.status, 0);
  assert.equal(viaB.info.jwtPayloads?.get("payload")?.iss, "iss-b");
  assert.equal((await run(f, head("/"))).status, 0);
  const forger = await key("ES256", "b");
  assert.equal((await run(f, head("/", bearer(await sign(forger, { iss: "iss-b" }))))).body, "Jwt verification fails");
  assert.equal((await run(f, head("/", bearer(await sign(a, { iss: "iss-b" }))))).body, "Jwks doesn't have key to match kid or alg from Jwt");
  assert.equal((await run(f, head("/", bearer(await sign(a, { iss: "iss-x" }))))).body, "Jwt issuer is not configured");
});

test("normalize_payload_in_metadata turns space-delimited claims into lists in the metadata only", async () => {
  const k = await key("RS256", "k1");
  const out = await run(factory(istioConfig([k.jwk], { forward_payload_header: "x-payload" })), head("/", bearer(await sign(k, { scope: "read  write", permission: 7 }))));
  const payload = out.info.jwtPayloads!.get("payload")!;
  assert.deepEqual(payload.scope, ["read", "write"]);
  assert.equal(payload.permission, 7);
  assert.ok(Object.isFrozen(payload));
  const forwarded = JSON.parse(Buffer.from(out.head.headers[out.head.headers.indexOf("x-payload") + 1], "base64url").toString()) as Record<string, unknown>;
  assert.equal(forwarded.scope, "read  write");
});
