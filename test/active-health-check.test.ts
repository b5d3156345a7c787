// End to end: a real `weft proxy` fed by a scripted ADS server runs a cluster's active HTTP health check and survives odd EDS.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Agent, createServer, type Server } from "node:http";
import type { DiscoveryRequest } from "../src/xds/discovery.js";
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from "../src/xds/type-urls.js";
import { assignment, edsCluster, outboundListener, routeConfig, virtualOutboundListener } from "../src/proxy/testing/envoy-fixtures.js";
import { closeServer, httpGet, runWeft, waitFor, type WeftProcess } from "./support/mesh-processes.js";
import { clusterStat, hostHealthFlags } from "./support/proxy-admin.js";
import { ScriptedAds } from "./support/scripted-ads.js";

// Istio does not translate active health checks; Weft's control plane validates EnvoyFilter but does not apply it,
// so the cluster's health_checks come from a scripted ADS server, as an EnvoyFilter CLUSTER patch would give them.
const ADS_IP = "127.0.8.2";
const PROXY_IP = "127.0.8.30";
const APP_IPS = ["127.0.8.31", "127.0.8.32"];
const APP_PORT = 26820;
const CHECKED = "outbound|9080||reviews.default.svc.cluster.local";
const ODD = "outbound|9080||odd.default.svc.cluster.local";
const INTERVAL_MS = 300;
const TIMEOUT_MS = 200;
const UNHEALTHY_THRESHOLD = 2;

const ms = (n: number) => ({ seconds: Math.floor(n / 1000), nanos: (n % 1000) * 1e6 });

const checkedCluster = {
  ...edsCluster(CHECKED),
  health_checks: [{
    timeout: ms(TIMEOUT_MS), interval: ms(INTERVAL_MS), no_traffic_interval: ms(INTERVAL_MS),
    unhealthy_threshold: { value: UNHEALTHY_THRESHOLD }, healthy_threshold: { value: 2 },
    http_health_check: { path: "/healthz" },
  }],
};
/** Panic mode off, so that a cluster without healthy hosts answers 503 UH (Istio's setting with outlier detection). */
const oddCluster = { ...edsCluster(ODD), common_lb_config: { healthy_panic_threshold: { value: 0 } } };

/** An app that can stop answering (it accepts connections and never responds, health checks included). */
class App {
  hung = false;
  healthChecks = 0;
  server!: Server;
  constructor(readonly ip: string) {}
  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      req.resume();
      if (req.url === "/healthz") this.healthChecks++;
      if (this.hung) return;
      res.writeHead(200, { "content-type": "text/plain" }).end(this.ip);
    });
    await new Promise<void>((resolve) => this.server.listen(APP_PORT, this.ip, resolve));
  }
}

let ads: ScriptedAds;
let proxy: WeftProcess;
const apps = APP_IPS.map((ip) => new App(ip));
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
let edsVersion = 0;

const get = (service: string) => httpGet(`http://${service}:9080/`, { via: `${PROXY_IP}:15001`, agent });

const healthFlags = (cluster: string, ip: string) => hostHealthFlags(`${PROXY_IP}:15000`, cluster, `${ip}:${APP_PORT}`);
const stat = (name: string) => clusterStat(`${PROXY_IP}:15000`, name, CHECKED);

/** Pushes EDS for both clusters (the checked one unchanged) and returns the proxy's reply. */
async function pushOddEndpoints(odd: object): Promise<DiscoveryRequest> {
  const version = `e${++edsVersion}`;
  ads.set(ENDPOINT_TYPE, version, [assignment(CHECKED, APP_IPS.map((ip) => [ip, APP_PORT])), odd]);
  const nonce = ads.send(ENDPOINT_TYPE);
  await waitFor(() => ads.reply(nonce) !== undefined, 5000);
  return ads.reply(nonce)!;
}

before(async () => {
  for (const app of apps) await app.start();
  ads = new ScriptedAds();
  await ads.listen(ADS_IP, 26802);
  ads.set(CLUSTER_TYPE, "c1", [checkedCluster, oddCluster]);
  ads.set(ENDPOINT_TYPE, "e0", [assignment(CHECKED, APP_IPS.map((ip) => [ip, APP_PORT])), assignment(ODD, [])]);
  ads.set(LISTENER_TYPE, "l1", [virtualOutboundListener(), outboundListener(9080)]);
  ads.set(ROUTE_TYPE, "r1", [routeConfig("9080", [
    { name: "reviews", domains: ["reviews:9080"], routes: [{ match: { prefix: "/" }, route: { cluster: CHECKED } }] },
    { name: "odd", domains: ["odd:9080"], routes: [{ match: { prefix: "/" }, route: { cluster: ODD } }] },
  ])]);
  proxy = runWeft("proxy", ["proxy", "--xds", `${ADS_IP}:${ads.port}`, "--xds-protocol", "sotw", "--ip", PROXY_IP,
    "--workload", "client", "--labels", "app=client", "--admin-port", "15000"]);
  await waitFor(async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) seen.add((await get("reviews")).body);
    return seen.size === 2;
  }, 10_000, () => proxy.stderr);
});

after(async () => {
  agent.destroy();
  await proxy?.stop();
  ads?.close();
  for (const app of apps) if (app.server) await closeServer(app.server);
});

test(`an app that stops answering is taken out by the HTTP health check within ${UNHEALTHY_THRESHOLD} × (interval + timeout) + 1 s and put back after healthy_threshold passes`, async () => {
  const [hung, other] = apps;
  assert.ok(hung.healthChecks > 0 && other.healthChecks > 0, "both apps are being health checked");
  assert.equal(await healthFlags(CHECKED, hung.ip), "healthy");
  hung.hung = true;
  const t0 = performance.now();
  await waitFor(async () => (await healthFlags(CHECKED, hung.ip)) === "/failed_active_hc", 5000, () => proxy.stderr);
  const outAfter = performance.now() - t0;
  assert.ok(outAfter < UNHEALTHY_THRESHOLD * (INTERVAL_MS + TIMEOUT_MS) + 1000, `taken out after ${Math.round(outAfter)} ms`);
  assert.ok((await stat("health_check_network_failure")) >= UNHEALTHY_THRESHOLD);
  assert.equal(await stat("health_check_healthy"), 1);

  for (let i = 0; i < 30; i++) {
    const r = await get("reviews");
    assert.deepEqual([r.status, r.body], [200, other.ip]);
  }

  hung.hung = false;
  await waitFor(async () => (await healthFlags(CHECKED, hung.ip)) === "healthy", 5000, () => proxy.stderr);
  assert.equal(await stat("health_check_healthy"), 2);
  await waitFor(async () => (await get("reviews")).body === hung.ip, 2000);
});

test("odd EDS: no endpoints, all UNHEALTHY, all DRAINING answer 503 UH; a zero weight is NACKed; the other cluster keeps serving", async () => {
  const expectNoHealthyUpstream = async (what: string) => {
    const r = await get("odd");
    assert.deepEqual([r.status, r.body], [503, "no healthy upstream"], what);
    assert.equal((await get("reviews")).status, 200, `${what}: the other cluster still serves`);
  };
  assert.equal((await pushOddEndpoints(assignment(ODD, []))).error_detail ?? undefined, undefined);
  await expectNoHealthyUpstream("no endpoints");
  for (const health of ["UNHEALTHY", "DRAINING", "TIMEOUT"]) {
    assert.equal((await pushOddEndpoints(assignment(ODD, APP_IPS.map((ip) => [ip, APP_PORT]), health))).error_detail ?? undefined, undefined);
    assert.equal(await healthFlags(ODD, APP_IPS[0]), health === "DRAINING" ? "/failed_eds_health/eds_status_draining" : "/failed_eds_health");
    await expectNoHealthyUpstream(`all ${health}`);
  }
  const zero = assignment(ODD, [[APP_IPS[0], APP_PORT]]) as { endpoints: Array<{ lb_endpoints: Array<Record<string, unknown>> }> };
  zero.endpoints[0].lb_endpoints[0].load_balancing_weight = { value: 0 };
  const nack = await pushOddEndpoints(zero);
  assert.match(nack.error_detail?.message ?? "", /load_balancing_weight/);
  await expectNoHealthyUpstream("after the NACK, the last accepted EDS (all TIMEOUT)");
});
