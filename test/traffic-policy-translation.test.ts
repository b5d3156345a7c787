// End to end: a DestinationRule's traffic policy through a real control plane: per-proxy locality priorities for
// `weft proxy --locality` sidecars, the whole cluster translation (PASSTHROUGH included) accepted by them, and a real grpc-js-xds client
// obeying the priorities (it stays in its zone and fails over by proximity).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as grpcXds from "@grpc/grpc-js-xds";
import { status, type Client } from "@grpc/grpc-js";
import { configDir, httpGet, startControlPlane, startSidecar, waitFor, type ControlPlaneHandle, type WeftProcess } from "./support/mesh-processes.js";
import { echo, EchoServer, waitReady, xdsClient } from "./support/grpc-echo.js";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const PORT = 26901;
const HOST = "geo.default.svc.cluster.local";
const CLUSTER = `outbound|${PORT}||${HOST}`;
const EAST_CLIENT = "127.0.9.1";
const WEST_CLIENT = "127.0.9.2";
const GRPC_CLIENT = "127.0.9.3";
const BACKENDS = [
  { ip: "127.0.9.11", locality: "us-east/zone1" },
  { ip: "127.0.9.12", locality: "us-east/zone2" },
  { ip: "127.0.9.13", locality: "eu-west/zone1" },
  { ip: "127.0.9.14", locality: "ap-south/zone1" },
];

const MESH = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: geo
spec:
  hosts: [${HOST}]
  ports:
  - {number: ${PORT}, name: grpc, protocol: GRPC}
  resolution: STATIC
  endpoints:
${BACKENDS.map((b) => `  - {address: ${b.ip}, locality: ${b.locality}}`).join("\n")}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: geo
spec:
  host: ${HOST}
  trafficPolicy:
    connectionPool:
      tcp: {maxConnections: 100, connectTimeout: 500ms, tcpKeepalive: {probes: 3, time: 60s, interval: 10s}}
      http: {http1MaxPendingRequests: 10, maxRetries: 3}
    outlierDetection: {consecutive5xxErrors: 5, interval: 1s, baseEjectionTime: 30s, maxEjectionPercent: 100}
    loadBalancer:
      simple: ROUND_ROBIN
      warmup: {duration: 10s}
      localityLbSetting:
        failover: [{from: us-east, to: eu-west}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: direct
spec:
  hosts: [direct.default.svc.cluster.local]
  ports:
  - {number: 26903, name: http, protocol: HTTP}
  resolution: STATIC
  endpoints:
  - {address: 127.0.9.15}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: direct
spec:
  host: direct.default.svc.cluster.local
  trafficPolicy:
    loadBalancer: {simple: PASSTHROUGH}
`;

let config: Awaited<ReturnType<typeof configDir>>;
let cp: ControlPlaneHandle;
const sidecars: WeftProcess[] = [];
const servers = new Map<string, EchoServer>();
let grpcClient: Client | undefined;

async function dump(ip: string): Promise<Obj[]> {
  return (JSON.parse((await httpGet(`http://${ip}:15000/config_dump?include_eds`)).body) as { configs: Obj[] }).configs;
}

/** The sidecar's accepted assignment for CLUSTER, as `ip → priority`. */
async function priorities(ip: string): Promise<Record<string, number> | undefined> {
  const eds = (await dump(ip)).find((c) => String(c["@type"]).endsWith("EndpointsConfigDump"));
  const cla = (eds?.dynamic_endpoint_configs as Obj[] | undefined)?.map((e) => e.endpoint_config).find((e) => e.cluster_name === CLUSTER);
  if (!cla) return undefined;
  const out: Record<string, number> = {};
  for (const l of cla.endpoints as Obj[]) for (const e of l.lb_endpoints as Obj[]) out[e.endpoint.address.socket_address.address] = l.priority ?? 0;
  return out;
}

before(async () => {
  config = await configDir({ "mesh.yaml": MESH });
  cp = await startControlPlane(config.dir);
  for (const b of BACKENDS) servers.set(b.ip, await EchoServer.start(b.ip, PORT, b.ip));
  sidecars.push(
    await startSidecar(cp.xdsPort, { ip: EAST_CLIENT, workload: "east-client", labels: { app: "client" }, locality: "us-east/zone1" }),
    await startSidecar(cp.xdsPort, { ip: WEST_CLIENT, workload: "west-client", labels: { app: "client" }, locality: "eu-west/zone1/rack7" }),
  );
});

after(async () => {
  grpcClient?.close();
  await Promise.all(sidecars.map((p) => p.stop()));
  for (const s of servers.values()) s.stop();
  await cp?.proc.stop();
  await config?.remove();
});

test("--locality reaches the control plane as node.locality", async () => {
  const boot = (await dump(WEST_CLIENT)).find((c) => String(c["@type"]).endsWith("BootstrapConfigDump"))!;
  assert.deepEqual(boot.bootstrap.node.locality, { region: "eu-west", zone: "zone1", sub_zone: "rack7" });
});

test("each sidecar accepts its own EDS priorities: by proximity, failover us-east → eu-west before the rest", async () => {
  await waitFor(async () => (await priorities(EAST_CLIENT)) !== undefined && (await priorities(WEST_CLIENT)) !== undefined, 10_000);
  assert.deepEqual(await priorities(EAST_CLIENT), { "127.0.9.11": 0, "127.0.9.12": 1, "127.0.9.13": 2, "127.0.9.14": 3 });
  assert.deepEqual(await priorities(WEST_CLIENT), { "127.0.9.11": 1, "127.0.9.12": 1, "127.0.9.13": 0, "127.0.9.14": 1 });
});

test("the sidecar accepts the whole cluster translation (lb, warmup, keepalive, circuit breakers, outlier, locality-weighted)", async () => {
  const cds = (await dump(EAST_CLIENT)).find((c) => String(c["@type"]).endsWith("ClustersConfigDump"))!;
  const c = (cds.dynamic_active_clusters as Obj[]).map((x) => x.cluster).find((x) => x.name === CLUSTER);
  assert.ok(c, "cluster accepted");
  // The dump is Envoy's proto JSON: durations as strings, wrappers as plain numbers.
  assert.equal(c.lb_policy, "ROUND_ROBIN");
  assert.deepEqual(c.round_robin_lb_config.slow_start_config, { slow_start_window: "10s", aggression: { default_value: 1, runtime_key: "(" }, min_weight_percent: { value: 10 } });
  assert.deepEqual(c.upstream_connection_options.tcp_keepalive, { keepalive_probes: 3, keepalive_time: 60, keepalive_interval: 10 });
  assert.equal(c.connect_timeout, "0.5s");
  assert.equal(c.circuit_breakers.thresholds[0].max_pending_requests, 10);
  assert.equal(c.outlier_detection.consecutive_5xx, 5);
  assert.deepEqual(c.common_lb_config, { healthy_panic_threshold: { value: 0 }, locality_weighted_lb_config: {} });
});

test("a real grpc-js-xds client in us-east/zone1 stays in its zone, then fails over to us-east/zone2, not eu-west", async () => {
  process.env.GRPC_XDS_BOOTSTRAP_CONFIG = JSON.stringify({
    xds_servers: [{ server_uri: `127.0.0.1:${cp.xdsPort}`, channel_creds: [{ type: "insecure" }], server_features: ["xds_v3"] }],
    node: {
      id: `sidecar~${GRPC_CLIENT}~grpc-client.default~default.svc.cluster.local`,
      metadata: { GENERATOR: "grpc", NAMESPACE: "default", INSTANCE_IPS: GRPC_CLIENT },
      locality: { region: "us-east", zone: "zone1" },
    },
  });
  grpcXds.register();
  grpcClient = xdsClient(`${HOST}:${PORT}`);
  await waitReady(grpcClient);
  const first: string[] = [];
  for (let i = 0; i < 10; i++) {
    const r = await echo(grpcClient);
    assert.equal(r.code, status.OK);
    first.push(r.server!);
  }
  assert.deepEqual([...new Set(first)], ["127.0.9.11"], "all 10 calls stay in P0 (us-east/zone1)");
  servers.get("127.0.9.11")!.stop();
  await waitFor(async () => (await echo(grpcClient!)).server === "127.0.9.12", 10_000);
  const after: string[] = [];
  for (let i = 0; i < 10; i++) after.push((await echo(grpcClient)).server ?? "failed");
  assert.deepEqual([...new Set(after)], ["127.0.9.12"], "P1 (us-east/zone2) takes all 10 calls");
});

test("PASSTHROUGH: the sidecar accepts an ORIGINAL_DST cluster that reads x-envoy-original-dst-host", async () => {
  const cds = (await dump(EAST_CLIENT)).find((c) => String(c["@type"]).endsWith("ClustersConfigDump"))!;
  const c = (cds.dynamic_active_clusters as Obj[]).map((x) => x.cluster).find((x) => x.name === "outbound|26903||direct.default.svc.cluster.local");
  assert.ok(c, "cluster accepted");
  assert.deepEqual([c.type, c.lb_policy, c.eds_cluster_config], ["ORIGINAL_DST", "CLUSTER_PROVIDED", undefined]);
  assert.deepEqual(c.original_dst_lb_config, { use_http_header: true });
});
