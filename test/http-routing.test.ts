// End to end: VirtualService HTTP routing through real `weft` processes with curl as the client (redirect, direct
// response, rewrite (path and authority), header edits, query/withoutHeaders matches, sourceLabels).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import { promisify } from "node:util";
import {
  configDir, startControlPlane, startSidecar, serverPort, closeServer, waitFor, type ControlPlaneHandle, type WeftProcess,
} from "./support/mesh-processes.js";

const run = promisify(execFile);
const ECHO_IP = "127.0.1.2";
const CLIENT_A = "127.0.1.3";
const CLIENT_B = "127.0.1.4";

const SERVICES = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: echo
spec:
  hosts: [echo.default.svc.cluster.local]
  ports:
  - number: 9080
    name: http
    protocol: HTTP
  resolution: STATIC
  workloadSelector:
    labels: {app: echo}
`;

const ROUTES = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: echo
spec:
  hosts: [echo]
  http:
  - name: redirect
    match: [{uri: {prefix: /old}}]
    redirect: {uri: /new, authority: new.example}
  - name: direct
    match: [{uri: {exact: /teapot}}]
    directResponse: {status: 418, body: {string: "short and stout"}}
  - name: rewrite
    match: [{uri: {prefix: /v1/}}]
    rewrite: {uri: /api/}
    route: [{destination: {host: echo}}]
  - name: authority
    match: [{uri: {prefix: /authority}}]
    rewrite: {authority: rewritten.example}
    route: [{destination: {host: echo}}]
  - name: headers
    match: [{uri: {prefix: /headers}}]
    headers:
      request: {set: {x-added: "yes"}, remove: [x-secret]}
      response: {set: {x-resp: r}, remove: [x-app-internal]}
    route: [{destination: {host: echo}}]
  - name: query
    match: [{queryParams: {debug: {exact: "1"}}}]
    directResponse: {status: 200, body: {string: "debug"}}
  - name: stable
    match: [{uri: {prefix: /canary}, withoutHeaders: {x-canary: {exact: "1"}}}]
    directResponse: {status: 200, body: {string: "stable"}}
  - name: from-a
    match: [{uri: {prefix: /who}, sourceLabels: {app: client-a}}]
    directResponse: {status: 200, body: {string: "client-a"}}
  - name: fallback
    route: [{destination: {host: echo}}]
`;

let config: Awaited<ReturnType<typeof configDir>>;
let cp: ControlPlaneHandle;
let app: Server;
const procs: WeftProcess[] = [];

/** The echo app: answers with the request path and headers as JSON and an internal header the mesh may strip. */
async function startEcho(): Promise<Server> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const body = JSON.stringify({ path: req.url, headers: req.headers });
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body), "x-app-internal": "secret" });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return server;
}

interface CurlResult { status: number; headers: Record<string, string>; body: string }

/** curl through a sidecar's outbound listener (absolute-form request to the proxy). */
async function curl(via: string, path: string, headers: Record<string, string> = {}): Promise<CurlResult> {
  const args = ["-s", "-i", "--max-time", "5", "-x", `http://${via}:15001`];
  for (const [k, v] of Object.entries(headers)) args.push("-H", `${k}: ${v}`);
  args.push(`http://echo:9080${path}`);
  const { stdout } = await run("curl", args);
  const split = stdout.indexOf("\r\n\r\n");
  const [statusLine, ...lines] = stdout.slice(0, split).split("\r\n");
  const out: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(":");
    out[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status: Number(statusLine!.split(" ")[1]), headers: out, body: stdout.slice(split + 4) };
}

before(async () => {
  config = await configDir({ "services.yaml": SERVICES, "echo-vs.yaml": ROUTES });
  cp = await startControlPlane(config.dir, { xdsPort: 26001, monitoringPort: 26002 });
  app = await startEcho();
  procs.push(
    await startSidecar(cp.xdsPort, { ip: ECHO_IP, workload: "echo-v1", labels: { app: "echo" }, appPort: serverPort(app) }),
    await startSidecar(cp.xdsPort, { ip: CLIENT_A, workload: "client-a", labels: { app: "client-a" } }),
    await startSidecar(cp.xdsPort, { ip: CLIENT_B, workload: "client-b", labels: { app: "client-b" } }),
  );
  // Both clients reach the echo workload through the fallback route.
  await waitFor(async () => (await curl(CLIENT_A, "/ping")).status === 200 && (await curl(CLIENT_B, "/ping")).status === 200, 10_000);
});

after(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  await cp?.proc.stop();
  if (app) await closeServer(app);
  await config?.remove();
});

test("redirect: curl sees 301 with the Location the rule builds (query kept)", async () => {
  const r = await curl(CLIENT_A, "/old/page?x=1");
  assert.equal(r.status, 301);
  assert.equal(r.headers.location, "http://new.example/new?x=1");
});

test("direct response: status and body from the rule, no upstream", async () => {
  const r = await curl(CLIENT_A, "/teapot");
  assert.equal(r.status, 418);
  assert.equal(r.body, "short and stout");
});

test("prefix rewrite: the app sees the rewritten path, x-envoy-original-path carries the original", async () => {
  const r = await curl(CLIENT_A, "/v1/items?id=7");
  assert.equal(r.status, 200);
  const seen = JSON.parse(r.body);
  assert.equal(seen.path, "/api/items?id=7");
  assert.equal(seen.headers["x-envoy-original-path"], "/v1/items?id=7");
});

test("authority rewrite: the app sees the rewritten Host", async () => {
  const r = await curl(CLIENT_A, "/authority");
  assert.equal(r.status, 200);
  assert.equal(JSON.parse(r.body).headers.host, "rewritten.example");
});

test("header set/remove: seen by the app on the request and by curl on the response", async () => {
  const r = await curl(CLIENT_A, "/headers", { "x-secret": "s3cr3t", "x-added": "client" });
  assert.equal(r.status, 200);
  const seen = JSON.parse(r.body);
  assert.equal(seen.headers["x-added"], "yes");
  assert.equal(seen.headers["x-secret"], undefined);
  assert.equal(r.headers["x-resp"], "r");
  assert.equal(r.headers["x-app-internal"], undefined);
  assert.equal((await curl(CLIENT_A, "/other")).headers["x-app-internal"], "secret", "other routes leave the response alone");
});

test("queryParams and withoutHeaders matches", async () => {
  assert.equal((await curl(CLIENT_A, "/any?debug=1")).body, "debug");
  assert.equal((await curl(CLIENT_A, "/any?debug=2")).status, 200);
  assert.notEqual((await curl(CLIENT_A, "/any?debug=2")).body, "debug");
  assert.equal((await curl(CLIENT_A, "/canary")).body, "stable");
  const canary = await curl(CLIENT_A, "/canary", { "x-canary": "1" });
  assert.equal(JSON.parse(canary.body).path, "/canary", "x-canary: 1 skips the stable rule and reaches the app");
});

test("sourceLabels: two sidecars with different labels get different routes", async () => {
  assert.equal((await curl(CLIENT_A, "/who")).body, "client-a");
  const b = await curl(CLIENT_B, "/who");
  assert.equal(b.status, 200);
  assert.equal(JSON.parse(b.body).path, "/who");
});
