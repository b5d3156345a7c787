// End to end: locality load balancing across three localities: traffic stays in the client's zone, fails over by proximity, and follows `distribute`.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Agent, type Server } from "node:http";
import {
  configDir, startControlPlane, startSidecar, startVersionApp, closeServer, httpGet, waitFor,
  type ControlPlaneHandle, type WeftProcess,
} from "./support/mesh-processes.js";

const CLIENT_IP = "127.0.6.1";
const PORT = 26610;
const CLUSTER = `outbound|${PORT}||geo.default.svc.cluster.local`;
/** One app per locality (the version reported is the locality's name). */
const ENDPOINTS = [
  { name: "east-zone1", address: "127.0.6.11", locality: "us-east/zone1" },
  { name: "east-zone2", address: "127.0.6.12", locality: "us-east/zone2" },
  { name: "west-zone1", address: "127.0.6.13", locality: "eu-west/zone1" },
] as const;

const SERVICE = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: geo
spec:
  hosts: [geo.default.svc.cluster.local]
  ports:
  - {number: ${PORT}, name: http, protocol: HTTP}
  resolution: STATIC
  workloadSelector:
    labels: {app: geo}
${ENDPOINTS.map((e) => `---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata:
  name: ${e.name}
spec:
  address: ${e.address}
  locality: ${e.locality}
  labels: {app: geo}
`).join("")}`;

/** Outlier detection is what turns locality failover on (Istio); one gateway error ejects an endpoint for a long time. */
function destinationRule(localityLbSetting: string): string {
  return `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: geo
spec:
  host: geo.default.svc.cluster.local
  trafficPolicy:
    outlierDetection: {consecutive5xxErrors: 1, consecutiveGatewayErrors: 1, interval: 1s, baseEjectionTime: 120s, maxEjectionPercent: 100}
    loadBalancer:
      simple: ROUND_ROBIN
${localityLbSetting ? `      localityLbSetting:\n${localityLbSetting}` : ""}
`;
}

const DISTRIBUTE = `        distribute:
        - from: us-east/zone1/*
          to: {"us-east/zone1/*": 20, "us-east/zone2/*": 80}
`;

let config: Awaited<ReturnType<typeof configDir>>;
let cp: ControlPlaneHandle;
let client: WeftProcess;
const apps = new Map<string, Server>();
const agent = new Agent({ keepAlive: true, maxSockets: 4 });

/** The locality names that answered `n` requests through the client sidecar (status ≠ 200 counted as "<status> <flags>"). */
async function tally(n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i += 4) {
    const batch = await Promise.all(Array.from({ length: Math.min(4, n - i) }, () =>
      httpGet(`http://geo.default.svc.cluster.local:${PORT}/`, { via: `${CLIENT_IP}:15001`, agent })));
    for (const r of batch) {
      const key = r.status === 200 ? (JSON.parse(r.body) as { version: string }).version : `${r.status} ${r.headers["x-envoy-response-flags"] ?? ""}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
  }
  return counts;
}

/** Sends batches of 20 requests until one answers only from `locality` (failures while an endpoint is being ejected are expected). */
async function settleOn(locality: string, ms: number): Promise<void> {
  await waitFor(async () => {
    const t = await tally(20);
    return t[locality] === 20;
  }, ms, () => client.stderr);
}

before(async () => {
  config = await configDir({ "geo.yaml": SERVICE, "geo-dr.yaml": destinationRule(DISTRIBUTE) });
  cp = await startControlPlane(config.dir);
  for (const e of ENDPOINTS) apps.set(e.name, await startVersionApp(e.address, PORT, e.name));
  client = await startSidecar(cp.xdsPort, { ip: CLIENT_IP, workload: "client", labels: { app: "client" }, locality: "us-east/zone1" });
});

after(async () => {
  agent.destroy();
  await client?.stop();
  await cp?.proc.stop();
  for (const app of apps.values()) await closeServer(app);
  await config?.remove();
});

test("distribute {zone1: 20, zone2: 80} from the client's zone splits 400 requests 20±8% / 80±8%, none to eu-west", async () => {
  await waitFor(async () => ((await tally(8))["east-zone2"] ?? 0) > 0, 10_000, () => client.stderr);
  const t = await tally(400);
  assert.equal(t["west-zone1"], undefined, JSON.stringify(t));
  assert.equal((t["east-zone1"] ?? 0) + (t["east-zone2"] ?? 0), 400, JSON.stringify(t));
  assert.ok(Math.abs((t["east-zone1"] ?? 0) / 400 - 0.2) <= 0.08, JSON.stringify(t));
});

test("failover by proximity: all traffic in the client's zone; its app stops → same region's other zone; that stops → the other region", async () => {
  await config.write("geo-dr.yaml", destinationRule(""));
  await settleOn("east-zone1", 10_000);
  assert.deepEqual(await tally(60), { "east-zone1": 60 }, "P0 = the client's own zone");

  await closeServer(apps.get("east-zone1")!);
  await settleOn("east-zone2", 15_000);
  assert.deepEqual(await tally(60), { "east-zone2": 60 }, "ejected zone1 → P1 = same region, other zone");

  await closeServer(apps.get("east-zone2")!);
  await settleOn("west-zone1", 15_000);
  assert.deepEqual(await tally(60), { "west-zone1": 60 }, "both us-east zones ejected → P2 = other region");

  const metrics = (await httpGet(`http://${CLIENT_IP}:15000/stats/prometheus`)).body;
  const metric = (name: string) => Number(new RegExp(`^envoy_cluster_${name}\\{cluster_name="${CLUSTER.replace(/\|/g, "\\|")}"\\} (\\d+)$`, "m").exec(metrics)?.[1]);
  assert.ok(metric("outlier_detection_ejections_enforced_total") >= 2, "the two zones were ejected by outlier detection");
  assert.equal(metric("membership_total"), 3);
  assert.equal(metric("membership_healthy"), 1, "ejected hosts are not healthy");
  assert.equal(metric("lb_healthy_panic"), 0, "outlier detection without minHealthPercent disables panic (Istio)");
});
