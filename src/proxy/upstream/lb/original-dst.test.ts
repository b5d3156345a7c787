// Tests of the ORIGINAL_DST picker: hosts made from the request's destination, reused, validated.

import { test } from "node:test";
import assert from "node:assert/strict";
import { ClusterStats } from "../../stats/proxy-stats.js";
import { ClusterResources } from "../cluster-resources.js";
import { DEFAULT_CONNECTION_OPTIONS } from "../connection-options.js";
import { parseLbConfig } from "./lb-config.js";
import { closeOriginalDstHosts, originalDstPicker, parseHostPort } from "./original-dst.js";

const config = parseLbConfig("pass", { type: "ORIGINAL_DST", lb_policy: "CLUSTER_PROVIDED", cleanup_interval: { nanos: 50_000_000 } });

test("the host is the request's original destination, one Host per address kept across pickers of the cluster", () => {
  const cluster = { name: "pass", stats: new ClusterStats(), connectTimeoutMs: 1000 };
  const ctx = (dst: string | undefined) => ({ hashKey: () => undefined, originalDestination: () => dst });
  const p = originalDstPicker(config, cluster);
  const a = p.pick(ctx("127.0.5.9:8080"))!;
  assert.deepEqual([a.address, a.port], ["127.0.5.9", 8080]);
  assert.equal(p.pick(ctx("127.0.5.9:8080")), a);
  assert.equal(originalDstPicker(config, cluster).pick(ctx("127.0.5.9:8080")), a);
  assert.notEqual(p.pick(ctx("127.0.5.10:8080")), a);
  assert.equal(p.pick(ctx(undefined)), undefined);
  assert.equal(p.pick(ctx("example.com:80")), undefined);
  assert.equal(p.pick(undefined), undefined);
});

test("hosts unused for a cleanup interval are dropped", async () => {
  const cluster = { name: "pass", stats: new ClusterStats(), connectTimeoutMs: 1000 };
  const ctx = { hashKey: () => undefined, originalDestination: () => "127.0.5.9:80" };
  const p = originalDstPicker(config, cluster);
  const a = p.pick(ctx);
  await new Promise((r) => setTimeout(r, 160));
  assert.notEqual(p.pick(ctx), a);
});

test("closing the cluster closes its on-demand hosts and a later pick makes a new one", () => {
  const cluster = { name: "pass", stats: new ClusterStats(), connectTimeoutMs: 1000 };
  const ctx = { hashKey: () => undefined, originalDestination: () => "127.0.5.9:80" };
  const a = originalDstPicker(config, cluster).pick(ctx)!;
  let closed = 0;
  a.close = () => { closed++; };
  closeOriginalDstHosts(cluster.stats);
  assert.equal(closed, 1);
  assert.notEqual(originalDstPicker(config, cluster).pick(ctx), a);
  closeOriginalDstHosts(cluster.stats);
});

test("on-demand hosts share the cluster's circuit-breaker counts and connection options", () => {
  const state = { stats: new ClusterStats(), resources: new ClusterResources(), connection: DEFAULT_CONNECTION_OPTIONS };
  const cluster = { name: "pass", stats: state.stats, connectTimeoutMs: 1000, state };
  const p = originalDstPicker(config, cluster);
  const a = p.pick({ hashKey: () => undefined, originalDestination: () => "127.0.5.9:80" })!;
  const b = p.pick({ hashKey: () => undefined, originalDestination: () => "127.0.5.10:80" })!;
  assert.equal((a.pool as unknown as { cluster: unknown }).cluster, state);
  assert.equal((b.pool as unknown as { cluster: unknown }).cluster, state);
  closeOriginalDstHosts(cluster.stats);
});

test("parseHostPort accepts literal IPv4 and bracketed IPv6 with a port only", () => {
  assert.deepEqual(parseHostPort("10.0.0.1:80"), ["10.0.0.1", 80]);
  assert.deepEqual(parseHostPort("[::1]:8080"), ["::1", 8080]);
  for (const bad of ["10.0.0.1", "10.0.0.1:0", "10.0.0.1:99999", "host:80", "::1:80", "[::1]", "10.0.0.1:8a"]) assert.equal(parseHostPort(bad), undefined, bad);
});
