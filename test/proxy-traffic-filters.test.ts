// End to end: a real `weft proxy` against a scripted ADS server — retries, per-try timeout, URX, fault injection, CORS, mirroring.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createServer, request, type Server, type IncomingMessage, type ServerResponse } from "node:http";
import * as grpc from "@grpc/grpc-js";
import { aggregatedDiscoveryService, type DiscoveryRequest, type DiscoveryResponse } from "../src/xds/discovery.js";
import { packAny } from "../src/xds/any.js";
import { CLUSTER_TYPE, ENDPOINT_TYPE, FAULT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from "../src/xds/type-urls.js";
import { outboundListener, routeConfig, staticCluster, virtualOutboundListener } from "../src/proxy/testing/envoy-fixtures.js";
import { CORS_TYPE } from "../src/proxy/filters/cors/cors-filter.js";
import type { XdsObject } from "../src/proxy/config/xds-fields.js";
import { runWeft, serverPort, closeServer, httpGet, waitFor, type WeftProcess } from "./support/mesh-processes.js";

const PROXY_IP = "127.0.2.50";
const ADS_ADDRESS = "127.0.2.1:26100";
const VIA = `${PROXY_IP}:15001`;
const CORS_POLICY_TYPE = "type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy";

/** A SotW ADS server that answers each type's first request with a fixed set of resources. */
function startAds(state: Map<string, object[]>): Promise<grpc.Server> {
  const server = new grpc.Server();
  let nonce = 0;
  server.addService(aggregatedDiscoveryService, {
    StreamAggregatedResources: (call: grpc.ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>) => {
      call.on("data", (req: DiscoveryRequest) => {
        const resources = state.get(req.type_url);
        if (req.response_nonce === "" && resources) {
          call.write({ version_info: "v1", nonce: `n${++nonce}`, type_url: req.type_url, resources: resources.map((r) => packAny(req.type_url, r)) });
        }
      });
      call.on("error", () => {});
    },
    DeltaAggregatedResources: (call: grpc.ServerDuplexStream<unknown, unknown>) => call.end(),
  });
  return new Promise((resolve, reject) => server.bindAsync(ADS_ADDRESS, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve(server))));
}

type Handler = (req: IncomingMessage, res: ServerResponse, n: number, body: string) => void;
const apps: Server[] = [];

async function app(ip: string, handler: Handler): Promise<number> {
  let n = 0;
  const s = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8").on("data", (c: string) => (body += c));
    req.on("end", () => handler(req, res, n++, body));
  });
  apps.push(s);
  await new Promise<void>((r) => s.listen(0, ip, r));
  return serverPort(s);
}

function vh(name: string, routes: object[], extra: object = {}): XdsObject {
  return { name, domains: [`${name}:9080`], routes, ...extra };
}

function fault(config: object): object {
  return { "envoy.filters.http.fault": { "@type": FAULT_TYPE, ...config } };
}

let ads: grpc.Server;
let proxy: WeftProcess;
const mirrored: string[] = [];
let slowMirrorHits = 0;

before(async () => {
  const flaky = await app("127.0.2.51", (_q, res, n) => { res.statusCode = n % 2 === 0 ? 503 : 200; res.end(`flaky ${n}`); });
  const resetting = await app("127.0.2.52", (req, res, n) => { if (n % 2 === 0) req.socket.destroy(); else res.end(`reset ${n}`); });
  const slow = await app("127.0.2.53", (_q, res, n) => { if (n % 2 === 0) setTimeout(() => res.end("late"), 2000); else res.end("fast"); });
  const down = await app("127.0.2.54", (_q, res) => { res.statusCode = 503; res.end("down"); });
  const main = await app("127.0.2.55", (req, res, _n, body) => res.end(`main ${req.headers.host} ${body}`));
  const mirror = await app("127.0.2.56", (req, res, _n, body) => { mirrored.push(`${req.method} ${req.headers.host} ${body}`); res.end(); });
  const slowMirror = await app("127.0.2.57", (_q, res) => { slowMirrorHits++; setTimeout(() => res.end(), 5000); });
  const clusters = [
    staticCluster("flaky", "127.0.2.51", flaky), staticCluster("resetting", "127.0.2.52", resetting), staticCluster("slow", "127.0.2.53", slow),
    staticCluster("down", "127.0.2.54", down), staticCluster("main", "127.0.2.55", main), staticCluster("mirror", "127.0.2.56", mirror),
    staticCluster("slow-mirror", "127.0.2.57", slowMirror), staticCluster("dead-mirror", "127.0.2.58", mirror),
  ];
  const routes = routeConfig("9080", [
    vh("flaky", [{ match: { prefix: "/" }, route: { cluster: "flaky", retry_policy: { retry_on: "5xx", num_retries: { value: 3 } } } }]),
    vh("reset", [{ match: { prefix: "/" }, route: { cluster: "resetting", retry_policy: { retry_on: "reset", num_retries: { value: 2 } } } }]),
    vh("slow", [{ match: { prefix: "/" }, route: { cluster: "slow", timeout: { seconds: 5 }, retry_policy: { retry_on: "5xx", num_retries: { value: 2 }, per_try_timeout: { nanos: 200_000_000 } } } }]),
    // The retry policy comes from the virtual host.
    vh("down", [{ match: { prefix: "/" }, route: { cluster: "down" } }], { retry_policy: { retry_on: "gateway-error", num_retries: { value: 2 } } }),
    vh("fault", [
      { match: { path: "/abort" }, route: { cluster: "main" }, typed_per_filter_config: fault({ abort: { http_status: 418, percentage: { numerator: 100 } } }) },
      { match: { path: "/grpc-abort" }, route: { cluster: "main" }, typed_per_filter_config: fault({ abort: { grpc_status: 14, percentage: { numerator: 1_000_000, denominator: "MILLION" } } }) },
      { match: { path: "/delay" }, route: { cluster: "main" }, typed_per_filter_config: fault({ delay: { fixed_delay: { nanos: 200_000_000 }, percentage: { numerator: 100 } } }) },
      { match: { path: "/never" }, route: { cluster: "main" }, typed_per_filter_config: fault({ delay: { fixed_delay: { seconds: 2 }, percentage: { numerator: 0 } }, abort: { http_status: 500, percentage: { numerator: 0 } } }) },
    ]),
    vh("cors", [{ match: { prefix: "/" }, route: { cluster: "main" } }], {
      typed_per_filter_config: { "envoy.filters.http.cors": {
        "@type": CORS_POLICY_TYPE, allow_origin_string_match: [{ exact: "https://app.example" }], allow_methods: "GET,POST",
        allow_headers: "content-type", expose_headers: "x-version", max_age: "3600", allow_credentials: { value: true },
      } },
    }),
    vh("mirror", [{ match: { prefix: "/" }, route: { cluster: "main", request_mirror_policies: [{ cluster: "mirror" }, { cluster: "slow-mirror" }, { cluster: "dead-mirror" }] } }]),
  ]);
  const filters = [
    { name: "envoy.filters.http.fault", typed_config: { "@type": FAULT_TYPE } },
    { name: "envoy.filters.http.cors", typed_config: { "@type": CORS_TYPE } },
  ];
  ads = await startAds(new Map<string, object[]>([
    [CLUSTER_TYPE, clusters], [ENDPOINT_TYPE, []],
    [LISTENER_TYPE, [virtualOutboundListener(), outboundListener(9080, filters)]], [ROUTE_TYPE, [routes]],
  ]));
  proxy = runWeft("proxy", ["proxy", "--xds", ADS_ADDRESS, "--xds-protocol", "sotw", "--ip", PROXY_IP, "--workload", "client", "--labels", "app=client"]);
  await waitFor(async () => (await get("cors", "/")).status === 200, 10_000, () => proxy.stderr);
});

after(async () => {
  await proxy?.stop();
  ads?.forceShutdown();
  for (const s of apps) await closeServer(s);
});

function get(host: string, path: string, headers: Record<string, string> = {}) {
  return httpGet(`http://${host}:9080${path}`, { via: VIA, headers });
}

function post(host: string, path: string, body: string): Promise<{ status: number; body: string }> {
  const [h, p] = VIA.split(":");
  return new Promise((resolve, reject) => {
    const req = request({ host: h, port: Number(p), method: "POST", path, headers: { host: `${host}:9080`, "content-length": Buffer.byteLength(body) } }, (res) => {
      let b = "";
      res.setEncoding("utf8").on("data", (c: string) => (b += c)).on("end", () => resolve({ status: res.statusCode ?? 0, body: b }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function counter(name: string, cluster: string): Promise<number> {
  return metric(`envoy_cluster_${name}`, `cluster_name="${cluster}"`);
}

async function metric(name: string, label: string): Promise<number> {
  const text = (await httpGet(`http://${PROXY_IP}:15000/stats/prometheus`)).body;
  const m = new RegExp(`^${name}\\{${label}\\} (\\d+)$`, "m").exec(text);
  return m ? Number(m[1]) : -1;
}

const HCM = 'http_conn_manager_prefix="outbound_0.0.0.0_9080"';

test("retries turn a 503-every-other-request upstream into 100% success, counted as upstream_rq_retry", async () => {
  for (let i = 0; i < 20; i++) assert.equal((await get("flaky", "/")).status, 200);
  assert.ok(await counter("upstream_rq_retry", "flaky") >= 9);
  assert.ok(await counter("upstream_rq_retry_success", "flaky") >= 9);
});

test("retries on reset turn an upstream that drops every other connection into 100% success", async () => {
  for (let i = 0; i < 10; i++) assert.equal((await get("reset", "/")).status, 200);
  assert.ok(await counter("upstream_rq_retry", "resetting") >= 4);
});

test("per_try_timeout abandons a slow try after 200 ms and the retry answers", async () => {
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const r = await get("slow", "/");
    assert.equal(r.status, 200);
    assert.equal(r.body, "fast");
    assert.ok(performance.now() - t0 < 1500);
  }
});

test("when retries are exhausted the upstream's 503 goes downstream and upstream_rq_retry_limit_exceeded counts it", async () => {
  const before = await counter("upstream_rq_retry_limit_exceeded", "down");
  const r = await get("down", "/");
  assert.equal(r.status, 503);
  assert.equal(r.body, "down");
  assert.equal(await counter("upstream_rq_retry_limit_exceeded", "down"), before + 1);
  assert.equal(await counter("upstream_rq_total", "down"), 3 * (before + 1));
});

test("a 100% abort answers 418 with Envoy's body; a gRPC abort is a trailers-only 200 with grpc-status", async () => {
  const aborts = await metric("envoy_http_fault_aborts_injected", HCM);
  const r = await get("fault", "/abort");
  assert.equal(r.status, 418);
  assert.equal(r.body, "fault filter abort");
  const g = await get("fault", "/grpc-abort");
  assert.equal(g.status, 200);
  assert.equal(g.headers["grpc-status"], "14");
  assert.equal(g.headers["content-type"], "application/grpc");
  assert.equal(await metric("envoy_http_fault_aborts_injected", HCM), aborts + 2);
});

test("a 100% 200 ms delay is observed; a 0% fault never fires", async () => {
  const t0 = performance.now();
  const r = await get("fault", "/delay");
  const took = performance.now() - t0;
  assert.equal(r.status, 200);
  assert.ok(took >= 190, `took ${took}`);
  assert.equal(await metric("envoy_http_fault_delays_injected", HCM), 1);
  for (let i = 0; i < 10; i++) {
    const s = performance.now();
    assert.equal((await get("fault", "/never")).status, 200);
    assert.ok(performance.now() - s < 1000);
  }
  assert.equal(await metric("envoy_http_fault_delays_injected", HCM), 1, "the 0% delay never fired");
});

function curl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => execFile("curl", ["-s", "-i", "--max-time", "5", ...args], (err, out) => (err ? reject(err) : resolve(out))));
}

test("a CORS preflight (curl) is answered by the proxy; simple requests get allow-origin only for allowed origins", async () => {
  const pre = await curl(["-X", "OPTIONS", "-H", "Host: cors:9080", "-H", "Origin: https://app.example", "-H", "Access-Control-Request-Method: POST", `http://${VIA}/api`]);
  assert.match(pre, /^HTTP\/1\.1 200/);
  assert.match(pre, /access-control-allow-origin: https:\/\/app\.example\r\n/);
  assert.match(pre, /access-control-allow-methods: GET,POST\r\n/);
  assert.match(pre, /access-control-allow-headers: content-type\r\n/);
  assert.match(pre, /access-control-max-age: 3600\r\n/);
  assert.match(pre, /access-control-allow-credentials: true\r\n/);
  const simple = await get("cors", "/", { origin: "https://app.example" });
  assert.equal(simple.headers["access-control-allow-origin"], "https://app.example");
  assert.equal(simple.headers["access-control-expose-headers"], "x-version");
  assert.match(simple.body, /^main /, "the simple request reached the upstream");
  const other = await get("cors", "/", { origin: "https://evil.example" });
  assert.equal(other.status, 200);
  assert.equal(other.headers["access-control-allow-origin"], undefined);
});

test("a mirror receives a copy with the -shadow host while the main request stays fast, even with a slow and a dead mirror", async () => {
  const t0 = performance.now();
  const r = await post("mirror", "/m", "payload");
  const took = performance.now() - t0;
  assert.equal(r.status, 200);
  assert.equal(r.body, "main mirror:9080 payload");
  assert.ok(took < 1000, `main took ${took} ms`);
  await waitFor(() => mirrored.length > 0 && slowMirrorHits > 0, 3000);
  assert.deepEqual(mirrored, ["POST mirror-shadow:9080 payload"]);
});
