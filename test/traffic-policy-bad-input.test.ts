// End to end: bad DestinationRule traffic policies (issue 5) are rejected by the real control plane with file, resource
// and field, and the last good rule stays in force on the sidecars.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { configDir, httpGet, startControlPlane, startSidecar, waitFor, type ControlPlaneHandle, type WeftProcess } from "./support/mesh-processes.js";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const PORT = 26902;
const HOST = "geo.default.svc.cluster.local";
const CLUSTER = `outbound|${PORT}||${HOST}`;
const CLIENT = "127.0.9.21";

const SERVICE = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: geo
spec:
  hosts: [${HOST}]
  ports:
  - {number: ${PORT}, name: http, protocol: HTTP}
  resolution: STATIC
  endpoints:
  - {address: 127.0.9.22, locality: us-east/zone1}
`;

function rule(trafficPolicy: string): string {
  return `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: geo
spec:
  host: ${HOST}
  trafficPolicy:
${trafficPolicy}`;
}

const GOOD = rule(`    connectionPool: {tcp: {maxConnections: 7}}
    outlierDetection: {consecutive5xxErrors: 3, interval: 1s, baseEjectionTime: 30s, maxEjectionPercent: 50}`);

let config: Awaited<ReturnType<typeof configDir>>;
let cp: ControlPlaneHandle;
let sidecar: WeftProcess | undefined;

async function cluster(name = CLUSTER): Promise<Obj | undefined> {
  const configs = (JSON.parse((await httpGet(`http://${CLIENT}:15000/config_dump`)).body) as { configs: Obj[] }).configs;
  const cds = configs.find((c) => String(c["@type"]).endsWith("ClustersConfigDump"));
  return (cds?.dynamic_active_clusters as Obj[] | undefined)?.map((x) => x.cluster).find((c) => c.name === name);
}

/**
 * Makes the control plane push a change made after the rejection and waits until the sidecar has it: pushes arrive in
 * order, so whatever the rejection did to the rule has reached the sidecar by then.
 */
async function pushAfter(marker: string): Promise<void> {
  const host = `${marker}.default.svc.cluster.local`;
  await config.write("marker.yaml", `apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: marker}\nspec:\n  hosts: [${host}]\n  ports: [{number: 26904, name: http, protocol: HTTP}]\n  resolution: STATIC\n  endpoints: [{address: 127.0.9.23}]\n`);
  await waitFor(async () => (await cluster(`outbound|26904||${host}`)) !== undefined, 10_000);
}

async function rejectedResources(): Promise<number> {
  const m = (await httpGet(`http://127.0.0.1:${cp.monitoringPort}/metrics`)).body.match(/^weft_config_rejected_resources (\d+)$/m);
  assert.ok(m, "weft_config_rejected_resources is exported");
  return Number(m[1]);
}

before(async () => {
  config = await configDir({ "geo.yaml": SERVICE, "geo-dr.yaml": GOOD });
  cp = await startControlPlane(config.dir);
  sidecar = await startSidecar(cp.xdsPort, { ip: CLIENT, workload: "client", labels: { app: "client" }, locality: "us-east/zone1" });
  await waitFor(async () => (await cluster())?.circuit_breakers?.thresholds?.[0]?.max_connections === 7, 10_000);
});

after(async () => {
  await sidecar?.stop();
  await cp?.proc.stop();
  await config?.remove();
});

const BAD: [string, string, RegExp][] = [
  ["maxEjectionPercent over 100", `    outlierDetection: {consecutive5xxErrors: 3, maxEjectionPercent: 120}`, /spec\.trafficPolicy\.outlierDetection\.maxEjectionPercent: percentage 120 is not in range 0\.\.100/],
  ["a consistentHash with two keys", `    loadBalancer: {consistentHash: {httpHeaderName: x-user, httpQueryParameterName: u}}`, /spec\.trafficPolicy\.loadBalancer\.consistentHash: .*only one of the alternatives may be set \(found: httpHeaderName, httpQueryParameterName\)/],
  [
    "distribute weights not summing to 100",
    `    loadBalancer:\n      localityLbSetting:\n        distribute:\n        - {from: "us-east/*", to: {"us-east/*": 60, "eu-west/*": 30}}`,
    /spec\.trafficPolicy\.loadBalancer\.localityLbSetting\.distribute\[0\]\.to: total locality weight 90 != 100/,
  ],
  ["a negative baseEjectionTime", `    outlierDetection: {consecutive5xxErrors: 3, baseEjectionTime: -30s}`, /spec\.trafficPolicy\.outlierDetection\.baseEjectionTime: duration "-30s" is negative/],
  ["a negative connectTimeout", `    connectionPool: {tcp: {connectTimeout: -1s}}`, /spec\.trafficPolicy\.connectionPool\.tcp\.connectTimeout: duration "-1s" is negative/],
];

for (const [name, policy, reason] of BAD) {
  test(`${name}: rejected naming file, resource and field; the previous rule stays in force`, async () => {
    const before = await rejectedResources();
    await config.write("geo-dr.yaml", rule(policy));
    const line = new RegExp(`geo-dr\\.yaml:\\d+ DestinationRule default/geo ${reason.source}`);
    await cp.proc.waitForLog(line);
    await waitFor(async () => (await rejectedResources()) === before + 1, 3000);
    await pushAfter(`marker-${BAD.findIndex((b) => b[0] === name)}`);
    const c = await cluster();
    assert.equal(c?.circuit_breakers.thresholds[0].max_connections, 7, "the good rule's maxConnections");
    assert.equal(c?.outlier_detection.consecutive_5xx, 3);
    await config.write("geo-dr.yaml", GOOD);
    await waitFor(async () => (await rejectedResources()) === before, 3000);
  });
}

test("a fixed rule replaces the good one on the sidecar (the pipeline still moves)", async () => {
  await config.write("geo-dr.yaml", rule(`    connectionPool: {tcp: {maxConnections: 9}}`));
  await waitFor(async () => (await cluster())?.circuit_breakers?.thresholds?.[0]?.max_connections === 9, 10_000);
  assert.equal((await cluster())?.outlier_detection, undefined);
});
