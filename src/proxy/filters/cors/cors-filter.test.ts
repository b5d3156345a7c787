import { test } from "node:test";
import assert from "node:assert/strict";
import { FilterStatus, type HttpFilterCallbacks } from "../http-filter.js";
import { StreamInfo } from "../../http/stream-info.js";
import type { RequestHead } from "../../http/request-head.js";
import type { ResponseHead } from "../../http/response-head.js";
import { RouteEntry } from "../../router/route-entry.js";
import { CorsFilterFactory } from "./cors-filter.js";
import { HttpConnectionManagerStats } from "../../stats/proxy-stats.js";

const CORS_POLICY = "type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy";

function req(method: string, headers: string[]): RequestHead {
  return { method, path: "/", versionMinor: 1, headers, host: "a", contentLength: -1, chunked: false, keepAlive: true, expectContinue: false };
}
const resp = (): ResponseHead => ({ status: 200, versionMinor: 1, headers: ["content-length", "0"], contentLength: 0, chunked: false, keepAlive: true });

function routeWith(policy: object, where: "typed" | "legacy-vh" = "typed"): RouteEntry {
  if (where === "legacy-vh") return RouteEntry.compile("rc", { match: { prefix: "/" }, route: { cluster: "c" } }, { request: [], response: [], virtualHostRaw: { name: "vh", cors: policy }, virtualHostFilterConfig: new Map() });
  return RouteEntry.compile("rc", { match: { prefix: "/" }, route: { cluster: "c" }, typed_per_filter_config: { "envoy.filters.http.cors": { "@type": CORS_POLICY, ...policy } } });
}

function run(route: RouteEntry, head: RequestHead) {
  const replies: Array<{ status: number; headers?: string[] }> = [];
  const cb: HttpFilterCallbacks = {
    streamInfo: new StreamInfo(),
    continueDecoding() {},
    sendLocalReply(status, _body, _flags, headers) { replies.push({ status, headers }); },
    route: () => route,
  };
  const filter = new CorsFilterFactory(new HttpConnectionManagerStats()).create(cb);
  const status = filter.decodeHeaders!(head, true);
  const r = resp();
  filter.encodeHeaders!(r, true);
  return { status, replies, response: r.headers };
}

const POLICY = {
  allow_origin_string_match: [{ exact: "https://a.example" }, { safe_regex: { regex: "https://.*\\.trusted\\.io" } }],
  allow_methods: "GET,POST", allow_headers: "x-a,x-b", expose_headers: "x-exposed", max_age: "600",
  allow_credentials: { value: true },
};

test("a matching preflight is answered locally with 200 and the allow-* headers", () => {
  const { status, replies } = run(routeWith(POLICY), req("OPTIONS", ["origin", "https://x.trusted.io", "access-control-request-method", "POST"]));
  assert.equal(status, FilterStatus.StopIteration);
  assert.equal(replies[0].status, 200);
  assert.deepEqual(replies[0].headers, [
    "access-control-allow-origin", "https://x.trusted.io", "access-control-allow-credentials", "true",
    "access-control-allow-methods", "GET,POST", "access-control-allow-headers", "x-a,x-b", "access-control-max-age", "600",
  ]);
});

test("a simple request from an allowed origin gets allow-origin, credentials and expose headers on the response", () => {
  const { status, replies, response } = run(routeWith(POLICY), req("GET", ["origin", "https://a.example"]));
  assert.equal(status, FilterStatus.Continue);
  assert.equal(replies.length, 0);
  assert.deepEqual(response, ["content-length", "0", "access-control-allow-origin", "https://a.example", "access-control-allow-credentials", "true", "access-control-expose-headers", "x-exposed"]);
});

test("a non-matching origin passes through untouched (preflights forwarded by default)", () => {
  const pre = run(routeWith(POLICY), req("OPTIONS", ["origin", "https://evil.example", "access-control-request-method", "GET"]));
  assert.equal(pre.status, FilterStatus.Continue);
  assert.deepEqual(pre.response, ["content-length", "0"]);
  const simple = run(routeWith(POLICY), req("GET", ["origin", "https://a.example.evil"]));
  assert.deepEqual(simple.response, ["content-length", "0"]);
});

test("forward_not_matching_preflights false answers a non-matching preflight locally without allow-origin", () => {
  const { status, replies } = run(routeWith({ ...POLICY, forward_not_matching_preflights: { value: false } }), req("OPTIONS", ["origin", "https://evil.example", "access-control-request-method", "GET"]));
  assert.equal(status, FilterStatus.StopIteration);
  assert.equal(replies[0].headers?.includes("access-control-allow-origin"), false);
});

test("allow_methods/allow_headers '*' echo the request's; prefix/suffix/contains matchers; legacy virtual-host cors", () => {
  const policy = { allow_origin_string_match: [{ prefix: "http://p" }, { suffix: ".s" }, { contains: "mid" }], allow_methods: "*", allow_headers: "*" };
  for (const origin of ["http://p1", "x.s", "amidb"]) {
    const { replies } = run(routeWith(policy, "legacy-vh"), req("OPTIONS", ["origin", origin, "access-control-request-method", "PUT", "access-control-request-headers", "x-y"]));
    assert.deepEqual(replies[0].headers, ["access-control-allow-origin", origin, "access-control-allow-methods", "PUT", "access-control-allow-headers", "x-y"], origin);
  }
});

test("filter_enabled 0% disables the policy; a request without Origin is not CORS", () => {
  const off = run(routeWith({ ...POLICY, filter_enabled: { default_value: { numerator: 0 } } }), req("GET", ["origin", "https://a.example"]));
  assert.deepEqual(off.response, ["content-length", "0"]);
  const noOrigin = run(routeWith(POLICY), req("GET", []));
  assert.deepEqual(noOrigin.response, ["content-length", "0"]);
});
