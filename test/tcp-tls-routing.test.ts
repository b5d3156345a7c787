// End to end: VirtualService tcp/tls routes through real `weft` processes — TCP echo, weights, destinationSubnets, SNI passthrough.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { connect, createServer, type Server, type Socket } from "node:net";
import { connect as tlsConnect, createServer as createTlsServer, type TLSSocket } from "node:tls";
import { configDir, startControlPlane, startSidecarWith, waitFor, type ControlPlaneHandle, type WeftProcess } from "./support/mesh-processes.js";

const run = promisify(execFile);

const CLIENT_IP = "127.0.4.10";
/** The client sidecar's outbound IPs: .11 takes the weighted route, .12 / .13 the destinationSubnets routes. */
const OUT = ["127.0.4.11", "127.0.4.12", "127.0.4.13"] as const;
const ECHO_PORT = 9000;
const DOWN_PORT = 26390;

let config: Awaited<ReturnType<typeof configDir>>;
let cp: ControlPlaneHandle;
const procs: WeftProcess[] = [];
const servers: Server[] = [];
const tlsPorts: Record<string, number> = {};

/** A TCP echo app that first says its version on a line of its own. */
async function startEchoApp(version: string): Promise<number> {
  const server = createServer({ allowHalfOpen: true }, (s) => {
    s.on("error", () => {});
    s.write(`${version}\n`);
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  servers.push(server);
  return (server.address() as { port: number }).port;
}

/** A TLS server presenting its own self-signed certificate for `host`, answering `backend <host>`. */
async function startTlsBackend(dir: string, host: string, address: string): Promise<number> {
  const key = join(dir, `${host}.key`);
  const cert = join(dir, `${host}.crt`);
  await run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", `/CN=${host}`]);
  const server = createTlsServer({ key: await readFile(key), cert: await readFile(cert) }, (s) => {
    s.on("error", () => {});
    s.end(`backend ${host}\n`);
  });
  await new Promise<void>((r) => server.listen(0, address, r));
  servers.push(server);
  return (server.address() as { port: number }).port;
}

/** Sends `payload`, half-closes, and returns everything received until the server closes. */
function exchange(ip: string, port: number, payload: Buffer = Buffer.alloc(0)): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s: Socket = connect({ host: ip, port, allowHalfOpen: true }, () => s.end(payload));
    s.on("data", (c: Buffer) => chunks.push(c));
    s.on("end", () => resolve(Buffer.concat(chunks)));
    s.on("error", reject);
    s.setTimeout(10_000, () => s.destroy(new Error("timeout")));
  });
}

async function versionVia(ip: string): Promise<string> {
  const got = await exchange(ip, ECHO_PORT, Buffer.from("ping"));
  const text = got.toString();
  assert.ok(text.endsWith("\nping"), `echo reply ${JSON.stringify(text)}`);
  return text.slice(0, text.indexOf("\n"));
}

function tlsVia(ip: string, servername: string): Promise<{ cn: unknown; body: string }> {
  return new Promise((resolve, reject) => {
    const s: TLSSocket = tlsConnect({ host: ip, port: 443, servername, rejectUnauthorized: false }, () => {
      const cn = s.getPeerCertificate().subject?.CN;
      let body = "";
      s.setEncoding("utf8").on("data", (d: string) => { body += d; });
      s.on("end", () => { resolve({ cn, body }); s.destroy(); });
    });
    s.on("error", reject);
    s.setTimeout(10_000, () => s.destroy(new Error("timeout")));
  });
}

/** `<x>.example.com:443`, protocol TLS, one endpoint at `address:port`. */
const tlsServiceEntry = (x: string, address: string, port: number): string => `---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: tls-${x}}
spec:
  hosts: [${x}.example.com]
  ports: [{number: 443, name: tls, protocol: TLS}]
  resolution: STATIC
  location: MESH_EXTERNAL
  endpoints: [{address: ${address}, ports: {tls: ${port}}}]
`;

const yaml = (tls: Record<string, number>): string => `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: echo}
spec:
  hosts: [echo.default.svc.cluster.local]
  ports: [{number: ${ECHO_PORT}, name: tcp-echo, protocol: TCP}]
  resolution: STATIC
  workloadSelector: {labels: {app: echo}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: echo}
spec:
  host: echo
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: echo}
spec:
  hosts: [echo]
  tcp:
  - match: [{destinationSubnets: [${OUT[1]}/32]}]
    route: [{destination: {host: echo, subset: v1}}]
  - match: [{destinationSubnets: [${OUT[2]}]}]
    route: [{destination: {host: echo, subset: v2}}]
  - route:
    - {destination: {host: echo, subset: v1}, weight: 50}
    - {destination: {host: echo, subset: v2}, weight: 50}
${tlsServiceEntry("a", "127.0.4.31", tls.a!)}${tlsServiceEntry("b", "127.0.4.32", tls.b!)}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: tls-b}
spec:
  hosts: [b.example.com]
  tls:
  - match: [{sniHosts: [b.example.com]}]
    route: [{destination: {host: b.example.com}}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: down}
spec:
  hosts: [down.example.com]
  ports: [{number: ${DOWN_PORT}, name: tcp, protocol: TCP}]
  resolution: STATIC
  endpoints: [{address: 127.0.4.41, ports: {tcp: 26391}}]
`;

before(async () => {
  config = await configDir({});
  tlsPorts.a = await startTlsBackend(config.dir, "a.example.com", "127.0.4.31");
  tlsPorts.b = await startTlsBackend(config.dir, "b.example.com", "127.0.4.32");
  await config.write("mesh.yaml", yaml(tlsPorts));
  cp = await startControlPlane(config.dir, { address: "127.0.4.1", xdsPort: 26301, monitoringPort: 26302 });
  const xds = [`127.0.4.1:${cp.xdsPort}`];
  const v1 = await startEchoApp("v1");
  const v2 = await startEchoApp("v2");
  procs.push(
    await startSidecarWith(xds, { ip: "127.0.4.21", workload: "echo-v1", labels: { app: "echo", version: "v1" }, appPort: v1 }),
    await startSidecarWith(xds, { ip: "127.0.4.22", workload: "echo-v2", labels: { app: "echo", version: "v2" }, appPort: v2 }),
    await startSidecarWith(xds, { ip: CLIENT_IP, workload: "client", labels: { app: "client" }, outboundIps: OUT }),
  );
  await waitFor(async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 16; i++) seen.add(await versionVia(OUT[0]).catch(() => "none"));
    return seen.has("v1") && seen.has("v2") && !seen.has("none");
  }, 15_000, () => procs.map((p) => p.stderr).join("\n"));
});

after(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  await cp?.proc.stop();
  for (const s of servers) s.close();
  await config?.remove();
});

test("1 MB each way echoes intact through client sidecar → tcp_proxy → server sidecar → app", async () => {
  const payload = randomBytes(1 << 20);
  const got = await exchange(OUT[0], ECHO_PORT, payload);
  const nl = got.indexOf(10);
  assert.match(got.subarray(0, nl).toString(), /^v[12]$/);
  assert.equal(got.length - nl - 1, payload.length);
  assert.ok(got.subarray(nl + 1).equals(payload), "echoed bytes differ");
});

test("a 50/50 TCP route sends 50±15% of 100 connections to v2", async () => {
  const counts: Record<string, number> = {};
  for (let i = 0; i < 100; i += 10) {
    const batch = await Promise.all(Array.from({ length: 10 }, () => versionVia(OUT[0])));
    for (const v of batch) counts[v] = (counts[v] ?? 0) + 1;
  }
  assert.equal((counts.v1 ?? 0) + (counts.v2 ?? 0), 100, JSON.stringify(counts));
  assert.ok((counts.v2 ?? 0) >= 35 && (counts.v2 ?? 0) <= 65, JSON.stringify(counts));
});

test("destinationSubnets pick the route by the outbound IP the client dialed", async () => {
  for (let i = 0; i < 8; i++) {
    assert.equal(await versionVia(OUT[1]), "v1");
    assert.equal(await versionVia(OUT[2]), "v2");
  }
});

test("TLS passthrough by SNI: node's client sees each backend's own certificate; the mesh never terminates TLS", async () => {
  await waitFor(async () => (await tlsVia(OUT[0], "a.example.com").catch(() => undefined))?.body === "backend a.example.com\n", 10_000);
  assert.deepEqual(await tlsVia(OUT[0], "a.example.com"), { cn: "a.example.com", body: "backend a.example.com\n" });
  assert.deepEqual(await tlsVia(OUT[1], "b.example.com"), { cn: "b.example.com", body: "backend b.example.com\n" });
});

test("TLS passthrough by SNI: openssl s_client gets b.example.com's certificate", async () => {
  const { stdout } = await run("openssl", ["s_client", "-connect", `${OUT[0]}:443`, "-servername", "b.example.com"], { timeout: 10_000 })
    .catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? "" }));
  assert.match(stdout, /subject=\s*CN\s*=\s*b\.example\.com/);
  assert.doesNotMatch(stdout, /a\.example\.com/);
});

test("an unknown SNI matches no chain: the connection is closed", async () => {
  await assert.rejects(tlsVia(OUT[0], "c.example.com"));
});

test("a down backend closes the client connection promptly, with no bytes", async () => {
  const start = Date.now();
  const got = await exchange(OUT[0], DOWN_PORT).catch((e: Error) => e);
  const elapsed = Date.now() - start;
  assert.ok(elapsed < 2000, `closed after ${elapsed} ms`);
  if (Buffer.isBuffer(got)) assert.equal(got.length, 0);
});
