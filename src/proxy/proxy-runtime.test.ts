// Socket-level tests of ProxyRuntime: real upstream servers and clients on loopback, Envoy-shaped config fixtures.

import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { execFile } from "node:child_process";
import { ProxyRuntime } from "./proxy-runtime.js";
import { assignment, byName, edsCluster, inboundListener, outboundListener, routeConfig, staticCluster, virtualOutboundListener } from "./testing/envoy-fixtures.js";
import type { XdsObject } from "./config/xds-fields.js";

const PROXY_IP = "127.0.0.21";

interface Upstream { server: http.Server; name: string; port: number; connections: number; address: string }

async function startUpstream(address: string, name: string, handler?: http.RequestListener): Promise<Upstream> {
  const up: Upstream = { server: undefined as unknown as http.Server, name, port: 0, connections: 0, address };
  up.server = http.createServer(handler ?? ((req, res) => {
    if (req.url === "/big") {
      // 8 MiB, chunked (no Content-Length), written with backpressure.
      const piece = Buffer.alloc(64 * 1024, 0x61);
      let left = 128;
      const pump = (): void => {
        while (left > 0) { left--; if (!res.write(piece)) { res.once("drain", pump); return; } }
        res.end();
      };
      pump();
      return;
    }
    if (req.url === "/late-body") {
      // Headers now, the body 300 ms later: a streaming response.
      res.writeHead(200, { "content-type": "text/plain" });
      res.flushHeaders();
      setTimeout(() => res.end("late"), 300);
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.stringify({ server: name, method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() });
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      res.end(body);
    });
  }));
  up.server.keepAliveTimeout = 30_000;
  up.server.on("connection", () => up.connections++);
  await new Promise<void>((r) => up.server.listen(0, address, r));
  up.port = (up.server.address() as net.AddressInfo).port;
  return up;
}

interface Reply { status: number; headers: http.IncomingHttpHeaders; body: string }

function request(host: string, path: string, opts: { headers?: Record<string, string>; agent?: http.Agent; method?: string; body?: string; port?: number } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: PROXY_IP, port: opts.port ?? 15001, path, method: opts.method ?? "GET", agent: opts.agent ?? false, headers: { host, ...opts.headers } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end(opts.body);
  });
}

/** Writes raw bytes on a fresh connection and collects everything until the proxy closes or `ms` pass. */
function rawExchange(bytes: string, ms = 500, port = 15001): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host: PROXY_IP, port }, () => s.write(bytes));
    let out = "";
    s.on("data", (c) => (out += c.toString("latin1")));
    const timer = setTimeout(() => s.destroy(), ms);
    s.on("close", () => { clearTimeout(timer); resolve(out); });
    s.on("error", () => undefined);
  });
}

let reviewsV1: Upstream, reviewsV2: Upstream, ratings: Upstream, app: Upstream, slow: Upstream;
let runtime: ProxyRuntime;
let deadPort = 0;

function routes(extraVhosts: XdsObject[] = []): Map<string, XdsObject> {
  return byName([
    routeConfig("9080", [
      {
        name: "reviews.default.svc.cluster.local:9080",
        domains: ["reviews.default.svc.cluster.local", "reviews.default.svc.cluster.local:9080", "reviews", "reviews:9080"],
        routes: [
          { match: { prefix: "/", headers: [{ name: "end-user", string_match: { exact: "jason" } }] }, route: { cluster: "outbound|9080|v2|reviews.default.svc.cluster.local" } },
          { match: { path: "/split" }, route: { weighted_clusters: { clusters: [{ name: "outbound|9080|v1|reviews.default.svc.cluster.local", weight: { value: 90 } }, { name: "outbound|9080|v2|reviews.default.svc.cluster.local", weight: { value: 10 } }, { name: "outbound|9080|none|reviews.default.svc.cluster.local", weight: { value: 0 } }] } } },
          { match: { safe_regex: { regex: "/v2/.*" } }, route: { cluster: "outbound|9080|v2|reviews.default.svc.cluster.local" } },
          { match: { prefix: "/slow" }, route: { cluster: "outbound|9080||slow.default.svc.cluster.local", timeout: { nanos: 300_000_000 } } },
          { match: { prefix: "/missing" }, route: { cluster: "outbound|9080||missing.default.svc.cluster.local" } },
          { match: { prefix: "/empty" }, route: { cluster: "outbound|9080||empty.default.svc.cluster.local" } },
          { match: { prefix: "/dead" }, route: { cluster: "outbound|9080||dead.default.svc.cluster.local" } },
          { match: { prefix: "/direct" }, direct_response: { status: 418, body: { inline_string: "teapot" } } },
          { match: { prefix: "/" }, route: { cluster: "outbound|9080|v1|reviews.default.svc.cluster.local" } },
        ],
      },
      { name: "ratings.default.svc.cluster.local:9080", domains: ["ratings", "ratings:9080", "*.ratings.example:9080"], routes: [{ match: { prefix: "/" }, route: { cluster: "outbound|9080||ratings.default.svc.cluster.local" } }] },
      ...extraVhosts,
    ]),
  ]);
}

before(async () => {
  reviewsV1 = await startUpstream("127.0.0.22", "reviews-v1");
  reviewsV2 = await startUpstream("127.0.0.23", "reviews-v2");
  ratings = await startUpstream("127.0.0.24", "ratings");
  app = await startUpstream("127.0.0.25", "app");
  slow = await startUpstream("127.0.0.26", "slow", (_req, res) => { setTimeout(() => res.end("late"), 2000); });
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.27", r));
  deadPort = (probe.address() as net.AddressInfo).port;
  await new Promise((r) => probe.close(r));

  runtime = new ProxyRuntime({ ip: PROXY_IP, drainTimeoutMs: 1000 });
  const names = ["outbound|9080|v1|reviews.default.svc.cluster.local", "outbound|9080|v2|reviews.default.svc.cluster.local",
    "outbound|9080||ratings.default.svc.cluster.local", "outbound|9080||slow.default.svc.cluster.local",
    "outbound|9080||empty.default.svc.cluster.local", "outbound|9080||dead.default.svc.cluster.local"];
  runtime.applyClusters(byName([...names.map((n) => edsCluster(n, 1)), staticCluster("inbound|9081||", app.address, app.port)]));
  assert.deepEqual(runtime.endpointNamesWanted().sort(), [...names].sort());
  runtime.applyEndpoints(byName([
    assignment(names[0], [[reviewsV1.address, reviewsV1.port]]),
    assignment(names[1], [[reviewsV2.address, reviewsV2.port]]),
    assignment(names[2], [[ratings.address, ratings.port]]),
    assignment(names[3], [[slow.address, slow.port]]),
    // DRAINING hosts are excluded (Envoy), even from panic mode; UNHEALTHY ones would be used in panic (threshold 50%).
    assignment(names[4], [[reviewsV1.address, reviewsV1.port]], "DRAINING"),
    assignment(names[5], [["127.0.0.27", deadPort]]),
  ], "cluster_name"));
  await runtime.applyListeners(byName([virtualOutboundListener(), outboundListener(9080), inboundListener(PROXY_IP, 9081)]));
  assert.deepEqual(runtime.routeNamesWanted(), ["9080"]);
  runtime.applyRoutes(routes());
});

after(async () => {
  await runtime.close();
  for (const u of [reviewsV1, reviewsV2, ratings, app, slow]) { u.server.closeAllConnections(); u.server.close(); }
});

test("routes by host, port, path and header; adds x-request-id, x-forwarded-proto and x-envoy-upstream-service-time", async () => {
  const a = await request("reviews:9080", "/reviews/1");
  assert.equal(a.status, 200);
  const body = JSON.parse(a.body);
  assert.equal(body.server, "reviews-v1");
  assert.equal(body.url, "/reviews/1");
  assert.match(body.headers["x-request-id"], /^[0-9a-f-]{36}$/);
  assert.equal(body.headers["x-forwarded-proto"], "http");
  assert.match(String(a.headers["x-envoy-upstream-service-time"]), /^\d+$/);
  assert.equal(JSON.parse((await request("reviews:9080", "/x", { headers: { "end-user": "jason", "x-request-id": "keep-me" } })).body).headers["x-request-id"], "keep-me");
  assert.equal(JSON.parse((await request("reviews:9080", "/x", { headers: { "end-user": "jason" } })).body).server, "reviews-v2");
  assert.equal(JSON.parse((await request("REVIEWS.default.svc.cluster.local:9080", "/v2/abc")).body).server, "reviews-v2");
  assert.equal(JSON.parse((await request("reviews:9080", "/v2")).body).server, "reviews-v1", "safe_regex is a full match");
  assert.equal(JSON.parse((await request("ratings:9080", "/")).body).server, "ratings");
  assert.equal(JSON.parse((await request("x.ratings.example:9080", "/")).body).server, "ratings", "suffix wildcard");
  const direct = await request("reviews:9080", "/direct");
  assert.equal(direct.status, 418);
  assert.equal(direct.body, "teapot");
});

test("no virtual host, or no listener for the port, answers 404 NR with an empty body", async () => {
  const noHost = await request("unknown:9080", "/");
  assert.equal(noHost.status, 404);
  assert.equal(noHost.body, "");
  const noPort = await request("reviews:9999", "/");
  assert.equal(noPort.status, 404);
  assert.equal(noPort.headers["server"], "envoy");
  const hcm = runtime.stats().httpConnectionManagers.find((h) => h.statPrefix === "outbound_0.0.0.0_9080")!;
  assert.ok(hcm.stats.no_route >= 1);
});

test("absolute-form requests (curl -x) are rewritten to origin-form with Host from the URL", async () => {
  const out = await new Promise<string>((resolve, reject) => {
    execFile("curl", ["-s", "-x", `http://${PROXY_IP}:15001`, "http://reviews:9080/abs?q=1"], (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
  const body = JSON.parse(out);
  assert.equal(body.server, "reviews-v1");
  assert.equal(body.url, "/abs?q=1");
  assert.equal(body.headers.host, "reviews:9080");
  assert.equal(body.headers["proxy-connection"], undefined);
});

test("90/10 weighted split sends 10±3% of 2000 requests to v2 and never picks a weight-0 cluster", async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 20 });
  const counts: Record<string, number> = {};
  for (let batch = 0; batch < 100; batch++) {
    const replies = await Promise.all(Array.from({ length: 20 }, () => request("reviews:9080", "/split", { agent })));
    for (const r of replies) {
      assert.equal(r.status, 200);
      const s = JSON.parse(r.body).server as string;
      counts[s] = (counts[s] ?? 0) + 1;
    }
  }
  agent.destroy();
  assert.equal((counts["reviews-v1"] ?? 0) + (counts["reviews-v2"] ?? 0), 2000);
  const v2 = (counts["reviews-v2"] ?? 0) / 2000;
  assert.ok(v2 > 0.07 && v2 < 0.13, `v2 share ${v2}`);
});

test("keep-alive: 50 sequential requests over one downstream connection use one upstream connection", async () => {
  const before = ratings.connections;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 0; i < 50; i++) assert.equal((await request("ratings:9080", `/${i}`, { agent })).status, 200);
  agent.destroy();
  assert.equal(ratings.connections - before <= 1, true, `upstream connections opened: ${ratings.connections - before}`);
});

test("503 UH with 'no healthy upstream' when every endpoint is draining; 503 NC for an unknown cluster", async () => {
  const uh = await request("reviews:9080", "/empty");
  assert.equal(uh.status, 503);
  assert.equal(uh.body, "no healthy upstream");
  const nc = await request("reviews:9080", "/missing");
  assert.equal(nc.status, 503);
});

test("503 UF with Envoy's body when the endpoint refuses connections", async () => {
  const uf = await request("reviews:9080", "/dead");
  assert.equal(uf.status, 503);
  assert.equal(uf.body, "upstream connect error or disconnect/reset before headers. reset reason: connection failure");
  const dead = runtime.stats().clusters.find((c) => c.name === "outbound|9080||dead.default.svc.cluster.local")!;
  assert.ok(dead.stats.upstream_cx_connect_fail >= 1);
});

test("response headers are forwarded as they arrive, before a body the upstream sends later", async () => {
  const t0 = performance.now();
  const { headersAt, endAt, body } = await new Promise<{ headersAt: number; endAt: number; body: string }>((resolve, reject) => {
    const req = http.request({ host: PROXY_IP, port: 15001, path: "/late-body", agent: false, headers: { host: "reviews:9080" } }, (res) => {
      const headersAt = performance.now() - t0;
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ headersAt, endAt: performance.now() - t0, body }));
    });
    req.on("error", reject);
    req.end();
  });
  assert.equal(body, "late");
  assert.ok(endAt >= 290, `body after ${endAt} ms`);
  assert.ok(headersAt < 250, `headers only after ${headersAt} ms`);
});

test("route timeout answers 504 'upstream request timeout' (UT)", async () => {
  const r = await request("reviews:9080", "/slow");
  assert.equal(r.status, 504);
  assert.equal(r.body, "upstream request timeout");
  assert.equal(runtime.stats().clusters.find((c) => c.name.includes("slow"))!.stats.upstream_rq_timeout, 1);
});

test("malformed requests get 400 and a close while another connection keeps working", async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  assert.equal((await request("ratings:9080", "/", { agent })).status, 200);
  const cases = [
    "GET / HTTP/1.1\r\nHost: ratings\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "POST / HTTP/1.1\r\nHost: ratings\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
    "GET / HTTP/1.1\r\nHost : ratings\r\n\r\n",
    "GET /\x01 HTTP/1.1\r\nHost: ratings\r\n\r\n",
    "POST / HTTP/1.1\r\nHost: ratings:9080\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    "GET / HTTP/1.1\r\n\r\n",
  ];
  for (const c of cases) {
    const out = await rawExchange(c);
    assert.match(out, /^HTTP\/1\.1 400 /, JSON.stringify(c));
    assert.match(out, /connection: close/);
  }
  const big = await rawExchange(`GET / HTTP/1.1\r\nHost: ratings\r\nX-Big: ${"a".repeat(61 * 1024)}\r\n\r\n`);
  assert.match(big, /^HTTP\/1\.1 431 /);
  assert.equal((await request("ratings:9080", "/", { agent })).status, 200);
  agent.destroy();
  assert.ok(runtime.stats().downstream.downstream_cx_protocol_error >= cases.length);
});

test("pipelined requests are answered in order on one connection", async () => {
  const reqs = ["/a", "/b", "/c"].map((p) => `GET ${p} HTTP/1.1\r\nHost: ratings:9080\r\n\r\n`).join("") +
    "GET /d HTTP/1.1\r\nHost: reviews:9080\r\nConnection: close\r\n\r\n";
  const out = await rawExchange(reqs, 2000);
  const urls = [...out.matchAll(/"url":"([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(urls, ["/a", "/b", "/c", "/d"]);
  assert.equal((out.match(/HTTP\/1\.1 200 OK/g) ?? []).length, 4);
});

test("chunked request bodies stream through and close-delimited HTTP/1.0 exchanges work", async () => {
  const out = await rawExchange("POST /echo HTTP/1.1\r\nHost: ratings:9080\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n", 2000);
  assert.match(out, /"body":"hello world"/);
  const posted = await request("ratings:9080", "/post", { method: "POST", body: "x".repeat(200_000) });
  assert.equal(JSON.parse(posted.body).body.length, 200_000);
  const old = await rawExchange("GET /old HTTP/1.0\r\nHost: ratings:9080\r\n\r\n", 2000);
  assert.match(old, /^HTTP\/1\.1 200 OK/);
  assert.match(old, /"url":"\/old"/);
});

test("inbound listener sends everything to the STATIC inbound cluster (the app)", async () => {
  const r = await request("anything", "/in", { port: 9081 });
  assert.equal(JSON.parse(r.body).server, "app");
});

test("an 8 MiB chunked response streams to a slow reader with backpressure, intact", async () => {
  const total = await new Promise<number>((resolve, reject) => {
    const req = http.get({ host: PROXY_IP, port: 9081, path: "/big", agent: false }, (res) => {
      let n = 0;
      res.pause();
      setTimeout(() => res.resume(), 300);
      res.on("data", (c: Buffer) => (n += c.length));
      res.on("end", () => resolve(n));
    });
    req.on("error", reject);
  });
  assert.equal(total, 8 * 1024 * 1024);
});

test("config swaps during a stream of keep-alive requests cause zero failures", async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 10 });
  let failures = 0;
  let done = 0;
  let stop = false;
  const workers = Array.from({ length: 10 }, async () => {
    while (!stop) {
      try {
        const r = await request("reviews:9080", "/swap", { agent });
        if (r.status !== 200) failures++;
      } catch { failures++; }
      done++;
    }
  });
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 15));
    await runtime.applyListeners(byName([virtualOutboundListener(), outboundListener(9080), inboundListener(PROXY_IP, 9081)]));
    runtime.applyRoutes(routes(i % 2 ? [{ name: `extra${i}`, domains: [`extra${i}`], routes: [{ match: { prefix: "/" }, route: { cluster: "x" } }] }] : []));
  }
  stop = true;
  await Promise.all(workers);
  agent.destroy();
  assert.ok(done > 50, `only ${done} requests`);
  assert.equal(failures, 0);
});

test("an invalid resource is rejected with PROXY_CONFIG_INVALID and the previous config keeps serving", async () => {
  assert.throws(() => runtime.applyRoutes(byName([routeConfig("9080", [{ name: "bad", domains: ["*"], routes: [{ match: { safe_regex: { regex: "(" } }, route: { cluster: "x" } }] }])])),
    (e: Error & { code?: string }) => e.code === "PROXY_CONFIG_INVALID" && e.message.startsWith("9080: "));
  const unknownFilter = outboundListener(9080, [{ name: "x", typed_config: { "@type": "type.googleapis.com/unknown.Filter" } }]);
  await assert.rejects(runtime.applyListeners(byName([virtualOutboundListener(), unknownFilter])), (e: Error & { code?: string }) => e.code === "PROXY_CONFIG_INVALID");
  const optional = outboundListener(9080, [{ name: "x", is_optional: true, typed_config: { "@type": "type.googleapis.com/unknown.Filter" } }]);
  await runtime.applyListeners(byName([virtualOutboundListener(), optional, inboundListener(PROXY_IP, 9081)]));
  assert.equal((await request("ratings:9080", "/")).status, 200);
});

test("a listener that cannot bind rejects with PROXY_LISTENER_BIND_FAILED while the others keep serving", async () => {
  const clash = inboundListener(reviewsV1.address, reviewsV1.port);
  await assert.rejects(runtime.applyListeners(byName([virtualOutboundListener(), outboundListener(9080), inboundListener(PROXY_IP, 9081), clash])),
    (e: Error & { code?: string }) => e.code === "PROXY_LISTENER_BIND_FAILED" && e.message.startsWith(`${reviewsV1.address}_${reviewsV1.port}: `));
  assert.equal((await request("ratings:9080", "/")).status, 200);
  assert.equal((await request("anything", "/in", { port: 9081 })).status, 200);
  await runtime.applyListeners(byName([virtualOutboundListener(), outboundListener(9080), inboundListener(PROXY_IP, 9081)]));
});

test("a removed listener stops accepting; adding it back binds again", async () => {
  await runtime.applyListeners(byName([virtualOutboundListener(), outboundListener(9080)]));
  await assert.rejects(request("anything", "/in", { port: 9081 }), (e: Error & { code?: string }) => e.code === "ECONNREFUSED");
  await runtime.applyListeners(byName([virtualOutboundListener(), outboundListener(9080), inboundListener(PROXY_IP, 9081)]));
  assert.equal((await request("anything", "/in", { port: 9081 })).status, 200);
});

test("Expect: 100-continue gets a local 100 Continue and is not forwarded", async () => {
  const out = await rawExchange("POST /e HTTP/1.1\r\nHost: ratings:9080\r\nExpect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi", 2000);
  assert.match(out, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK/);
  const body = JSON.parse(out.slice(out.indexOf("{")));
  assert.equal(body.body, "hi");
  assert.equal(body.headers.expect, undefined);
});

test("stats count upstream requests by code and class", () => {
  const s = runtime.stats().clusters.find((c) => c.name === "outbound|9080||ratings.default.svc.cluster.local")!.stats;
  assert.ok(s.upstream_rq_total >= 50);
  assert.equal(s.upstream_rq_by_code[200], s.upstream_rq_by_class[2]);
  assert.equal(s.upstream_rq_active, 0);
  const status = runtime.clustersStatus().find((c) => c.name === "outbound|9080||ratings.default.svc.cluster.local")!;
  assert.equal(status.endpoints[0].health, "HEALTHY");
});
