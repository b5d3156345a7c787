// Tests of Envoy route matching (query, pseudo-headers, path_separated_prefix) and route-level actions (rewrites, header edits, redirects).

import { test } from "node:test";
import assert from "node:assert/strict";
import { RouteTable } from "./route-table.js";
import { literalPrefix, type RouteEntry } from "./route-entry.js";
import { redirectLocation } from "./path-rewrite.js";
import { finalizeRequest, finalizeResponse } from "./route-finalizer.js";
import type { RouteRequest } from "./route-request.js";

const table = (routes: object[], vhExtra: object = {}, rcExtra: object = {}) =>
  RouteTable.compile("r", { virtual_hosts: [{ name: "v", domains: ["*"], routes, ...vhExtra }], ...rcExtra });
const req = (path: string, headers: string[] = [], method = "GET", host = "svc:80"): RouteRequest => ({ method, path, headers, host });

test("query_parameters: exact/prefix/regex string_match and present_match, first value, percent-decoded; all must match", () => {
  const t = table([
    { name: "q", match: { prefix: "/", query_parameters: [{ name: "v", string_match: { exact: "a b" } }, { name: "p", present_match: true }] }, route: { cluster: "c" } },
    { name: "re", match: { prefix: "/", query_parameters: [{ name: "id", string_match: { safe_regex: { regex: "[0-9]+" } } }] }, route: { cluster: "c" } },
  ]);
  const name = (p: string) => t.match(req(p))?.name;
  assert.equal(name("/x?v=a%20b&p"), "q");
  assert.equal(name("/x?p=&v=a%20b"), "q");
  assert.equal(name("/x?v=a%20b"), undefined, "p missing");
  assert.equal(name("/x?v=zz&v=a%20b&p=1"), undefined, "only the first value counts");
  assert.equal(name("/x?id=42"), "re");
  assert.equal(name("/x?id=4a"), undefined);
  assert.equal(name("/x"), undefined);
});

test("pseudo-headers :method, :authority, :scheme, :path match the request line", () => {
  const t = table([
    { name: "post", match: { prefix: "/", headers: [{ name: ":method", string_match: { exact: "POST" } }] }, route: { cluster: "c" } },
    { name: "auth", match: { prefix: "/", headers: [{ name: ":authority", string_match: { prefix: "api." } }] }, route: { cluster: "c" } },
    { name: "https", match: { prefix: "/", headers: [{ name: ":scheme", string_match: { exact: "https" } }] }, route: { cluster: "c" } },
    { name: "path", match: { prefix: "/", headers: [{ name: ":path", string_match: { suffix: "?debug" } }] }, route: { cluster: "c" } },
  ]);
  assert.equal(t.match(req("/", [], "POST"))?.name, "post");
  assert.equal(t.match(req("/", [], "GET", "api.x"))?.name, "auth");
  assert.equal(t.match({ ...req("/"), scheme: "https" })?.name, "https");
  assert.equal(t.match(req("/a?debug"))?.name, "path");
  assert.equal(t.match(req("/a")), undefined);
});

test("header matcher: missing header never matches string_match even inverted, unless treat_missing_header_as_empty; legacy fields", () => {
  const one = (h: object) => table([{ name: "m", match: { prefix: "/", headers: [h] }, route: { cluster: "c" } }]);
  assert.equal(one({ name: "x", string_match: { exact: "a" }, invert_match: true }).match(req("/")), undefined);
  assert.ok(one({ name: "x", string_match: { exact: "a" }, invert_match: true, treat_missing_header_as_empty: true }).match(req("/")));
  assert.ok(one({ name: "x", present_match: false }).match(req("/")));
  assert.equal(one({ name: "x", present_match: false }).match(req("/", ["x", "1"])), undefined);
  assert.ok(one({ name: "x", exact_match: "1" }).match(req("/", ["x", "1"])));
  assert.ok(one({ name: "x", prefix_match: "1" }).match(req("/", ["x", "12"])));
  assert.ok(one({ name: "x", safe_regex_match: { regex: "1+" } }).match(req("/", ["x", "11"])));
  assert.ok(one({ name: "x", string_match: { exact: "1,2" } }).match(req("/", ["x", "1", "x", "2"])), "values joined by ,");
});

test("path_separated_prefix matches the prefix as whole segments; case_sensitive false", () => {
  const t = table([{ name: "p", match: { path_separated_prefix: "/api", case_sensitive: { value: false } }, route: { cluster: "c" } }]);
  assert.ok(t.match(req("/api")));
  assert.ok(t.match(req("/API/v1?x")));
  assert.ok(t.match(req("/api?x")));
  assert.equal(t.match(req("/apis")), undefined);
  assert.throws(() => table([{ match: { path_separated_prefix: "/api/" }, route: { cluster: "c" } }]), /path_separated_prefix/);
});

function finalized(entry: RouteEntry, path: string, headers: string[] = [], ci = 0): { path: string; headers: string[] } {
  const head = { path, headers: [...headers] };
  finalizeRequest(entry, ci, head);
  return head;
}

test("prefix_rewrite replaces the matched prefix (exact path: the whole path; regex: the whole path, query kept); x-envoy-original-path", () => {
  const t = table([
    { name: "pre", match: { prefix: "/old/" }, route: { cluster: "c", prefix_rewrite: "/new/" } },
    { name: "exact", match: { path: "/exact" }, route: { cluster: "c", prefix_rewrite: "/e2" } },
    { name: "re", match: { safe_regex: { regex: "/r/.*" } }, route: { cluster: "c", prefix_rewrite: "/rr" } },
    { name: "rx", match: { prefix: "/v1/" }, route: { cluster: "c", regex_rewrite: { pattern: { regex: "^/v1/([^/]+)/(.*)$" }, substitution: "/v2/\\2/\\1" } } },
    { name: "plain", match: { prefix: "/" }, route: { cluster: "c" } },
  ]);
  const h = finalized(t.match(req("/old/a?q=1"))!, "/old/a?q=1");
  assert.equal(h.path, "/new/a?q=1");
  assert.deepEqual(h.headers, ["x-envoy-original-path", "/old/a?q=1"]);
  assert.equal(finalized(t.match(req("/exact?z"))!, "/exact?z").path, "/e2?z");
  assert.equal(finalized(t.match(req("/r/x/y?z"))!, "/r/x/y?z").path, "/rr?z");
  assert.equal(finalized(t.match(req("/v1/a/b/c?k=v"))!, "/v1/a/b/c?k=v").path, "/v2/b/c/a?k=v");
  const p = finalized(t.match(req("/p"))!, "/p");
  assert.equal(p.path, "/p");
  assert.deepEqual(p.headers, [], "no original path without a rewrite");
});

test("request headers: weighted cluster, then route, then vhost, then route config; append_action semantics; host rewrite", () => {
  const t = table(
    [{
      name: "r",
      match: { prefix: "/" },
      request_headers_to_add: [
        { header: { key: "x-route", value: "r" }, append_action: "OVERWRITE_IF_EXISTS_OR_ADD" },
        { header: { key: "x-level", value: "route" }, append_action: "OVERWRITE_IF_EXISTS_OR_ADD" },
        { header: { key: "x-multi", value: "2" }, append_action: "APPEND_IF_EXISTS_OR_ADD" },
        { header: { key: "x-absent", value: "new" }, append_action: "ADD_IF_ABSENT" },
        { header: { key: "x-only-if", value: "no" }, append_action: "OVERWRITE_IF_EXISTS" },
        { header: { key: "x-empty", value: "" } },
      ],
      request_headers_to_remove: ["x-secret"],
      route: {
        host_rewrite_literal: undefined,
        weighted_clusters: { clusters: [{ name: "a", weight: { value: 1 }, host_rewrite_literal: "a.example", request_headers_to_add: [{ header: { key: "x-level", value: "cluster" }, append_action: "OVERWRITE_IF_EXISTS_OR_ADD" }] }] },
      },
    }],
    { request_headers_to_add: [{ header: { key: "x-level", value: "vhost" }, append_action: "OVERWRITE_IF_EXISTS_OR_ADD" }] },
  );
  const entry = t.match(req("/"))!;
  const h = finalized(entry, "/", ["x-secret", "s", "x-multi", "1", "x-absent", "old", "host", "svc"]);
  const get = (n: string) => h.headers.flatMap((v, i) => (i % 2 === 0 && v === n ? [h.headers[i + 1]] : []));
  assert.deepEqual(get("x-secret"), []);
  assert.deepEqual(get("x-multi"), ["1", "2"]);
  assert.deepEqual(get("x-absent"), ["old"]);
  assert.deepEqual(get("x-only-if"), []);
  assert.deepEqual(get("x-empty"), [], "empty values are dropped without keep_empty_value");
  assert.deepEqual(get("x-level"), ["vhost"], "the least specific level is applied last and wins");
  assert.deepEqual(get("host"), ["a.example"], "weighted-cluster host_rewrite_literal");
});

test("response headers apply at every level, also to direct responses; pseudo-headers and host are rejected", () => {
  const t = table([
    { name: "d", match: { prefix: "/d" }, direct_response: { status: 418, body: { inline_string: "tea" } }, response_headers_to_add: [{ header: { key: "x-r", value: "1" } }] },
    { name: "c", match: { prefix: "/" }, route: { cluster: "c" }, response_headers_to_remove: ["server"] },
  ], { response_headers_to_add: [{ header: { key: "x-vh", value: "v" }, append_action: "OVERWRITE_IF_EXISTS_OR_ADD" }] });
  const d = t.match(req("/d"))!;
  assert.deepEqual(d.action, { kind: "direct", status: 418, body: "tea" });
  const dh: string[] = [];
  finalizeResponse(d, -1, dh);
  assert.deepEqual(dh, ["x-r", "1", "x-vh", "v"]);
  const ch = ["server", "app", "x-vh", "old"];
  finalizeResponse(t.match(req("/"))!, 0, ch);
  assert.deepEqual(ch, ["x-vh", "v"]);
  assert.throws(() => table([{ match: { prefix: "/" }, route: { cluster: "c" }, request_headers_to_add: [{ header: { key: ":path", value: "/x" } }] }]), /may not be modified/);
});

test("redirects: scheme/host/port/path, https_redirect, strip_query, prefix_rewrite, regex_rewrite, response codes", () => {
  const t = table([
    { name: "full", match: { prefix: "/full" }, redirect: { scheme_redirect: "https", host_redirect: "new.example", port_redirect: 8443, path_redirect: "/p", response_code: "PERMANENT_REDIRECT" } },
    { name: "https", match: { prefix: "/https" }, redirect: { https_redirect: true } },
    { name: "strip", match: { prefix: "/strip" }, redirect: { path_redirect: "/s", strip_query: true, response_code: "FOUND" } },
    { name: "pq", match: { prefix: "/pq" }, redirect: { path_redirect: "/n?a=1" } },
    { name: "pre", match: { prefix: "/pre/" }, redirect: { prefix_rewrite: "/post/" } },
    { name: "rx", match: { prefix: "/rx/" }, redirect: { regex_rewrite: { pattern: { regex: "rx" }, substitution: "ry" } } },
    { name: "port", match: { prefix: "/port" }, redirect: { port_redirect: 9000 } },
  ]);
  const loc = (p: string, host = "svc:80") => {
    const r = req(p, ["x-forwarded-proto", "http"], "GET", host);
    const a = t.match(r)!.action;
    assert.equal(a.kind, "redirect");
    return [a.kind === "redirect" ? a.status : 0, redirectLocation(r, a as Extract<typeof a, { kind: "redirect" }>)];
  };
  assert.deepEqual(loc("/full?x=1"), [308, "https://new.example:8443/p?x=1"]);
  assert.deepEqual(loc("/https/a?b"), [301, "https://svc/https/a?b"], "scheme change drops the default port of the old scheme");
  assert.deepEqual(loc("/https", "svc:8080"), [301, "https://svc:8080/https"]);
  assert.deepEqual(loc("/strip?q=1"), [302, "http://svc:80/s"]);
  assert.deepEqual(loc("/pq?q=1"), [301, "http://svc:80/n?a=1"], "a path_redirect with a query replaces the request's");
  assert.deepEqual(loc("/pre/x?q"), [301, "http://svc:80/post/x?q"]);
  assert.deepEqual(loc("/rx/rx?rx"), [301, "http://svc:80/ry/ry?rx"]);
  assert.deepEqual(loc("/port/a", "svc:80"), [301, "http://svc:9000/port/a"]);
});

test("typed_per_filter_config: route's config wins over the virtual host's, per filter; raw objects exposed", () => {
  const t = table(
    [{ name: "r", match: { prefix: "/" }, route: { cluster: "c", retry_policy: { num_retries: { value: 3 } } }, typed_per_filter_config: { "envoy.filters.http.fault": { "@type": "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault", max_active_faults: { value: 1 } } } }],
    { retry_policy: { num_retries: { value: 1 } }, typed_per_filter_config: { "envoy.filters.http.fault": { "@type": "x", a: 1 }, "envoy.filters.http.cors": { "@type": "y", b: 2 } } },
  );
  const e = t.match(req("/"))!;
  assert.deepEqual(e.typedPerFilterConfig.get("envoy.filters.http.fault")?.max_active_faults, { value: 1 });
  assert.equal(e.typedPerFilterConfig.get("envoy.filters.http.cors")?.b, 2);
  assert.deepEqual(e.virtualHostRaw.retry_policy, { num_retries: { value: 1 } });
  const a = e.action;
  assert.ok(a.kind === "cluster" && (a.raw.retry_policy as { num_retries: unknown }).num_retries);
});

test("safe_regex routes ignore case_sensitive (Envoy) and pre-check the regex's literal prefix", () => {
  const t = table([{ name: "re", match: { safe_regex: { regex: "/Items/[0-9]+" }, case_sensitive: { value: false } }, route: { cluster: "c" } }]);
  assert.ok(t.match(req("/Items/1")));
  assert.equal(t.match(req("/items/1")), undefined);
  assert.deepEqual(
    ["/re1/[a-z]+", "^/api/v1", "/a+b", "/ab*c", "/x?", "/a{2}", "(?i)/x", "/a|/b", "\\d+/x", "plain"].map(literalPrefix),
    ["/re1/", "/api/v1", "/a", "/a", "/", "/", "", "", "", "plain"],
  );
});
