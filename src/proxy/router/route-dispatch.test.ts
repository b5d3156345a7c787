// Tests of the router's decision for a matched route: local answers, unknown clusters, and the upstream target.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { DataPlane } from "../http/data-plane.js";
import type { HttpConnectionManagerConfig } from "../http/http-connection-manager-config.js";
import type { RequestHead } from "../http/request-head.js";
import { ResponseFlag, StreamInfo } from "../http/stream-info.js";
import { HttpConnectionManagerStats } from "../stats/proxy-stats.js";
import { staticCluster } from "../upstream/static-cluster.js";
import { dispatchRoute, type DispatchingStream } from "./route-dispatch.js";
import { RouteTable } from "./route-table.js";

const table = RouteTable.compile("r", {
  virtual_hosts: [{ name: "v", domains: ["*"], routes: [
    { match: { prefix: "/direct" }, direct_response: { status: 418, body: { inline_string: "teapot" } } },
    { match: { prefix: "/redirect" }, redirect: { host_redirect: "elsewhere", response_code: "FOUND" } },
    { match: { prefix: "/missing" }, route: { cluster: "nope" } },
    { match: { prefix: "/" }, route: { cluster: "c1" }, request_headers_to_add: [{ header: { key: "x-added", value: "1" } }] },
  ] }],
});
const cluster = staticCluster("c1", []);
const dataPlane = { cluster: (name: string) => (name === "c1" ? cluster : undefined) } as unknown as DataPlane;

function stream(path: string): DispatchingStream & { replies: unknown[][] } {
  const head: RequestHead = { method: "GET", path, versionMinor: 1, headers: ["host", "h"], host: "h", contentLength: -1, chunked: false, keepAlive: true, expectContinue: false };
  const replies: unknown[][] = [];
  return { head, streamInfo: new StreamInfo(), replies, sendLocalReply: (...args: unknown[]) => { replies.push(args); } };
}

function dispatch(path: string) {
  const s = stream(path);
  const hcm = { stats: new HttpConnectionManagerStats() } as HttpConnectionManagerConfig;
  const target = dispatchRoute(s, hcm, table.match({ host: "h", path, headers: s.head.headers, method: "GET" })!, dataPlane);
  return { s, stats: hcm.stats, target };
}

test("direct responses and redirects are answered locally and counted", () => {
  const direct = dispatch("/direct");
  assert.equal(direct.target, undefined);
  assert.deepEqual(direct.s.replies, [[418, "teapot", 0, []]]);
  assert.equal(direct.stats.rq_direct_response, 1);
  const redirect = dispatch("/redirect");
  assert.equal(redirect.target, undefined);
  assert.equal(redirect.s.replies[0][0], 302);
  assert.deepEqual(redirect.s.replies[0][3], ["location", "http://elsewhere/redirect"]);
  assert.equal(redirect.stats.rq_redirect, 1);
});

test("a route to a cluster that does not exist gets 503 NC and names the cluster", () => {
  const { s, stats, target } = dispatch("/missing");
  assert.equal(target, undefined);
  assert.deepEqual(s.replies, [[503, "", ResponseFlag.NoClusterFound]]);
  assert.equal(s.streamInfo.upstreamCluster, "nope");
  assert.equal(stats.no_cluster, 1);
});

test("a cluster route returns the target with the route's request edits applied", () => {
  const { s, target } = dispatch("/x");
  assert.equal(target?.cluster, cluster);
  assert.equal(target?.clusterIndex, 0);
  assert.equal(s.replies.length, 0);
  assert.deepEqual(s.head.headers, ["host", "h", "x-added", "1"]);
});
