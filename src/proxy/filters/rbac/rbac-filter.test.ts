import { test } from "node:test";
import assert from "node:assert/strict";
import { FilterStatus, type HttpFilterCallbacks } from "../http-filter.js";
import { StreamInfo } from "../../http/stream-info.js";
import type { RequestHead } from "../../http/request-head.js";
import { RouteEntry } from "../../router/route-entry.js";
import { HttpConnectionManagerStats } from "../../stats/proxy-stats.js";
import { compileRbacFilterConfig, RbacFilterFactory } from "./rbac-filter.js";

const PER_ROUTE = "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBACPerRoute";
const head = (path: string, method = "GET"): RequestHead => ({ method, path, versionMinor: 1, headers: [], host: "a", contentLength: -1, chunked: false, keepAlive: true, expectContinue: false });
const pathPolicy = (prefix: string) => ({ permissions: [{ url_path: { path: { prefix } } }], principals: [{ any: true }] });

function run(config: object, req: RequestHead, route?: RouteEntry, stats = new HttpConnectionManagerStats()) {
  const replies: Array<{ status: number; body: string }> = [];
  const info = new StreamInfo();
  const cb: HttpFilterCallbacks = {
    streamInfo: info, continueDecoding() {}, route: () => route,
    sendLocalReply(status, body) { replies.push({ status, body }); },
  };
  const status = new RbacFilterFactory(compileRbacFilterConfig("t", config as Record<string, unknown>), stats).create(cb).decodeHeaders!(req, true);
  return { status, replies, info, stats };
}

const count = (s: HttpConnectionManagerStats, name: string) => s.rbac.get(name)?.value ?? 0;

test("a denied request gets 403 'RBAC: access denied' with Envoy's response code details and counts rbac.denied", () => {
  const { status, replies, info, stats } = run({ rules: { action: "ALLOW", policies: { "allow-api": pathPolicy("/api") } } }, head("/admin"));
  assert.equal(status, FilterStatus.StopIteration);
  assert.deepEqual(replies, [{ status: 403, body: "RBAC: access denied" }]);
  assert.equal(info.responseCodeDetails, "rbac_access_denied_matched_policy[none]");
  assert.equal(count(stats, "denied"), 1);
  assert.equal(count(stats, "allowed"), 0);
  const deny = run({ rules: { action: "DENY", policies: { "no admin": pathPolicy("/admin") } } }, head("/admin"));
  assert.equal(deny.info.responseCodeDetails, "rbac_access_denied_matched_policy[no_admin]", "whitespace in the policy id becomes _");
});

test("an allowed request continues and counts rbac.<rules_stat_prefix>allowed", () => {
  const { status, replies, stats, info } = run({ rules: { policies: { p: pathPolicy("/api") } }, rules_stat_prefix: "pre_" }, head("/api/x"));
  assert.equal(status, FilterStatus.Continue);
  assert.equal(replies.length, 0);
  assert.equal(count(stats, "pre_allowed"), 1);
  assert.deepEqual(info.dynamicMetadata?.get("envoy.filters.http.rbac"), { pre_enforced_engine_result: "allowed", pre_enforced_effective_policy_id: "p" });
});

test("shadow rules are only counted and recorded in dynamic metadata, never enforced", () => {
  const cfg = { shadow_rules: { action: "DENY", policies: { "ns[foo]-policy[dry]-rule[0]": pathPolicy("/admin") } }, shadow_rules_stat_prefix: "istio_dry_run_deny_" };
  const stats = new HttpConnectionManagerStats();
  const denied = run(cfg, head("/admin"), undefined, stats);
  assert.equal(denied.status, FilterStatus.Continue);
  assert.equal(denied.replies.length, 0);
  assert.deepEqual(denied.info.dynamicMetadata?.get("envoy.filters.http.rbac"), {
    istio_dry_run_deny_shadow_engine_result: "denied", istio_dry_run_deny_shadow_effective_policy_id: "ns[foo]-policy[dry]-rule[0]",
  });
  run(cfg, head("/ok"), undefined, stats);
  assert.equal(count(stats, "istio_dry_run_deny_shadow_denied"), 1);
  assert.equal(count(stats, "istio_dry_run_deny_shadow_allowed"), 1);
  assert.equal(count(stats, "allowed") + count(stats, "denied"), 0, "no enforcing engine, no enforcement stats");
});

test("LOG never denies; a match sets envoy.common access_log_hint", () => {
  const r = run({ rules: { action: "LOG", policies: { p: pathPolicy("/") } } }, head("/x"));
  assert.equal(r.status, FilterStatus.Continue);
  assert.deepEqual(r.info.dynamicMetadata?.get("envoy.common"), { access_log_hint: true });
});

test("a route's RBACPerRoute replaces the filter's rules; an empty one disables enforcement on that route", () => {
  const cfg = { rules: { action: "DENY", policies: { all: pathPolicy("/") } } };
  const route = (rbac: object | undefined) => RouteEntry.compile("rc", {
    match: { prefix: "/" }, route: { cluster: "c" },
    typed_per_filter_config: { "envoy.filters.http.rbac": { "@type": PER_ROUTE, ...(rbac === undefined ? {} : { rbac }) } },
  });
  assert.equal(run(cfg, head("/x")).status, FilterStatus.StopIteration);
  assert.equal(run(cfg, head("/x"), route(undefined)).status, FilterStatus.Continue);
  assert.equal(run(cfg, head("/x"), route({ rules: { action: "ALLOW", policies: { x: pathPolicy("/x") } } })).status, FilterStatus.Continue);
  assert.equal(run(cfg, head("/y"), route({ rules: { action: "ALLOW", policies: { x: pathPolicy("/x") } } })).status, FilterStatus.StopIteration);
});

test("the xDS matcher API is refused at config time", () => {
  assert.throws(() => compileRbacFilterConfig("lds l", { matcher: {} }), /matcher \/ shadow_matcher/);
});
