// End to end: a real `weft proxy --xds-protocol sotw` against a scripted SotW ADS server — ACK, NACK with reason, last good config kept, reconnect.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import type { Server as HttpServer } from "node:http";
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from "../src/xds/type-urls.js";
import { assignment, edsCluster, outboundListener, routeConfig, virtualOutboundListener } from "../src/proxy/testing/envoy-fixtures.js";
import { runWeft, startVersionApp, serverPort, closeServer, httpGet, waitFor, type WeftProcess } from "./support/mesh-processes.js";
import { ScriptedAds } from "./support/scripted-ads.js";

const PROXY_IP = "127.0.0.80";
const CLUSTER = "outbound|9080||reviews.default.svc.cluster.local";

function mesh(ads: ScriptedAds, appPort: number, version: string): void {
  ads.set(CLUSTER_TYPE, version, [edsCluster(CLUSTER)]);
  ads.set(ENDPOINT_TYPE, version, [assignment(CLUSTER, [["127.0.0.1", appPort]])]);
  ads.set(LISTENER_TYPE, version, [virtualOutboundListener(), outboundListener(9080)]);
  ads.set(ROUTE_TYPE, version, [routeConfig("9080", [{ name: "reviews", domains: ["reviews:9080"], routes: [{ match: { prefix: "/" }, route: { cluster: CLUSTER } }] }])]);
}

let ads: ScriptedAds;
let proxy: WeftProcess;
let app: HttpServer;

const status = async () => (await httpGet("http://reviews:9080/", { via: `${PROXY_IP}:15001` })).status;

before(async () => {
  app = await startVersionApp("127.0.0.1", 0, "v1");
  ads = new ScriptedAds();
  await ads.listen();
  mesh(ads, serverPort(app), "v1");
  proxy = runWeft("proxy", ["proxy", "--xds", `127.0.0.1:${ads.port}`, "--xds-protocol", "sotw", "--ip", PROXY_IP, "--workload", "client", "--labels", "app=client"]);
  await waitFor(async () => (await status()) === 200, 10_000, () => proxy.stderr);
});

after(async () => {
  await proxy?.stop();
  ads?.close();
  if (app) await closeServer(app);
});

test("the proxy ACKs every type with the version and nonce it was sent, and subscribes to the RDS/EDS names it needs", () => {
  for (const type of [CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE]) {
    const acks = ads.requests.filter((r) => r.type_url === type && r.response_nonce !== "" && !r.error_detail);
    assert.ok(acks.length > 0, `ACK for ${type}`);
    assert.equal(acks.at(-1)!.version_info, "v1");
  }
  const eds = ads.requests.filter((r) => r.type_url === ENDPOINT_TYPE).at(-1)!;
  assert.deepEqual(eds.resource_names, [CLUSTER]);
  const rds = ads.requests.filter((r) => r.type_url === ROUTE_TYPE).at(-1)!;
  assert.deepEqual(rds.resource_names, ["9080"]);
  assert.ok(ads.requests[0].node?.id?.startsWith(`sidecar~${PROXY_IP}~client.default~`));
});

test("an invalid cluster is NACKed with the reason, the accepted version stays, and traffic keeps flowing", async () => {
  ads.set(CLUSTER_TYPE, "v2", [{ name: CLUSTER, type: "EDS", connect_timeout: { seconds: 1 } }]);
  const nonce = ads.send(CLUSTER_TYPE);
  await waitFor(() => ads.reply(nonce) !== undefined, 5000);
  const nack = ads.reply(nonce)!;
  assert.equal(nack.version_info, "v1");
  assert.equal(nack.error_detail?.code, 3);
  assert.match(nack.error_detail?.message ?? "", /eds_cluster_config/);
  assert.equal(await status(), 200);
});

test("an invalid route regex is NACKed and the previous routes keep serving", async () => {
  ads.set(ROUTE_TYPE, "v2", [routeConfig("9080", [{ name: "reviews", domains: ["reviews:9080"], routes: [{ match: { safe_regex: { regex: "(unclosed" } }, route: { cluster: CLUSTER } }] }])]);
  const nonce = ads.send(ROUTE_TYPE);
  await waitFor(() => ads.reply(nonce) !== undefined, 5000);
  assert.equal(ads.reply(nonce)!.version_info, "v1");
  assert.ok(ads.reply(nonce)!.error_detail?.message);
  assert.equal(await status(), 200);
});

test("with the control plane gone the proxy keeps serving; when it returns the proxy reconnects with its accepted versions", async () => {
  const port = ads.port;
  ads.close();
  for (let i = 0; i < 20; i++) assert.equal(await status(), 200);
  const next = new ScriptedAds();
  await next.listen("127.0.0.1", port);
  mesh(next, serverPort(app), "v3");
  try {
    await waitFor(() => next.requests.some((r) => r.type_url === CLUSTER_TYPE), 20_000, () => proxy.stderr);
    const first = next.requests.find((r) => r.type_url === CLUSTER_TYPE)!;
    assert.equal(first.version_info, "v1", "reconnect carries the accepted version");
    await waitFor(() => next.requests.some((r) => r.type_url === CLUSTER_TYPE && r.version_info === "v3"), 5000);
    assert.equal(await status(), 200);
  } finally {
    ads = next;
  }
});
