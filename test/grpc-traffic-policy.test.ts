// End to end: DestinationRule circuit breaking, outlier detection and consistent hashing obeyed by real grpc-js-xds clients.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { status, type Client } from "@grpc/grpc-js";
import { configDir, sleep, startControlPlane, waitFor, type ControlPlaneHandle } from "./support/mesh-processes.js";
import { echo, EchoServer, serviceEntry, useWeftXds, waitReady, xdsClient, type CallResult } from "./support/grpc-echo.js";

const PORT = 9080;
const host = (name: string): string => `${name}.default.svc.cluster.local`;

function destinationRule(name: string, trafficPolicy: string): string {
  return `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: ${name}
spec:
  host: ${host(name)}
  trafficPolicy:
${trafficPolicy}
---`;
}

const OUTLIER_IPS = ["127.0.0.111", "127.0.0.112", "127.0.0.113"];
const HASH_IPS = ["127.0.0.114", "127.0.0.115", "127.0.0.116"];

const MESH = [
  serviceEntry("limited", PORT, ["127.0.0.110"]),
  destinationRule("limited", "    connectionPool: {http: {http2MaxRequests: 1}}"),
  serviceEntry("ejecting", PORT, OUTLIER_IPS),
  destinationRule("ejecting", "    outlierDetection: {consecutive5xxErrors: 3, interval: 1s, baseEjectionTime: 30s, maxEjectionPercent: 50}"),
  serviceEntry("sticky", PORT, HASH_IPS),
  destinationRule("sticky", "    loadBalancer: {consistentHash: {httpHeaderName: x-user, ringHash: {minimumRingSize: 1024}}}"),
].join("\n");

let config: Awaited<ReturnType<typeof configDir>>;
let cp: ControlPlaneHandle;
const servers: EchoServer[] = [];
const clients: Record<string, Client> = {};

before(async () => {
  config = await configDir({ "mesh.yaml": MESH });
  cp = await startControlPlane(config.dir);
  servers.push(await EchoServer.start("127.0.0.110", PORT, "limited", () => ({ delayMs: 400 })));
  // The bad backend answers INTERNAL: not retried by the default retry policy, so every failure reaches the detector.
  servers.push(await EchoServer.start(OUTLIER_IPS[0]!, PORT, "bad", () => ({ fail: status.INTERNAL })));
  for (const ip of OUTLIER_IPS.slice(1)) servers.push(await EchoServer.start(ip, PORT, `good-${ip}`));
  for (const ip of HASH_IPS) servers.push(await EchoServer.start(ip, PORT, ip));
  useWeftXds(cp.xdsPort, "127.0.0.98");
  for (const name of ["limited", "ejecting", "sticky"]) clients[name] = xdsClient(`${host(name)}:${PORT}`);
  await Promise.all([waitReady(clients.limited!), waitReady(clients.ejecting!)]);
  // A ring_hash channel stays IDLE until its first pick, so it is warmed with a call instead.
  await waitFor(async () => (await echo(clients.sticky!, { "x-user": "warm-up" })).code === status.OK, 10_000);
});

after(async () => {
  for (const c of Object.values(clients)) c.close();
  for (const s of servers) s.stop();
  await cp?.proc.stop();
  await config?.remove();
});

test("http2MaxRequests 1: while one slow call is in flight, 4 more fail UNAVAILABLE at once", async () => {
  // grpc-js counts a call once it has started on a connection, so the first one gets a head start.
  const first = echo(clients.limited!);
  await sleep(100);
  const dropped = await Promise.all(Array.from({ length: 4 }, () => echo(clients.limited!)));
  assert.equal((await first).code, status.OK);
  assert.deepEqual(dropped.map((r) => r.code), [status.UNAVAILABLE, status.UNAVAILABLE, status.UNAVAILABLE, status.UNAVAILABLE]);
  for (const r of dropped) assert.ok(r.ms < 200, `dropped after ${r.ms.toFixed(0)} ms`);
  assert.equal((await echo(clients.limited!)).code, status.OK, "the limit frees with the call");
});

test("outlier detection: the always-failing backend of three is ejected after an interval; then every call succeeds", async () => {
  const before: CallResult[] = [];
  const until = Date.now() + 6000;
  let clean = 0;
  while (Date.now() < until && clean < 30) {
    const r = await echo(clients.ejecting!);
    before.push(r);
    clean = r.code === status.OK ? clean + 1 : 0;
    await sleep(20);
  }
  assert.ok(before.some((r) => r.code === status.INTERNAL), "the bad backend was reached before ejection");
  const after = await Promise.all(Array.from({ length: 60 }, () => echo(clients.ejecting!)));
  assert.deepEqual(after.filter((r) => r.code !== status.OK).map((r) => r.code), []);
  assert.ok(new Set(after.map((r) => r.server)).size === 2, "both healthy backends still serve");
});

test("consistentHash httpHeaderName x-user: a user always lands on the same backend, users spread over backends", async () => {
  const home = new Map<string, string>();
  for (let u = 0; u < 30; u++) {
    const seen = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const r = await echo(clients.sticky!, { "x-user": `user-${u}` });
      assert.equal(r.code, status.OK);
      seen.add(r.server!);
    }
    assert.equal(seen.size, 1, `user-${u} hit ${[...seen].join(",")}`);
    home.set(`user-${u}`, [...seen][0]!);
  }
  assert.ok(new Set(home.values()).size >= 2, `30 users all on ${[...new Set(home.values())].join(",")}`);
});
