// End to end: VirtualService timeout, retries and fault injection obeyed by real grpc-js-xds clients (Weft control plane process).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { status, type Client } from "@grpc/grpc-js";
import { configDir, startControlPlane, type ControlPlaneHandle } from "./support/mesh-processes.js";
import { echo, EchoServer, serviceEntry, useWeftXds, waitReady, xdsClient } from "./support/grpc-echo.js";

const PORT = 9080;
const host = (name: string): string => `${name}.default.svc.cluster.local`;

function virtualService(name: string, rule: string): string {
  return `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ${name}
spec:
  hosts: [${host(name)}]
  http:
  - route:
    - destination: {host: ${host(name)}}
${rule}
---`;
}

/** Fails the first `n` attempts of every logical call (keyed by the x-call metadata) with UNAVAILABLE. */
function failFirst(n: number): (hit: number, md: import("@grpc/grpc-js").Metadata) => { fail?: status } {
  const attempts = new Map<string, number>();
  return (_hit, md) => {
    const key = String(md.get("x-call")[0]);
    const seen = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, seen);
    return seen <= n ? { fail: status.UNAVAILABLE } : {};
  };
}

const MESH = [
  serviceEntry("slow", PORT, ["127.0.0.100"]),
  virtualService("slow", "    timeout: 200ms"),
  serviceEntry("retrying", PORT, ["127.0.0.101"]),
  virtualService("retrying", "    retries: {attempts: 3, retryOn: unavailable}"),
  serviceEntry("noretry", PORT, ["127.0.0.102"]),
  virtualService("noretry", "    retries: {attempts: 0}"),
  serviceEntry("defaultretry", PORT, ["127.0.0.106"]),
  serviceEntry("aborted", PORT, ["127.0.0.103"]),
  virtualService("aborted", "    fault: {abort: {grpcStatus: UNAVAILABLE, percentage: {value: 100}}}"),
  serviceEntry("delayed", PORT, ["127.0.0.104"]),
  virtualService("delayed", "    fault: {delay: {fixedDelay: 300ms, percentage: {value: 100}}}"),
  serviceEntry("halfaborted", PORT, ["127.0.0.105"]),
  virtualService("halfaborted", "    fault: {abort: {grpcStatus: UNAVAILABLE, percentage: {value: 50}}}"),
].join("\n");

let config: Awaited<ReturnType<typeof configDir>>;
let cp: ControlPlaneHandle;
const servers: Record<string, EchoServer> = {};
const clients: Record<string, Client> = {};

before(async () => {
  config = await configDir({ "mesh.yaml": MESH });
  cp = await startControlPlane(config.dir);
  servers.slow = await EchoServer.start("127.0.0.100", PORT, "slow", () => ({ delayMs: 1000 }));
  servers.retrying = await EchoServer.start("127.0.0.101", PORT, "retrying", failFirst(2));
  servers.noretry = await EchoServer.start("127.0.0.102", PORT, "noretry", failFirst(2));
  servers.defaultretry = await EchoServer.start("127.0.0.106", PORT, "defaultretry", failFirst(2));
  servers.aborted = await EchoServer.start("127.0.0.103", PORT, "aborted");
  servers.delayed = await EchoServer.start("127.0.0.104", PORT, "delayed");
  servers.halfaborted = await EchoServer.start("127.0.0.105", PORT, "halfaborted");
  useWeftXds(cp.xdsPort, "127.0.0.99");
  for (const name of Object.keys(servers)) clients[name] = xdsClient(`${host(name)}:${PORT}`);
  await Promise.all(Object.values(clients).map((c) => waitReady(c)));
});

after(async () => {
  for (const c of Object.values(clients)) c.close();
  for (const s of Object.values(servers)) s.stop();
  await cp?.proc.stop();
  await config?.remove();
});

test("timeout 200ms: a 1 s server call ends DEADLINE_EXCEEDED after ≈200 ms", async () => {
  const r = await echo(clients.slow!);
  assert.equal(r.code, status.DEADLINE_EXCEEDED);
  assert.ok(r.ms >= 180 && r.ms < 600, `took ${r.ms.toFixed(0)} ms`);
});

test("retries attempts 3 on unavailable: a server failing the first 2 attempts answers every call", async () => {
  for (let i = 0; i < 5; i++) {
    const r = await echo(clients.retrying!, { "x-call": `r${i}` });
    assert.equal(r.code, status.OK, `call ${i}`);
  }
  assert.equal(servers.retrying!.hits, 15, "3 attempts per call");
});

test("retries attempts 0: the same server's first failure reaches the caller", async () => {
  for (let i = 0; i < 5; i++) assert.equal((await echo(clients.noretry!, { "x-call": `n${i}` })).code, status.UNAVAILABLE);
  assert.equal(servers.noretry!.hits, 5, "one attempt per call");
});

test("no retries section: Istio's default policy (2 retries on unavailable) applies", async () => {
  assert.equal((await echo(clients.defaultretry!, { "x-call": "d" })).code, status.OK);
  assert.equal(servers.defaultretry!.hits, 3);
});

test("fault abort 100% UNAVAILABLE: every call fails without reaching the server", async () => {
  for (let i = 0; i < 20; i++) assert.equal((await echo(clients.aborted!)).code, status.UNAVAILABLE);
  assert.equal(servers.aborted!.hits, 0);
});

test("fault delay 300ms 100%: every call takes at least 300 ms and succeeds", async () => {
  const rs = await Promise.all(Array.from({ length: 5 }, () => echo(clients.delayed!)));
  for (const r of rs) {
    assert.equal(r.code, status.OK);
    assert.ok(r.ms >= 295, `took ${r.ms.toFixed(0)} ms`);
  }
});

test("fault abort 50%: 50±10% of 400 calls fail UNAVAILABLE, the rest reach the server", async () => {
  const rs: Awaited<ReturnType<typeof echo>>[] = [];
  for (let i = 0; i < 400; i += 50) rs.push(...(await Promise.all(Array.from({ length: 50 }, () => echo(clients.halfaborted!)))));
  const failed = rs.filter((r) => r.code === status.UNAVAILABLE).length;
  assert.equal(failed + rs.filter((r) => r.code === status.OK).length, 400);
  assert.ok(failed >= 160 && failed <= 240, `${failed}/400 aborted`);
  assert.equal(servers.halfaborted!.hits, 400 - failed);
});
