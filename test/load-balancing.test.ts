// End to end: DestinationRule loadBalancer settings through a real control plane and client sidecar to real endpoints.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Agent, createServer, type Server } from "node:http";
import {
  closeServer, configDir, httpGet, startControlPlane, startSidecarWith, waitFor, type ControlPlaneHandle, type WeftProcess,
} from "./support/mesh-processes.js";

const CP_IP = "127.0.5.1";
const XDS_PORT = 26500;
const MONITORING_PORT = 26501;
const CLIENT_IP = "127.0.5.2";
const APP_PORT = 26510;

/**
 * Per service: its endpoints (WorkloadEntry address and weight) and its DestinationRule loadBalancer. `byheader` has a
 * VirtualService (hash_policy on its route); `bycookie` has none (hash_policy on the default route, Istio's hashByService).
 */
const SERVICES: Record<string, { ips: string[]; weights?: number[]; lb: string; vs?: boolean }> = {
  leastreq: { ips: ["127.0.5.11", "127.0.5.12", "127.0.5.13"], lb: "{simple: LEAST_REQUEST}" },
  byheader: { ips: ["127.0.5.21", "127.0.5.22", "127.0.5.23"], lb: "{consistentHash: {httpHeaderName: x-user}}", vs: true },
  bycookie: { ips: ["127.0.5.31", "127.0.5.32", "127.0.5.33"], lb: "{consistentHash: {httpCookie: {name: lbc, path: /, ttl: 60s}}}" },
  random: { ips: ["127.0.5.41", "127.0.5.42", "127.0.5.43"], lb: "{simple: RANDOM}" },
  weighted: { ips: ["127.0.5.51", "127.0.5.52"], weights: [1, 3], lb: "{simple: ROUND_ROBIN}" },
};
/** The LEAST_REQUEST endpoint that answers 10x slower than the others. */
const SLOW_IP = "127.0.5.13";

function mesh(): string {
  const docs: string[] = [];
  for (const [name, s] of Object.entries(SERVICES)) {
    const host = `${name}.default.svc.cluster.local`;
    docs.push(`
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ${name}}
spec:
  hosts: [${host}]
  ports: [{number: 9080, name: http, protocol: HTTP}]
  resolution: STATIC
  workloadSelector: {labels: {app: ${name}}}
`, `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ${name}}
spec:
  host: ${host}
  trafficPolicy:
    loadBalancer: ${s.lb}
`);
    s.ips.forEach((ip, i) => docs.push(`
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: ${name}-${i}}
spec:
  address: ${ip}
  labels: {app: ${name}}
  ports: {http: ${APP_PORT}}
${s.weights ? `  weight: ${s.weights[i]}\n` : ""}`));
    if (s.vs) docs.push(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}}
spec:
  hosts: [${host}]
  http: [{route: [{destination: {host: ${host}}}]}]
`);
  }
  return docs.join("---");
}

/** Answers `{"ip": …}`; SLOW_IP after 100 ms, the others after 10 ms. */
async function startApp(ip: string): Promise<Server> {
  const delay = ip === SLOW_IP ? 100 : 10;
  const server = createServer((req, res) => {
    req.resume();
    setTimeout(() => {
      const body = JSON.stringify({ ip });
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      res.end(body);
    }, delay);
  });
  await new Promise<void>((resolve) => server.listen(APP_PORT, ip, resolve));
  return server;
}

let config: Awaited<ReturnType<typeof configDir>>;
let cp: ControlPlaneHandle;
let client: WeftProcess;
const apps: Server[] = [];
const agent = new Agent({ keepAlive: true, maxSockets: 16 });

async function call(service: string, headers: Record<string, string> = {}): Promise<{ ip: string; setCookie: string | undefined }> {
  const r = await httpGet(`http://${service}:9080/`, { via: `${CLIENT_IP}:15001`, agent, headers });
  assert.equal(r.status, 200, `${service}: ${r.status} ${r.body}`);
  return { ip: (JSON.parse(r.body) as { ip: string }).ip, setCookie: r.headers["set-cookie"]?.[0] };
}

/** `total` requests to `service` with `concurrency` in flight; the count per endpoint. */
async function spread(service: string, total: number, concurrency: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let sent = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (sent < total) {
      sent++;
      const { ip } = await call(service);
      counts.set(ip, (counts.get(ip) ?? 0) + 1);
    }
  }));
  return counts;
}

before(async () => {
  config = await configDir({ "mesh.yaml": mesh() });
  cp = await startControlPlane(config.dir, { address: CP_IP, xdsPort: XDS_PORT, monitoringPort: MONITORING_PORT });
  for (const s of Object.values(SERVICES)) for (const ip of s.ips) apps.push(await startApp(ip));
  client = await startSidecarWith([`${CP_IP}:${XDS_PORT}`], { ip: CLIENT_IP, workload: "client", labels: { app: "client" } });
  // Every service reachable, and every endpoint of each known to the sidecar.
  await waitFor(async () => {
    for (const name of Object.keys(SERVICES)) if ((await httpGet(`http://${name}:9080/`, { via: `${CLIENT_IP}:15001`, agent })).status !== 200) return false;
    const clusters = (await httpGet(`http://${CLIENT_IP}:15000/clusters`)).body;
    return Object.values(SERVICES).every((s) => s.ips.every((ip) => clusters.includes(`${ip}:${APP_PORT}`)));
  }, 15_000, () => client.stderr);
});

after(async () => {
  agent.destroy();
  await client?.stop();
  await cp?.proc.stop();
  for (const app of apps) await closeServer(app);
  await config?.remove();
});

test("LEAST_REQUEST sends < 20% of 800 requests (16 in flight) to the endpoint that is 10x slower", async () => {
  const counts = await spread("leastreq", 800, 16);
  const slow = (counts.get(SLOW_IP) ?? 0) / 800;
  assert.ok(slow < 0.2, `slow endpoint share ${slow} (${JSON.stringify([...counts])})`);
  assert.equal(counts.size, 3, "every endpoint got traffic");
});

test("consistentHash httpHeaderName: each of 20 header values always reaches the same endpoint (5 requests each); values spread over ≥ 2 endpoints", async () => {
  const used = new Set<string>();
  for (let u = 0; u < 20; u++) {
    const first = (await call("byheader", { "x-user": `user-${u}` })).ip;
    for (let i = 0; i < 4; i++) assert.equal((await call("byheader", { "x-user": `user-${u}` })).ip, first, `user-${u}`);
    used.add(first);
  }
  assert.ok(used.size >= 2, `all users on ${[...used].join()}`);
});

test("consistentHash httpCookie with ttl: the first response sets the cookie, and 10 requests repeating it stick to one endpoint", async () => {
  const first = await call("bycookie");
  assert.match(first.setCookie ?? "", /^lbc="[0-9a-f]{16}"; Max-Age=60; Path=\/; HttpOnly$/);
  const cookie = first.setCookie!.slice(0, first.setCookie!.indexOf(";"));
  for (let i = 0; i < 10; i++) {
    const r = await call("bycookie", { cookie });
    assert.equal(r.ip, first.ip);
    assert.equal(r.setCookie, undefined, "no new cookie when the request carries one");
  }
});

test("RANDOM spreads 600 requests over all 3 endpoints, each at 33±10%", async () => {
  const counts = await spread("random", 600, 4);
  assert.equal(counts.size, 3);
  for (const [ip, n] of counts) assert.ok(Math.abs(n / 600 - 1 / 3) <= 0.1, `${ip}: ${n}`);
});

test("ROUND_ROBIN with WorkloadEntry weights 1:3 sends 25±5% of 400 requests to the weight-1 endpoint", async () => {
  const counts = await spread("weighted", 400, 1);
  const share = (counts.get("127.0.5.51") ?? 0) / 400;
  assert.ok(Math.abs(share - 0.25) <= 0.05, `weight-1 share ${share} (${JSON.stringify([...counts])})`);
});
