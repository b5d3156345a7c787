// End to end: envoy.filters.http.ext_authz in a ProxyRuntime with small external authorizers in the test — the HTTP
// service and the gRPC Authorization/Check service, timeouts with and without failure_mode_allow, and Istio's CUSTOM
// action (an rbac shadow policy with the istio_ext_authz_ prefix gating ext_authz through filter_enabled_metadata).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer, request, type Server } from "node:http";
import * as grpc from "@grpc/grpc-js";
import { EXT_AUTHZ_TYPE, RBAC_TYPE } from "../src/xds/type-urls.js";
import { messageType } from "../src/xds/proto-root.js";
import { byName, inboundListener, staticCluster } from "../src/proxy/testing/envoy-fixtures.js";
import { ProxyRuntime } from "../src/proxy/proxy-runtime.js";
import { serverPort, closeServer } from "./support/mesh-processes.js";

const IP = "127.0.12.40";
const APP_IP = "127.0.12.41";
const HTTP_AUTHZ_IP = "127.0.12.42";
const GRPC_AUTHZ_IP = "127.0.12.43";
const SLOW_AUTHZ_IP = "127.0.12.44";
const GRPC_AUTHZ_PORT = 27240;
const P = { http: 27230, grpc: 27231, slowDeny: 27232, slowAllow: 27233, custom: 27234 } as const;

const extAuthz = (config: object) => ({ name: "envoy.filters.http.ext_authz", typed_config: { "@type": EXT_AUTHZ_TYPE, transport_api_version: "V3", ...config } });
const httpService = (cluster: string, timeoutMs: number) => ({
  http_service: {
    server_uri: { uri: `http://${cluster}`, cluster, timeout: { nanos: timeoutMs * 1e6 } }, path_prefix: "/check",
    authorization_request: { allowed_headers: { patterns: [{ exact: "x-allow" }] }, headers_to_add: [{ key: "x-from-proxy", value: "weft" }] },
    authorization_response: { allowed_upstream_headers: { patterns: [{ exact: "x-authz-user" }] }, allowed_client_headers: { patterns: [{ exact: "x-reason" }] } },
  },
});

let runtime: ProxyRuntime;
const servers: Server[] = [];
let grpcServer: grpc.Server;
const httpChecks: Array<{ method: string; url: string; headers: Record<string, unknown> }> = [];
const grpcChecks: Array<Record<string, unknown>> = [];

async function listen(ip: string, handler: Parameters<typeof createServer>[1]): Promise<number> {
  const s = createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, ip, r));
  return serverPort(s);
}

before(async () => {
  const appPort = await listen(APP_IP, (req, res) => res.end(JSON.stringify({ url: req.url, user: req.headers["x-authz-user"] ?? null, extra: req.headers["x-extra"] ?? null, grpc: req.headers["x-authz-grpc"] ?? null })));
  const httpPort = await listen(HTTP_AUTHZ_IP, (req, res) => {
    httpChecks.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    if (req.headers["x-allow"] === "yes") { res.setHeader("x-authz-user", "alice"); res.setHeader("x-extra", "no"); res.end(); return; }
    res.statusCode = 403; res.setHeader("x-reason", "no x-allow"); res.setHeader("x-secret", "hidden"); res.end("denied by http authz");
  });
  const slowPort = await listen(SLOW_AUTHZ_IP, () => { /* never answers */ });
  const req = messageType("envoy.service.auth.v3.CheckRequest");
  const resp = messageType("envoy.service.auth.v3.CheckResponse");
  grpcServer = new grpc.Server();
  grpcServer.addService({
    Check: {
      path: "/envoy.service.auth.v3.Authorization/Check", requestStream: false, responseStream: false,
      requestSerialize: (o: object) => Buffer.from(req.encode(req.fromObject(o)).finish()),
      requestDeserialize: (b: Buffer) => req.toObject(req.decode(b)),
      responseSerialize: (o: object) => Buffer.from(resp.encode(resp.fromObject(o)).finish()),
      responseDeserialize: (b: Buffer) => resp.toObject(resp.decode(b)),
    },
  }, {
    Check: (call: grpc.ServerUnaryCall<Record<string, any>, object>, cb: grpc.sendUnaryData<object>) => {
      grpcChecks.push(call.request);
      const path = String(call.request.attributes?.request?.http?.path ?? "");
      if (path.startsWith("/ok")) cb(null, { status: { code: 0 }, ok_response: { headers: [{ header: { key: "x-authz-grpc", value: "yes" } }] } });
      else cb(null, { status: { code: 7 }, denied_response: { status: { code: 401 }, body: "nope", headers: [{ header: { key: "www-authenticate", value: "Bearer" } }] } });
    },
  });
  await new Promise<void>((resolve, reject) => grpcServer.bindAsync(`${GRPC_AUTHZ_IP}:${GRPC_AUTHZ_PORT}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())));

  runtime = new ProxyRuntime({ ip: IP, drainTimeoutMs: 500 });
  runtime.applyClusters(byName([
    ...Object.values(P).map((port) => staticCluster(`inbound|${port}||`, APP_IP, appPort)),
    staticCluster("outbound|8000||authz-http.foo.svc.cluster.local", HTTP_AUTHZ_IP, httpPort),
    staticCluster("outbound|9000||authz-grpc.foo.svc.cluster.local", GRPC_AUTHZ_IP, GRPC_AUTHZ_PORT),
    staticCluster("outbound|8000||slow.foo.svc.cluster.local", SLOW_AUTHZ_IP, slowPort),
  ]));
  const grpcService = { grpc_service: { envoy_grpc: { cluster_name: "outbound|9000||authz-grpc.foo.svc.cluster.local" }, timeout: { seconds: 2 } } };
  await runtime.applyListeners(byName([
    inboundListener(IP, P.http, [extAuthz(httpService("outbound|8000||authz-http.foo.svc.cluster.local", 2000))]),
    inboundListener(IP, P.grpc, [extAuthz(grpcService)]),
    inboundListener(IP, P.slowDeny, [extAuthz({ ...httpService("outbound|8000||slow.foo.svc.cluster.local", 150), status_on_error: { code: 503 } })]),
    inboundListener(IP, P.slowAllow, [extAuthz({ ...httpService("outbound|8000||slow.foo.svc.cluster.local", 150), failure_mode_allow: true })]),
    // Istio CUSTOM: the rbac filter's shadow rules mark requests for the provider; ext_authz runs only on those.
    inboundListener(IP, P.custom, [
      { name: "envoy.filters.http.rbac", typed_config: { "@type": RBAC_TYPE, shadow_rules_stat_prefix: "istio_ext_authz_", shadow_rules: { action: "DENY", policies: {
        "istio-ext-authz-ns[foo]-policy[ext]-rule[0]": { permissions: [{ and_rules: { rules: [{ or_rules: { rules: [{ url_path: { path: { prefix: "/secure" } } }] } }] } }], principals: [{ and_ids: { ids: [{ any: true }] } }] },
      } } } },
      extAuthz({ ...grpcService, filter_enabled_metadata: { filter: "envoy.filters.http.rbac", path: [{ key: "istio_ext_authz_shadow_effective_policy_id" }], value: { string_match: { prefix: "istio-ext-authz" } } } }),
    ]),
  ]));
});

after(async () => {
  await runtime?.close();
  grpcServer?.forceShutdown();
  for (const s of servers) { s.closeAllConnections(); await closeServer(s); }
});

function send(port: number, method: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const r = request({ host: IP, port, method, path, headers: { host: "httpbin.foo", ...headers }, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c: string) => (body += c)).on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    r.on("error", reject);
    r.setTimeout(10_000, () => r.destroy(new Error("timeout")));
    r.end();
  });
}

test("HTTP service: 200 lets the request through with the allowed upstream headers; other statuses answer the client", async () => {
  const ok = await send(P.http, "POST", "/data?x=1", { "x-allow": "yes", "x-other": "1" });
  assert.equal(ok.status, 200);
  assert.deepEqual(JSON.parse(ok.body), { url: "/data?x=1", user: "alice", extra: null, grpc: null });
  const check = httpChecks.at(-1)!;
  assert.equal(check.method, "POST");
  assert.equal(check.url, "/check/data?x=1");
  assert.equal(check.headers["x-allow"], "yes");
  assert.equal(check.headers["x-from-proxy"], "weft");
  assert.equal(check.headers["x-other"], undefined, "headers not in allowed_headers stay behind");
  const no = await send(P.http, "GET", "/data");
  assert.equal(no.status, 403);
  assert.equal(no.body, "denied by http authz");
  assert.equal(no.headers["x-reason"], "no x-allow");
  assert.equal(no.headers["x-secret"], undefined);
});

test("gRPC Authorization/Check: OK adds the service's headers upstream; a denial answers with its status, headers and body", async () => {
  const ok = await send(P.grpc, "GET", "/ok/1", { "x-user": "bob" });
  assert.equal(ok.status, 200);
  assert.equal(JSON.parse(ok.body).grpc, "yes");
  const http = (grpcChecks.at(-1)!.attributes as any).request.http;
  assert.equal(http.method, "GET");
  assert.equal(http.path, "/ok/1");
  assert.equal(http.headers["x-user"], "bob");
  assert.equal(http.host, "httpbin.foo");
  const no = await send(P.grpc, "GET", "/private");
  assert.equal(no.status, 401);
  assert.equal(no.body, "nope");
  assert.equal(no.headers["www-authenticate"], "Bearer");
});

test("a service that does not answer in time: status_on_error, or the request goes on with failure_mode_allow", async () => {
  const t0 = Date.now();
  const denied = await send(P.slowDeny, "GET", "/x", { "x-allow": "yes" });
  assert.equal(denied.status, 503);
  assert.ok(Date.now() - t0 < 2000, "the timeout bounds the wait");
  const allowed = await send(P.slowAllow, "GET", "/x");
  assert.equal(allowed.status, 200);
  assert.equal(JSON.parse(allowed.body).url, "/x");
});

test("Istio CUSTOM: only requests the rbac shadow policy marks are sent to the authorizer", async () => {
  const before = grpcChecks.length;
  assert.equal((await send(P.custom, "GET", "/public")).status, 200);
  assert.equal(grpcChecks.length, before, "not marked: no check");
  assert.equal((await send(P.custom, "GET", "/secure/x")).status, 401);
  assert.equal(grpcChecks.length, before + 1);
});
