// Tests of the router's LbContext with real upstreams: hash-policy stickiness (header, generated cookie), original destination.

import { test, after } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { Cluster, Host } from "../upstream/cluster.js";
import { staticCluster } from "../upstream/static-cluster.js";
import { parseLbConfig } from "../upstream/lb/lb-config.js";
import type { RequestHead } from "../http/request-head.js";
import type { ResponseHead } from "../http/response-head.js";
import type { DataPlane } from "../http/data-plane.js";
import { RouteEntry, type ClusterAction } from "./route-entry.js";
import type { UpstreamRequestStream } from "./upstream-request.js";
import { newRouterRequest } from "./router-request.js";

const servers: Server[] = [];
after(() => { for (const s of servers) s.close(); });

async function serve(ip: string): Promise<number> {
  const s = createServer((_req, res) => res.end(ip));
  s.keepAliveTimeout = 100;
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, ip, r));
  return (s.address() as AddressInfo).port;
}

class Downstream implements UpstreamRequestStream {
  requestEnded = true;
  body = "";
  headers: string[] = [];
  done: Promise<void>;
  private finish!: () => void;
  readonly downstreamSocket = { remoteAddress: "127.0.5.50", remotePort: 41000, localAddress: "127.0.5.51", localPort: 15001 } as Socket;
  constructor(readonly head: RequestHead) { this.done = new Promise((r) => (this.finish = r)); }
  takePendingBody(): Buffer[] | null { return null; }
  pauseReading(): void {}
  resumeReading(): void {}
  setResponseFlag(): void {}
  setUpstream(): void {}
  onResponseHead(h: ResponseHead): boolean { this.headers = h.headers; return true; }
  onResponseData(buf: Buffer, s: number, e: number): void { this.body += buf.toString("utf8", s, e); }
  onResponseEnd(): void { this.finish(); }
  flushResponse(): void {}
  upstreamFailure(status: number, body: string): void { this.body = `${status} ${body}`; this.finish(); }
}

function head(headers: string[], host = "svc"): RequestHead {
  return { method: "GET", path: "/", versionMinor: 1, headers: ["host", host, ...headers], host, contentLength: -1, chunked: false, keepAlive: true, expectContinue: false };
}

async function send(r: RouteEntry, c: Cluster, headers: string[], host?: string): Promise<Downstream> {
  const d = new Downstream(head(headers, host));
  const dataPlane = { cluster: () => c } as unknown as DataPlane;
  newRouterRequest(d, c, r.action as ClusterAction, false, r, dataPlane).start();
  await d.done;
  return d;
}

async function ringCluster(policy: "RING_HASH" | "MAGLEV"): Promise<Cluster> {
  const ips = ["127.0.5.11", "127.0.5.12", "127.0.5.13"];
  const ports = await Promise.all(ips.map(serve));
  return staticCluster("c", ips.map((ip, i) => [ip, ports[i]] as const), { lb: parseLbConfig("c", { lb_policy: policy }) });
}

function route(hashPolicy: object[]): RouteEntry {
  return RouteEntry.compile("rc", { match: { prefix: "/" }, route: { cluster: "c", hash_policy: hashPolicy } },
    { request: [], response: [], virtualHostRaw: {}, virtualHostFilterConfig: new Map() });
}

for (const policy of ["RING_HASH", "MAGLEV"] as const) {
  test(`${policy} with a header hash policy: each of 20 users always reaches the same upstream, users spread over ≥ 2`, async () => {
    const c = await ringCluster(policy);
    const r = route([{ header: { header_name: "x-user" } }]);
    const seen = new Set<string>();
    for (let u = 0; u < 20; u++) {
      const first = (await send(r, c, ["x-user", `user-${u}`])).body;
      for (let i = 0; i < 3; i++) assert.equal((await send(r, c, ["x-user", `user-${u}`])).body, first);
      seen.add(first);
    }
    assert.ok(seen.size >= 2, [...seen].join());
  });
}

test("a cookie policy with ttl: the first response sets the cookie; requests repeating it stick to one upstream", async () => {
  const c = await ringCluster("RING_HASH");
  const r = route([{ cookie: { name: "lb", ttl: { seconds: 30 }, path: "/" } }]);
  const first = await send(r, c, []);
  const i = first.headers.indexOf("set-cookie");
  assert.ok(i >= 0, "no set-cookie");
  const setCookie = first.headers[i + 1];
  assert.match(setCookie, /^lb="[0-9a-f]{16}"; Max-Age=30; Path=\/; HttpOnly$/);
  const cookie = setCookie.slice(0, setCookie.indexOf(";"));
  for (let n = 0; n < 5; n++) {
    const d = await send(r, c, ["cookie", cookie]);
    assert.equal(d.body, first.body);
    assert.equal(d.headers.indexOf("set-cookie"), -1);
  }
});

test("ORIGINAL_DST: the request's IP authority (or, with use_http_header, x-envoy-original-dst-host) names the upstream; a name gives 503", async () => {
  const [a, b] = ["127.0.5.14", "127.0.5.15"];
  const [pa, pb] = await Promise.all([serve(a), serve(b)]);
  const lb = parseLbConfig("pass", { type: "ORIGINAL_DST", lb_policy: "CLUSTER_PROVIDED", original_dst_lb_config: { use_http_header: true } });
  const c = staticCluster("pass", [], { type: "ORIGINAL_DST", lb });
  const r = RouteEntry.compile("rc", { match: { prefix: "/" }, route: { cluster: "pass" } },
    { request: [], response: [], virtualHostRaw: {}, virtualHostFilterConfig: new Map() });
  assert.equal((await send(r, c, [], `${a}:${pa}`)).body, a);
  assert.equal((await send(r, c, ["x-envoy-original-dst-host", `${b}:${pb}`], `${a}:${pa}`)).body, b);
  assert.equal((await send(r, c, [], "svc.example")).body, "503 no healthy upstream");
});

test("a retry after an EDS update picks from the hosts now in force, not the removed one the request started with", async () => {
  const [a, b] = ["127.0.5.16", "127.0.5.17"];
  const pb = await serve(b);
  let swap = () => {};
  const sa = createServer((_req, res) => { swap(); res.statusCode = 503; res.end(a); });
  sa.keepAliveTimeout = 100;
  servers.push(sa);
  await new Promise<void>((r) => sa.listen(0, a, r));
  const old = staticCluster("c", [[a, (sa.address() as AddressInfo).port]]);
  swap = () => {
    const s = old.state;
    s.update(new Cluster(old.config, s, [new Host(b, pb, "HEALTHY", s.stats, 1000, s)]));
    for (const h of old.hosts) h.close();
  };
  const r = RouteEntry.compile("rc", { match: { prefix: "/" }, route: { cluster: "c", retry_policy: { retry_on: "5xx", num_retries: { value: 1 } } } },
    { request: [], response: [], virtualHostRaw: {}, virtualHostFilterConfig: new Map() });
  assert.equal((await send(r, old, [])).body, b);
});
