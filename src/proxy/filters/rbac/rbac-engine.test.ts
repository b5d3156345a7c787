import { test } from "node:test";
import assert from "node:assert/strict";
import { WeftError } from "../../../shared/weft-error.js";
import { StreamInfo } from "../../http/stream-info.js";
import type { DownstreamConnectionInfo, PeerCertificateInfo } from "../../http/connection-info.js";
import type { RequestHead } from "../../http/request-head.js";
import { RbacEngine } from "./rbac-engine.js";
import { RbacRequest } from "./rbac-request.js";

interface Req {
  method?: string; path?: string; host?: string; headers?: string[];
  local?: string; localPort?: number; remote?: string; sni?: string; peer?: PeerCertificateInfo;
  jwt?: Record<string, unknown>;
}

function request(o: Req): RbacRequest {
  const head: RequestHead = {
    method: o.method ?? "GET", path: o.path ?? "/", versionMinor: 1, headers: o.headers ?? [], host: o.host ?? "svc",
    contentLength: -1, chunked: false, keepAlive: true, expectContinue: false,
  };
  const info = new StreamInfo();
  const conn: DownstreamConnectionInfo = {
    localAddress: o.local ?? "127.0.12.1", localPort: o.localPort ?? 8080, directRemoteAddress: o.remote ?? "127.0.12.9",
    requestedServerName: o.sni ?? "", peerCertificate: o.peer,
  };
  info.downstream = conn;
  if (o.jwt) info.jwtPayloads = new Map([["payload", o.jwt]]);
  return new RbacRequest(head, info);
}

const spiffe = (ns: string, sa: string): PeerCertificateInfo => ({ uriSans: [`spiffe://cluster.local/ns/${ns}/sa/${sa}`], dnsSans: [], subject: "" });
const method = (m: string) => ({ header: { name: ":method", string_match: { exact: m } } });
const path = (p: object) => ({ url_path: { path: p } });
const or = (...rules: object[]) => ({ or_rules: { rules } });
const and = (...rules: object[]) => ({ and_rules: { rules } });
const jwtClaim = (claim: string, value: string) => ({
  metadata: {
    filter: "envoy.filters.http.jwt_authn", path: [{ key: "payload" }, { key: claim }],
    value: { or_match: { value_matchers: [{ list_match: { one_of: { string_match: { exact: value } } } }, { string_match: { exact: value } }] } },
  },
});

/** An Istio-shaped ALLOW policy: GET|HEAD on /info* or exactly /health, from the sleep SA in ns foo. */
const ISTIO_ALLOW = {
  action: "ALLOW",
  policies: {
    "ns[foo]-policy[httpbin]-rule[0]": {
      permissions: [and(or(method("GET"), method("HEAD")), or(path({ prefix: "/info" }), path({ exact: "/health" })))],
      principals: [{ and_ids: { ids: [{ or_ids: { ids: [{ authenticated: { principal_name: { exact: "spiffe://cluster.local/ns/foo/sa/sleep" } } }] } }] } }],
    },
  },
};

test("ALLOW: a request matching both a permission and a principal is allowed with the policy's name", () => {
  const e = RbacEngine.compile("t", ISTIO_ALLOW);
  assert.deepEqual(e.evaluate(request({ path: "/info/x?q=1", peer: spiffe("foo", "sleep") })), { allowed: true, policyId: "ns[foo]-policy[httpbin]-rule[0]" });
  assert.equal(e.evaluate(request({ method: "HEAD", path: "/health", peer: spiffe("foo", "sleep") })).allowed, true);
});

test("ALLOW: wrong method, path, peer or no peer at all is denied with no policy id", () => {
  const e = RbacEngine.compile("t", ISTIO_ALLOW);
  for (const r of [
    { method: "POST", path: "/info", peer: spiffe("foo", "sleep") },
    { path: "/health/x", peer: spiffe("foo", "sleep") },
    { path: "/info", peer: spiffe("bar", "sleep") },
    { path: "/info" },
  ]) assert.deepEqual(e.evaluate(request(r)), { allowed: false, policyId: "" }, JSON.stringify(r));
});

test("ALLOW with no policies denies everything; LOG allows everything and still names the match", () => {
  assert.equal(RbacEngine.compile("t", { action: "ALLOW" }).evaluate(request({})).allowed, false);
  const log = RbacEngine.compile("t", { action: "LOG", policies: { p: { permissions: [{ any: true }], principals: [{ any: true }] } } });
  assert.deepEqual(log.evaluate(request({})), { allowed: true, policyId: "p" });
});

test("DENY: a match denies and names the first matching policy in name order; no match allows", () => {
  const e = RbacEngine.compile("t", {
    action: "DENY",
    policies: {
      "z-admin": { permissions: [path({ prefix: "/admin" })], principals: [{ any: true }] },
      "a-admin": { permissions: [path({ prefix: "/admin" })], principals: [{ not_id: { header: { name: "x-token", present_match: true } } }] },
    },
  });
  assert.deepEqual(e.evaluate(request({ path: "/admin/x" })), { allowed: false, policyId: "a-admin" });
  assert.deepEqual(e.evaluate(request({ path: "/admin/x", headers: ["x-token", "1"] })), { allowed: false, policyId: "z-admin" });
  assert.deepEqual(e.evaluate(request({ path: "/public" })), { allowed: true, policyId: "" });
});

test("url_path ignores the query; header :path sees it", () => {
  const e = RbacEngine.compile("t", { policies: { p: { permissions: [path({ exact: "/a" })], principals: [{ any: true }] } } });
  assert.equal(e.evaluate(request({ path: "/a?x=1" })).allowed, true);
  const h = RbacEngine.compile("t", { policies: { p: { permissions: [{ header: { name: ":path", string_match: { exact: "/a" } } }], principals: [{ any: true }] } } });
  assert.equal(h.evaluate(request({ path: "/a?x=1" })).allowed, false);
});

test("destination_ip, destination_port and destination_port_range read the local address", () => {
  const e = RbacEngine.compile("t", { policies: { p: {
    permissions: [and({ destination_ip: { address_prefix: "127.0.12.0", prefix_len: { value: 24 } } }, or({ destination_port: 8080 }, { destination_port_range: { start: 9000, end: 9010 } }))],
    principals: [{ any: true }],
  } } });
  assert.equal(e.evaluate(request({ localPort: 8080 })).allowed, true);
  assert.equal(e.evaluate(request({ localPort: 9009 })).allowed, true);
  assert.equal(e.evaluate(request({ localPort: 9010 })).allowed, false, "range end is exclusive");
  assert.equal(e.evaluate(request({ local: "127.0.13.1" })).allowed, false);
});

test("direct_remote_ip is the socket peer; remote_ip is the last x-forwarded-for address when there is one", () => {
  const e = (key: string) => RbacEngine.compile("t", { policies: { p: { permissions: [{ any: true }], principals: [{ [key]: { address_prefix: "10.1.0.0", prefix_len: { value: 16 } } }] } } });
  const viaXff = request({ remote: "127.0.12.9", headers: ["x-forwarded-for", "192.168.0.1, 10.1.2.3"] });
  assert.equal(e("direct_remote_ip").evaluate(viaXff).allowed, false);
  assert.equal(e("remote_ip").evaluate(viaXff).allowed, true);
  assert.equal(e("remote_ip").evaluate(request({ remote: "10.1.9.9" })).allowed, true);
  assert.equal(e("source_ip").evaluate(request({ remote: "::ffff:10.1.0.7" })).allowed, true, "IPv4-mapped peers match IPv4 ranges");
  const v6 = RbacEngine.compile("t", { policies: { p: { permissions: [{ any: true }], principals: [{ direct_remote_ip: { address_prefix: "fd00::", prefix_len: { value: 8 } } }] } } });
  assert.equal(v6.evaluate(request({ remote: "fd12::1" })).allowed, true);
  assert.equal(v6.evaluate(request({ remote: "10.1.0.1" })).allowed, false);
});

test("authenticated matches URI SAN, then DNS SAN, then subject; without principal_name any peer certificate", () => {
  const regex = RbacEngine.compile("t", { policies: { p: { permissions: [{ any: true }], principals: [{ authenticated: { principal_name: { safe_regex: { regex: ".*/ns/foo/.*" } } } }] } } });
  assert.equal(regex.evaluate(request({ peer: spiffe("foo", "x") })).allowed, true);
  assert.equal(regex.evaluate(request({ peer: spiffe("bar", "x") })).allowed, false);
  const dns = RbacEngine.compile("t", { policies: { p: { permissions: [{ any: true }], principals: [{ authenticated: { principal_name: { exact: "CN=client,O=weft" } } }] } } });
  assert.equal(dns.evaluate(request({ peer: { uriSans: [], dnsSans: ["a.example"], subject: "CN=client,O=weft" } })).allowed, true);
  const anyPeer = RbacEngine.compile("t", { policies: { p: { permissions: [{ any: true }], principals: [{ authenticated: {} }] } } });
  assert.equal(anyPeer.evaluate(request({ peer: spiffe("x", "y") })).allowed, true);
  assert.equal(anyPeer.evaluate(request({})).allowed, false, "plaintext has no authenticated principal");
});

test("metadata matchers read jwt_authn payloads as Istio generates them (request principals and claims)", () => {
  const e = RbacEngine.compile("t", { policies: { p: {
    permissions: [{ any: true }],
    principals: [{ and_ids: { ids: [
      { metadata: { filter: "envoy.filters.http.jwt_authn", path: [{ key: "payload" }, { key: "iss" }], value: { string_match: { exact: "https://issuer.example" } } } },
      { metadata: { filter: "envoy.filters.http.jwt_authn", path: [{ key: "payload" }, { key: "sub" }], value: { string_match: { safe_regex: { regex: ".+" } } } } },
      jwtClaim("groups", "admin"),
    ] } }],
  } } });
  assert.equal(e.evaluate(request({ jwt: { iss: "https://issuer.example", sub: "u1", groups: ["dev", "admin"] } })).allowed, true);
  assert.equal(e.evaluate(request({ jwt: { iss: "https://issuer.example", sub: "u1", groups: "admin" } })).allowed, true, "a string claim matches too");
  assert.equal(e.evaluate(request({ jwt: { iss: "https://issuer.example", sub: "u1", groups: ["dev"] } })).allowed, false);
  assert.equal(e.evaluate(request({ jwt: { iss: "https://other", sub: "u1", groups: ["admin"] } })).allowed, false);
  assert.equal(e.evaluate(request({})).allowed, false, "no token, no claims");
});

test("metadata: invert, present_match, bool, double and null matchers, nested claims", () => {
  const md = (value: object, invert = false) => RbacEngine.compile("t", { policies: { p: { permissions: [{ metadata: { filter: "envoy.filters.http.jwt_authn", path: [{ key: "payload" }, { key: "a" }, { key: "b" }], value, invert } }], principals: [{ any: true }] } } });
  const r = request({ jwt: { a: { b: 5 } } });
  assert.equal(md({ double_match: { range: { start: 1, end: 6 } } }).evaluate(r).allowed, true);
  assert.equal(md({ double_match: { exact: 4 } }).evaluate(r).allowed, false);
  assert.equal(md({ present_match: true }).evaluate(r).allowed, true);
  assert.equal(md({ present_match: true }).evaluate(request({ jwt: { a: {} } })).allowed, false);
  assert.equal(md({ present_match: true }, true).evaluate(request({})).allowed, true);
  assert.equal(md({ bool_match: true }).evaluate(request({ jwt: { a: { b: true } } })).allowed, true);
  assert.equal(md({ null_match: {} }).evaluate(request({ jwt: { a: { b: null } } })).allowed, true);
  assert.equal(md({ string_match: { exact: "5" } }).evaluate(r).allowed, false, "string matchers only match strings");
});

test("requested_server_name matches the SNI (\"\" on plaintext); filter_state never matches", () => {
  const e = RbacEngine.compile("t", { policies: { p: { permissions: [{ requested_server_name: { suffix: ".svc.cluster.local" } }], principals: [{ any: true }] } } });
  assert.equal(e.evaluate(request({ sni: "outbound_.80_._.a.ns.svc.cluster.local" })).allowed, true);
  assert.equal(e.evaluate(request({})).allowed, false);
  const fs = RbacEngine.compile("t", { policies: { p: { permissions: [{ any: true }], principals: [{ filter_state: { key: "k", string_match: { exact: "v" } } }] } } });
  assert.equal(fs.evaluate(request({})).allowed, false);
});

test("bad configs are refused with PROXY_CONFIG_INVALID naming the policy", () => {
  const bad: Array<[object, RegExp]> = [
    [{ policies: { p: { permissions: [], principals: [{ any: true }] } } }, /policy p: policy needs at least one permission/],
    [{ policies: { p: { permissions: [{ any: true }], principals: [{ direct_remote_ip: { address_prefix: "nope" } }] } } }, /not an IP address/],
    [{ policies: { p: { permissions: [{ destination_port_range: { start: 10, end: 10 } }], principals: [{ any: true }] } } }, /must be below end/],
    [{ policies: { p: { permissions: [{ url_path: { path: { safe_regex: { regex: "(" } } } }], principals: [{ any: true }] } } }, /invalid regex/],
    [{ policies: { p: { permissions: [{ any: true }], principals: [{ any: true }], condition: {} } } }, /CEL/],
    [{ action: "MAYBE" }, /unknown RBAC action/],
  ];
  for (const [cfg, re] of bad) {
    assert.throws(() => RbacEngine.compile("lds x", cfg as Record<string, unknown>), (e: unknown) => e instanceof WeftError && e.code === "PROXY_CONFIG_INVALID" && re.test(e.message), JSON.stringify(cfg));
  }
});
