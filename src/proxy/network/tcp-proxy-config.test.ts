// Unit tests for TcpProxy parsing and weighted cluster picking.

import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_IDLE_TIMEOUT_MS, TcpProxyConfig } from "./tcp-proxy-config.js";

test("cluster form: one cluster, Envoy's defaults (idle 1 h, one connect attempt)", () => {
  const c = TcpProxyConfig.parse("l", { stat_prefix: "s", cluster: "outbound|9000||echo" });
  assert.equal(c.pickCluster(0.99), "outbound|9000||echo");
  assert.equal(c.idleTimeoutMs, DEFAULT_IDLE_TIMEOUT_MS);
  assert.equal(c.maxConnectAttempts, 1);
});

test("weights 75/25 split [0,1) proportionally, and ~25±3% of 4000 random picks go to the 25 cluster", () => {
  const c = TcpProxyConfig.parse("l", {
    stat_prefix: "s", weighted_clusters: { clusters: [{ name: "a", weight: 75 }, { name: "b", weight: 25 }] },
    idle_timeout: { seconds: 5 }, max_connect_attempts: { value: 3 },
  });
  assert.equal(c.pickCluster(0), "a");
  assert.equal(c.pickCluster(0.7499), "a");
  assert.equal(c.pickCluster(0.75), "b");
  assert.equal(c.pickCluster(0.9999), "b");
  assert.equal(c.idleTimeoutMs, 5000);
  assert.equal(c.maxConnectAttempts, 3);
  let b = 0;
  for (let i = 0; i < 4000; i++) if (c.pickCluster() === "b") b++;
  assert.ok(b > 880 && b < 1120, `b picked ${b}/4000`);
});

test("rejects a TcpProxy without stat_prefix, without a cluster, or with a zero weight", () => {
  assert.throws(() => TcpProxyConfig.parse("l", { cluster: "c" }), /stat_prefix/);
  assert.throws(() => TcpProxyConfig.parse("l", { stat_prefix: "s" }), /cluster or weighted_clusters/);
  assert.throws(() => TcpProxyConfig.parse("l", { stat_prefix: "s", weighted_clusters: { clusters: [{ name: "a", weight: 0 }] } }), /weight/);
});
