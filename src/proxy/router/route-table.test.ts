// Tests of virtual host selection (Envoy domain precedence) and route matching rules.

import { test } from "node:test";
import assert from "node:assert/strict";
import { RouteTable } from "./route-table.js";
import { pickClusterIndex } from "./route-entry.js";

const vh = (name: string, domains: string[], routes: object[] = [{ match: { prefix: "/" }, route: { cluster: name } }]) => ({ name, domains, routes });

test("domains: exact beats suffix wildcard beats prefix wildcard beats '*'; longest wildcard wins; case-insensitive", () => {
  const t = RouteTable.compile("r", {
    name: "r",
    virtual_hosts: [
      vh("exact", ["api.example.com", "api.example.com:8080"]),
      vh("suffix-short", ["*.com"]),
      vh("suffix-long", ["*.example.com"]),
      vh("suffix-nodot", ["*-bar.example.com"]),
      vh("prefix", ["api.*"]),
      vh("any", ["*"]),
    ],
  });
  assert.equal(t.virtualHost("API.Example.com")?.name, "exact");
  assert.equal(t.virtualHost("api.example.com:8080")?.name, "exact");
  assert.equal(t.virtualHost("www.example.com")?.name, "suffix-long");
  assert.equal(t.virtualHost("foo-bar.example.com")?.name, "suffix-nodot");
  assert.equal(t.virtualHost("x.org.com")?.name, "suffix-short");
  assert.equal(t.virtualHost("api.internal")?.name, "prefix");
  assert.equal(t.virtualHost("www.example.com:9090")?.name, "any", "a Host with a port only matches domains with that port");
  assert.equal(t.virtualHost("other")?.name, "any");
});

test("duplicate domains are rejected", () => {
  assert.throws(() => RouteTable.compile("r", { virtual_hosts: [vh("a", ["x"]), vh("b", ["X"])] }), /duplicate domain x/);
});

test("routes: first match wins; prefix, path, safe_regex (full match, query ignored), case_sensitive false", () => {
  const t = RouteTable.compile("r", {
    virtual_hosts: [vh("v", ["*"], [
      { name: "exact", match: { path: "/exact" }, route: { cluster: "c-path" } },
      { name: "regex", match: { safe_regex: { regex: "/items/[0-9]+" } }, route: { cluster: "c-regex" } },
      { name: "ci", match: { prefix: "/CI/", case_sensitive: { value: false } }, route: { cluster: "c-ci" } },
      { name: "api", match: { prefix: "/api" }, route: { cluster: "c-api" } },
    ])],
  });
  const name = (p: string) => t.route("h", p, [])?.name;
  assert.equal(name("/exact?x=1"), "exact");
  assert.equal(name("/exact/more"), undefined);
  assert.equal(name("/items/42?q"), "regex");
  assert.equal(name("/items/42x"), undefined);
  assert.equal(name("/ci/abc"), "ci");
  assert.equal(name("/api/v1"), "api");
  assert.equal(name("/Api"), undefined);
});

test("header matchers: exact/prefix/suffix/contains/regex, present_match, invert_match", () => {
  const route = (headers: object[]) => RouteTable.compile("r", { virtual_hosts: [vh("v", ["*"], [{ name: "m", match: { prefix: "/", headers }, route: { cluster: "c" } }])] });
  const matches = (headers: object[], h: string[]) => route(headers).route("x", "/", h) !== undefined;
  assert.equal(matches([{ name: "End-User", string_match: { exact: "jason" } }], ["end-user", "jason"]), true);
  assert.equal(matches([{ name: "end-user", string_match: { exact: "jason" } }], ["end-user", "Jason"]), false);
  assert.equal(matches([{ name: "end-user", string_match: { exact: "jason", ignore_case: true } }], ["end-user", "Jason"]), true);
  assert.equal(matches([{ name: "x", string_match: { prefix: "ab" } }], ["x", "abc"]), true);
  assert.equal(matches([{ name: "x", string_match: { suffix: "bc" } }], ["x", "abc"]), true);
  assert.equal(matches([{ name: "x", string_match: { contains: "b" } }], ["x", "abc"]), true);
  assert.equal(matches([{ name: "x", string_match: { safe_regex: { regex: "a.c" } } }], ["x", "abc"]), true);
  assert.equal(matches([{ name: "x", string_match: { safe_regex: { regex: "a" } } }], ["x", "abc"]), false);
  assert.equal(matches([{ name: "x", present_match: true }], ["x", ""]), true);
  assert.equal(matches([{ name: "x", present_match: true }], []), false);
  assert.equal(matches([{ name: "x", present_match: true, invert_match: true }], []), true);
  assert.equal(matches([{ name: "x", string_match: { exact: "a" }, invert_match: true }], ["x", "b"]), true);
  assert.equal(matches([{ name: "x", string_match: { exact: "a" } }], []), false);
  assert.equal(matches([{ name: "a", string_match: { exact: "1" } }, { name: "b", string_match: { exact: "2" } }], ["a", "1"]), false, "all headers must match");
});

test("weighted clusters: 70/30 picks 30±3% of 10000 draws; weight 0 never; all-zero is invalid", () => {
  const t = RouteTable.compile("r", { virtual_hosts: [vh("v", ["*"], [{ match: { prefix: "/" }, route: { weighted_clusters: { clusters: [{ name: "a", weight: { value: 70 } }, { name: "b", weight: { value: 30 } }, { name: "z", weight: { value: 0 } }] } } }])] });
  const action = t.route("x", "/", [])!.action;
  assert.ok(action.kind === "cluster");
  const counts: Record<string, number> = { a: 0, b: 0, z: 0 };
  for (let i = 0; i < 10000; i++) counts[action.clusters[pickClusterIndex(action)]]++;
  assert.equal(counts.z, 0);
  assert.ok(Math.abs(counts.b / 10000 - 0.3) < 0.03, `b share ${counts.b / 10000}`);
  assert.throws(() => RouteTable.compile("r", { virtual_hosts: [vh("v", ["*"], [{ match: { prefix: "/" }, route: { weighted_clusters: { clusters: [{ name: "a", weight: { value: 0 } }] } } }])] }),
    (e: Error & { code?: string }) => e.code === "PROXY_CONFIG_INVALID");
});

test("timeouts default to Envoy's 15s and honour route.timeout", () => {
  const t = RouteTable.compile("r", { virtual_hosts: [vh("v", ["*"], [
    { match: { prefix: "/a" }, route: { cluster: "c", timeout: { seconds: 2, nanos: 500_000_000 } } },
    { match: { prefix: "/" }, route: { cluster: "c" } },
  ])] });
  const timeout = (p: string) => { const a = t.route("x", p, [])!.action; return a.kind === "cluster" ? a.timeoutMs : -1; };
  assert.equal(timeout("/a"), 2500);
  assert.equal(timeout("/b"), 15000);
});
