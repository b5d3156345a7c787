// End to end: DestinationRule connectionPool limits in a real sidecar under concurrent load: 503 UO with x-envoy-overloaded, exact overflow counters, retry and tcp_proxy breakers.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer as createHttpServer, type Server } from "node:http";
import { connect, createServer as createTcpServer, type Server as TcpServer, type Socket } from "node:net";
import { once } from "node:events";
import autocannon from "autocannon";
import { configDir, startControlPlane, startSidecarWith, httpGet, waitFor, sleep, type ControlPlaneHandle, type WeftProcess } from "./support/mesh-processes.js";

const CP_IP = "127.0.7.1";
const CLIENT_IP = "127.0.7.2";
const OUTBOUND_IP = "127.0.7.3";
const SLOW = { ip: "127.0.7.20", port: 26710 };
const FLAKY = { ip: "127.0.7.21", port: 26711 };
const HOLD = { ip: "127.0.7.22", port: 26712, servicePort: 26720 };
const VIA = `${CLIENT_IP}:15001`;

const serviceEntry = (name: string, port: number, protocol: string, ip: string, targetPort: number): string => `---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ${name}}
spec:
  hosts: [${name}.default.svc.cluster.local]
  ports: [{number: ${port}, name: ${protocol.toLowerCase()}, protocol: ${protocol}}]
  resolution: STATIC
  endpoints: [{address: ${ip}, ports: {${protocol.toLowerCase()}: ${targetPort}}}]
`;

const MESH = `${serviceEntry("slow", 9080, "HTTP", SLOW.ip, SLOW.port)}---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: slow}
spec:
  host: slow
  trafficPolicy:
    connectionPool:
      tcp: {maxConnections: 1}
      http: {http1MaxPendingRequests: 1}
${serviceEntry("flaky", 9081, "HTTP", FLAKY.ip, FLAKY.port)}---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: flaky}
spec:
  host: flaky
  trafficPolicy:
    connectionPool:
      http: {maxRetries: 1}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: flaky}
spec:
  hosts: [flaky]
  http:
  - route: [{destination: {host: flaky}}]
    retries: {attempts: 3, retryOn: 5xx, perTryTimeout: 5s}
${serviceEntry("hold", HOLD.servicePort, "TCP", HOLD.ip, HOLD.port)}---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: hold}
spec:
  host: hold
  trafficPolicy:
    connectionPool:
      tcp: {maxConnections: 1}
`;

/** An HTTP/1.1 app answering after `delayMs` with `status`, counting the connections it has open at once. */
class CountingApp {
  readonly server: Server;
  open = 0;
  maxOpen = 0;
  requests = 0;
  constructor(status: number, delayMs: number) {
    this.server = createHttpServer((_req, res) => {
      this.requests++;
      setTimeout(() => { res.statusCode = status; res.end("app"); }, delayMs);
    });
    this.server.on("connection", (s: Socket) => {
      this.open++;
      this.maxOpen = Math.max(this.maxOpen, this.open);
      s.once("close", () => { this.open--; });
    });
  }
  async listen(ip: string, port: number): Promise<void> {
    this.server.listen(port, ip);
    await once(this.server, "listening");
  }
}

let config: Awaited<ReturnType<typeof configDir>>;
let cp: ControlPlaneHandle | undefined;
let sidecar: WeftProcess | undefined;
const slow = new CountingApp(200, 50);
const flaky = new CountingApp(503, 100);
const holdSockets: Socket[] = [];
const hold: TcpServer = createTcpServer((s) => { holdSockets.push(s); s.on("error", () => {}); s.write("hi\n"); });

/** The client sidecar's Prometheus value of a cluster counter (0 when absent). */
async function clusterStat(name: string, service: string, port: number): Promise<number> {
  const body = (await httpGet(`http://${CLIENT_IP}:15000/stats/prometheus`)).body;
  const cluster = `outbound|${port}||${service}.default.svc.cluster.local`;
  const line = body.split("\n").find((l) => l.startsWith(`envoy_cluster_${name}{`) && l.includes(`cluster_name="${cluster}"`));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(" ") + 1));
}

before(async () => {
  await slow.listen(SLOW.ip, SLOW.port);
  await flaky.listen(FLAKY.ip, FLAKY.port);
  hold.listen(HOLD.port, HOLD.ip);
  await once(hold, "listening");
  config = await configDir({ "mesh.yaml": MESH });
  cp = await startControlPlane(config.dir, { address: CP_IP, xdsPort: 26701, monitoringPort: 26702 });
  sidecar = await startSidecarWith([`${CP_IP}:${cp.xdsPort}`], { ip: CLIENT_IP, workload: "client", labels: { app: "client" }, outboundIps: [OUTBOUND_IP] });
  await waitFor(async () => (await httpGet("http://slow:9080/", { via: VIA })).status === 200, 15_000, () => sidecar!.stderr);
  await waitFor(async () => (await httpGet("http://flaky:9081/", { via: VIA })).status === 503, 15_000, () => sidecar!.stderr);
});

after(async () => {
  await sidecar?.stop();
  await cp?.proc.stop();
  for (const s of holdSockets) s.destroy();
  slow.server.closeAllConnections();
  flaky.server.closeAllConnections();
  await Promise.all([slow.server, flaky.server, hold].map((s) => new Promise((r) => s.close(r))));
  await config?.remove();
});

test("maxConnections 1 + http1MaxPendingRequests 1 under 10 concurrent autocannon connections: the rest get 503, upstream_rq_pending_overflow equals the 503 count exactly, the app never sees 2 connections", async (t) => {
  const overflowBefore = await clusterStat("upstream_rq_pending_overflow", "slow", 9080);
  const result = await autocannon({
    url: `http://${VIA}/`,
    connections: 10,
    amount: 600,
    headers: { host: "slow.default.svc.cluster.local:9080" },
    timeout: 10,
  });
  const ok = result.statusCodeStats["200"]?.count ?? 0;
  const rejected = result.statusCodeStats["503"]?.count ?? 0;
  t.diagnostic(`200: ${ok}, 503: ${rejected}`);
  assert.equal(result.errors, 0, "no connection errors");
  assert.equal(result.timeouts, 0);
  assert.equal(ok + rejected, 600, JSON.stringify(result.statusCodeStats));
  assert.ok(ok > 0, "some requests got through");
  assert.ok(rejected > 0, "the breaker rejected the excess");
  const overflow = (await clusterStat("upstream_rq_pending_overflow", "slow", 9080)) - overflowBefore;
  assert.equal(overflow, rejected, "every 503 is one pending overflow, and nothing else failed");
  assert.equal(slow.maxOpen, 1, "max_connections 1 held");
  assert.equal(await clusterStat("upstream_rq_pending_active", "slow", 9080), 0);
  assert.equal(await clusterStat("circuit_breakers_default_rq_pending_open", "slow", 9080), 0);
  assert.equal(await clusterStat("circuit_breakers_default_remaining_cx", "slow", 9080), 0, "the one connection stays pooled");
});

test("an overflowed request is a local 503 with x-envoy-overloaded: true and Envoy's overflow body", async () => {
  const answers = await Promise.all(Array.from({ length: 8 }, () => httpGet("http://slow:9080/", { via: VIA })));
  const rejected = answers.filter((a) => a.status === 503);
  assert.ok(rejected.length >= 1 && answers.some((a) => a.status === 200), answers.map((a) => a.status).join(","));
  for (const a of rejected) {
    assert.equal(a.headers["x-envoy-overloaded"], "true");
    assert.equal(a.body, "upstream connect error or disconnect/reset before headers. reset reason: overflow");
  }
  for (const a of answers.filter((x) => x.status === 200)) assert.equal(a.headers["x-envoy-overloaded"], undefined);
});

test("maxRetries 1: concurrent retriable failures beyond one retry in flight overflow (upstream_rq_retry_overflow); every 503 is retried, overflowed or out of attempts", async () => {
  const answers = await Promise.all(Array.from({ length: 6 }, () => httpGet("http://flaky:9081/", { via: VIA })));
  for (const a of answers) {
    assert.equal(a.status, 503);
    assert.equal(a.headers["x-envoy-overloaded"], undefined, "a retry overflow passes the upstream response on");
  }
  const overflow = await clusterStat("upstream_rq_retry_overflow", "flaky", 9081);
  const retried = await clusterStat("upstream_rq_retry", "flaky", 9081);
  const exhausted = await clusterStat("upstream_rq_retry_limit_exceeded", "flaky", 9081);
  assert.ok(overflow >= 1, `retry overflow counted (${overflow})`);
  assert.equal(retried + overflow + exhausted, flaky.requests, "each upstream 503 had exactly one retry decision");
  assert.equal(await clusterStat("circuit_breakers_default_rq_retry_open", "flaky", 9081), 0, "the retry slot is given back");
});

/** Connects through the sidecar's outbound tcp_proxy; resolves with the first bytes, or "closed" when closed without any. */
function tcpVia(): Promise<{ socket: Socket; first: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: OUTBOUND_IP, port: HOLD.servicePort });
    socket.on("error", () => {});
    socket.once("data", (d: Buffer) => resolve({ socket, first: d.toString() }));
    socket.once("close", () => resolve({ socket, first: "closed" }));
    socket.setTimeout(10_000, () => reject(new Error("tcp timeout")));
  });
}

test("tcp_proxy with maxConnections 1: a second connection is closed at once (upstream_cx_overflow); after the first ends a new one gets through", async () => {
  await waitFor(async () => {
    const t = await tcpVia();
    t.socket.destroy();
    return t.first === "hi\n";
  }, 15_000, () => sidecar!.stderr);
  await waitFor(async () => (await clusterStat("upstream_cx_active", "hold", HOLD.servicePort)) === 0, 5000);
  const before = await clusterStat("upstream_cx_overflow", "hold", HOLD.servicePort);
  const first = await tcpVia();
  assert.equal(first.first, "hi\n");
  const second = await tcpVia();
  assert.equal(second.first, "closed");
  assert.equal((await clusterStat("upstream_cx_overflow", "hold", HOLD.servicePort)) - before, 1);
  first.socket.destroy();
  await waitFor(async () => (await clusterStat("upstream_cx_active", "hold", HOLD.servicePort)) === 0, 5000);
  await sleep(20);
  const third = await tcpVia();
  assert.equal(third.first, "hi\n");
  third.socket.destroy();
});
