// Tests of the HCM config's upgrade_configs and http_protocol_options parsing.

import { test } from "node:test";
import assert from "node:assert/strict";
import "../filters/router/router-filter.js";
import { HCM_TYPE, ROUTER_TYPE } from "../../xds/type-urls.js";
import { HttpConnectionManagerStats } from "../stats/proxy-stats.js";
import { HttpConnectionManagerConfig } from "./http-connection-manager-config.js";

function parse(extra: Record<string, unknown>): HttpConnectionManagerConfig {
  const hcm = {
    "@type": HCM_TYPE,
    stat_prefix: "p",
    rds: { route_config_name: "80" },
    http_filters: [{ name: "envoy.filters.http.router", typed_config: { "@type": ROUTER_TYPE } }],
    ...extra,
  };
  return HttpConnectionManagerConfig.parse("l", hcm, () => new HttpConnectionManagerStats());
}

test("without upgrade_configs no upgrade is allowed", () => {
  assert.equal(parse({}).allowsUpgrade("websocket"), false);
});

test("upgrade_configs enables its types, case-insensitively; enabled: false disables one", () => {
  const c = parse({ upgrade_configs: [{ upgrade_type: "WebSocket" }, { upgrade_type: "foo", enabled: { value: false } }] });
  assert.equal(c.allowsUpgrade("websocket"), true);
  assert.equal(c.allowsUpgrade("WEBSOCKET"), true);
  assert.equal(c.allowsUpgrade("foo"), false);
  assert.equal(c.allowsUpgrade("h2c"), false);
});

test("a route's upgrade_configs entry overrides the HCM either way", () => {
  const c = parse({ upgrade_configs: [{ upgrade_type: "websocket" }, { upgrade_type: "off", enabled: { value: false } }] });
  assert.equal(c.allowsUpgrade("websocket", [{ upgrade_type: "WebSocket", enabled: { value: false } }]), false);
  assert.equal(c.allowsUpgrade("off", [{ upgrade_type: "off" }]), true);
  assert.equal(c.allowsUpgrade("h2c", [{ upgrade_type: "h2c" }]), true);
  assert.equal(c.allowsUpgrade("websocket", [{ upgrade_type: "h2c" }]), true);
});

test("per-upgrade custom filter chains are refused", () => {
  assert.throws(() => parse({ upgrade_configs: [{ upgrade_type: "websocket", filters: [{ name: "x" }] }] }), /custom filters are not supported/);
});

test("http_protocol_options.enable_trailers defaults to false", () => {
  assert.equal(parse({}).http1EnableTrailers, false);
  assert.equal(parse({ http_protocol_options: { enable_trailers: true } }).http1EnableTrailers, true);
});
