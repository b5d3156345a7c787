// End to end: DestinationRule outlierDetection through a real control plane and client sidecar ejects failing endpoints and returns them.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Agent, createServer, type Server } from "node:http";
import {
  closeServer, configDir, httpGet, startControlPlane, startSidecarWith, waitFor, type ControlPlaneHandle, type WeftProcess,
} from "./support/mesh-processes.js";
import { clusterStat, hostHealthFlags } from "./support/proxy-admin.js";

const CP_IP = "127.0.8.1";
const CLIENT_IP = "127.0.8.10";
const APP_PORT = 26810;
const REVIEWS_IPS = ["127.0.8.21", "127.0.8.22", "127.0.8.23"];
const RATINGS_UP = "127.0.8.24";
/** A ratings endpoint where nothing listens: every connection is refused. */
const RATINGS_DOWN = "127.0.8.25";
const REVIEWS = "outbound|9080||reviews.default.svc.cluster.local";
const RATINGS = "outbound|9080||ratings.default.svc.cluster.local";

function service(name: string): string {
  return `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: ${name}
spec:
  hosts: [${name}.default.svc.cluster.local]
  ports:
  - {number: 9080, name: http, protocol: HTTP}
  resolution: STATIC
  workloadSelector:
    labels: {app: ${name}}
`;
}

function workloadEntry(app: string, address: string): string {
  return `
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata:
  name: ${app}-${address.replaceAll(".", "-")}
spec:
  address: ${address}
  labels: {app: ${app}}
  ports: {http: ${APP_PORT}}
`;
}

function destinationRule(name: string, outlierDetection: string): string {
  return `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: ${name}
spec:
  host: ${name}.default.svc.cluster.local
  trafficPolicy:
    loadBalancer: {simple: ROUND_ROBIN}
    outlierDetection: ${outlierDetection}
`;
}

const MESH = [
  service("reviews"),
  ...REVIEWS_IPS.map((ip) => workloadEntry("reviews", ip)),
  destinationRule("reviews", "{consecutive5xxErrors: 3, interval: 1s, baseEjectionTime: 3s, maxEjectionPercent: 100}"),
  service("ratings"),
  workloadEntry("ratings", RATINGS_UP),
  workloadEntry("ratings", RATINGS_DOWN),
  destinationRule("ratings", "{splitExternalLocalOriginErrors: true, consecutiveLocalOriginFailures: 2, interval: 1s, baseEjectionTime: 30s, maxEjectionPercent: 100}"),
].join("---");

/** An app answering `{"ip": …}` with 200, or 500 while `failing`. */
class App {
  failing = false;
  server!: Server;
  constructor(readonly ip: string) {}
  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      req.resume();
      const body = JSON.stringify({ ip: this.ip });
      res.writeHead(this.failing ? 500 : 200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      res.end(body);
    });
    await new Promise<void>((resolve) => this.server.listen(APP_PORT, this.ip, resolve));
  }
}

let config: Awaited<ReturnType<typeof configDir>>;
let cp: ControlPlaneHandle;
let client: WeftProcess;
const apps = [...REVIEWS_IPS, RATINGS_UP].map((ip) => new App(ip));
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

async function call(service: string): Promise<{ status: number; ip: string }> {
  const r = await httpGet(`http://${service}:9080/`, { via: `${CLIENT_IP}:15001`, agent });
  const ip = r.headers["content-type"] === "application/json" ? (JSON.parse(r.body) as { ip: string }).ip : "";
  return { status: r.status, ip };
}

const stat = (name: string, cluster: string) => clusterStat(`${CLIENT_IP}:15000`, name, cluster);
const healthFlags = (cluster: string, ip: string) => hostHealthFlags(`${CLIENT_IP}:15000`, cluster, `${ip}:${APP_PORT}`);

/** Requests reviews until `done()`; returns how many 500s it saw on the way. */
async function callUntil(done: () => Promise<boolean>, limit: number): Promise<number> {
  let errors = 0;
  for (let i = 0; i < limit && !(await done()); i++) if ((await call("reviews")).status === 500) errors++;
  return errors;
}

/** Milliseconds from `since` (performance.now()) until the endpoint's /clusters health flags read `healthy` again. */
async function healthyAfter(ip: string, since: number): Promise<number> {
  await waitFor(async () => (await healthFlags(REVIEWS, ip)) === "healthy", 15_000, () => client.stderr);
  return performance.now() - since;
}

before(async () => {
  for (const app of apps) await app.start();
  config = await configDir({ "mesh.yaml": MESH });
  cp = await startControlPlane(config.dir, { address: CP_IP, xdsPort: 26800, monitoringPort: 26801 });
  client = await startSidecarWith([`${CP_IP}:${cp.xdsPort}`], { ip: CLIENT_IP, workload: "productpage", labels: { app: "productpage" } });
  await waitFor(async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add((await call("reviews")).ip);
    return seen.size === 3;
  }, 10_000, () => client.stderr);
});

after(async () => {
  agent.destroy();
  await client?.stop();
  await cp?.proc.stop();
  for (const app of apps) if (app.server) await closeServer(app.server);
  await config?.remove();
});

test("one of three endpoints answering 500 is ejected after 3 errors, the others serve 60 requests without error, and it returns after baseEjectionTime (then 2× base when it fails again; each within −0.3 s/+2.5 s)", async () => {
  const bad = apps[2];
  bad.failing = true;
  const errors = await callUntil(async () => (await stat("outlier_detection_ejections_enforced_total", REVIEWS)) >= 1, 30);
  const ejectedAt = performance.now();
  assert.equal(errors, 3, "exactly consecutive5xxErrors 500s reach the client before the ejection");
  assert.equal(await healthFlags(REVIEWS, bad.ip), "/failed_outlier_check");
  assert.equal(await stat("outlier_detection_ejections_active", REVIEWS), 1);
  assert.equal(await stat("outlier_detection_ejections_enforced_consecutive_5xx", REVIEWS), 1);

  const answers = [];
  for (let i = 0; i < 60; i++) answers.push(await call("reviews"));
  assert.deepEqual(answers.filter((a) => a.status !== 200), []);
  assert.deepEqual([...new Set(answers.map((a) => a.ip))].sort(), REVIEWS_IPS.slice(0, 2));

  // Ejected for 3 s from the moment of ejection; it returns at the first 1 s interval tick after that.
  const first = await healthyAfter(bad.ip, ejectedAt);
  assert.ok(first > 3000 - 300 && first < 3000 + 1000 + 1500, `returned after ${Math.round(first)} ms`);

  // Still failing: ejected again at once, now for 2 × 3 s.
  const again = await callUntil(async () => (await stat("outlier_detection_ejections_enforced_total", REVIEWS)) >= 2, 30);
  assert.equal(again, 3);
  const reEjectedAt = performance.now();
  bad.failing = false;
  const second = await healthyAfter(bad.ip, reEjectedAt);
  assert.ok(second > 6000 - 300 && second < 6000 + 1000 + 1500, `second ejection lasted ${Math.round(second)} ms (2 × baseEjectionTime)`);
  assert.equal(await stat("outlier_detection_ejections_active", REVIEWS), 0);

  // Fixed, it serves again.
  await waitFor(async () => (await call("reviews")).ip === bad.ip, 5000);
});

test("splitExternalLocalOriginErrors: an endpoint refusing connections is ejected after consecutiveLocalOriginFailures (2) connect failures, hidden from clients by Istio's default connect-failure retry", async () => {
  const answers: string[] = [];
  await waitFor(async () => {
    const r = await call("ratings");
    answers.push(`${r.status} ${r.ip}`);
    return (await stat("outlier_detection_ejections_enforced_consecutive_local_origin_failure", RATINGS)) === 1;
  }, 10_000, () => client.stderr);
  assert.deepEqual(answers.filter((a) => a !== `200 ${RATINGS_UP}`), []);
  assert.equal(await stat("upstream_cx_connect_fail", RATINGS), 2);
  assert.equal(await healthFlags(RATINGS, RATINGS_DOWN), "/failed_outlier_check");
  assert.equal(await stat("outlier_detection_ejections_enforced_consecutive_5xx", RATINGS), 0);
  for (let i = 0; i < 20; i++) assert.equal((await call("ratings")).ip, RATINGS_UP);
  assert.equal(await stat("upstream_cx_connect_fail", RATINGS), 2, "no connection attempt to the ejected endpoint");
});
