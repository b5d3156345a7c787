import { test, after } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Cluster } from "../upstream/cluster.js";
import { staticClusterConfig } from "../upstream/cluster-config.js";
import { staticCluster } from "../upstream/static-cluster.js";
import { parseOutlierConfig } from "../upstream/outlier/outlier-config.js";
import { ResponseFlag } from "../http/stream-info.js";
import type { RequestHead } from "../http/request-head.js";
import type { ResponseHead } from "../http/response-head.js";
import type { DataPlane } from "../http/data-plane.js";
import { RouteEntry, type RouteAction } from "./route-entry.js";
import type { UpstreamRequestStream } from "./upstream-request.js";
import { newRouterRequest, routerRandom } from "./router-request.js";

routerRandom.next = () => 0; // no back-off wait
const servers: Server[] = [];
after(() => { for (const s of servers) s.close(); });

async function serve(ip: string, handler: (req: IncomingMessage, res: ServerResponse, n: number) => void): Promise<number> {
  let n = 0;
  const s = createServer((req, res) => { let body = ""; req.on("data", (c) => (body += c)); req.on("end", () => { (req as IncomingMessage & { body: string }).body = body; handler(req, res, n++); }); });
  s.keepAliveTimeout = 100;
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, ip, r));
  return (s.address() as AddressInfo).port;
}

function cluster(name: string, hosts: Array<[string, number]>): Cluster {
  return staticCluster(name, hosts);
}

/** A recording downstream: the ActiveStream's side of the router. */
class Downstream implements UpstreamRequestStream {
  requestEnded = true;
  flags = 0;
  status = 0;
  body = "";
  failure: { status: number; body: string; flag: number } | undefined;
  hosts: string[] = [];
  done!: Promise<void>;
  private finish!: () => void;
  constructor(readonly head: RequestHead) { this.done = new Promise((r) => (this.finish = r)); }
  takePendingBody(): Buffer[] | null { return null; }
  pauseReading(): void {}
  resumeReading(): void {}
  setResponseFlag(flag: number): void { this.flags |= flag; }
  setUpstream(_c: string, host: string): void { this.hosts.push(host); }
  attemptHeader: string | undefined;
  onResponseHead(h: ResponseHead): boolean {
    this.status = h.status;
    const i = h.headers.indexOf("x-envoy-attempt-count");
    if (i !== -1) this.attemptHeader = h.headers[i + 1];
    return true;
  }
  onResponseData(buf: Buffer, s: number, e: number): void { this.body += buf.toString("utf8", s, e); }
  onResponseEnd(): void { this.finish(); }
  flushResponse(): void {}
  upstreamFailure(status: number, body: string, flag: number): void { this.failure = { status, body, flag }; this.flags |= flag; this.finish(); }
}

function head(method = "GET", extra: string[] = []): RequestHead {
  return { method, path: "/", versionMinor: 1, headers: ["host", "svc", ...extra], host: "svc", contentLength: -1, chunked: false, keepAlive: true, expectContinue: false };
}

function route(routeAction: object, vh: Record<string, unknown> = {}): RouteEntry {
  return RouteEntry.compile("rc", { match: { prefix: "/" }, route: { cluster: "c", ...routeAction } },
    { request: [], response: [], virtualHostRaw: vh, virtualHostFilterConfig: new Map() });
}

const dataPlane = (clusters: Cluster[]): DataPlane => ({ cluster: (n: string) => clusters.find((c) => c.name === n) } as unknown as DataPlane);

async function run(r: RouteEntry, c: Cluster, h = head(), clusters: Cluster[] = [c], body?: Buffer): Promise<Downstream> {
  const d = new Downstream(h);
  if (body) { d.requestEnded = false; }
  const up = newRouterRequest(d, c, r.action as Extract<RouteAction, { kind: "cluster" }>, body !== undefined, r, dataPlane(clusters));
  up.start();
  if (body) { up.writeBody(body); d.requestEnded = true; up.endBody(); }
  await d.done;
  return d;
}

test("a 503 is retried under retriable-status-codes; the retry succeeds and is counted", async () => {
  const port = await serve("127.0.2.10", (_q, res, n) => { res.statusCode = n % 2 === 0 ? 503 : 200; res.end(`attempt ${n}`); });
  const c = cluster("c", [["127.0.2.10", port]]);
  const r = route({ retry_policy: { retry_on: "retriable-status-codes", retriable_status_codes: [503], num_retries: { value: 2 } } });
  const d = await run(r, c);
  assert.equal(d.status, 200);
  assert.equal(d.body, "attempt 1");
  assert.equal(c.stats.upstream_rq_retry, 1);
  assert.equal(c.stats.upstream_rq_retry_success, 1);
  assert.equal(c.state.resources.retries.current, 0);
});

test("retries exhausted on a retriable status: the last response goes downstream with URX", async () => {
  const port = await serve("127.0.2.11", (_q, res) => { res.statusCode = 503; res.end("no"); });
  const c = cluster("c", [["127.0.2.11", port]]);
  const d = await run(route({ retry_policy: { retry_on: "5xx", num_retries: { value: 2 } } }), c);
  assert.equal(d.status, 503);
  assert.ok(d.flags & ResponseFlag.UpstreamRetryLimitExceeded);
  assert.equal(c.stats.upstream_rq_retry, 2);
  assert.equal(c.stats.upstream_rq_retry_limit_exceeded, 1);
  assert.equal(c.stats.upstream_rq_total, 3);
});

test("a connection reset before the response is retried under reset; without a policy it is a 503 UC", async () => {
  const port = await serve("127.0.2.12", (req, res, n) => { if (n === 0) req.socket.destroy(); else res.end("ok"); });
  const c = cluster("c", [["127.0.2.12", port]]);
  const d = await run(route({ retry_policy: { retry_on: "reset" } }), c);
  assert.equal(d.status, 200);
  const port2 = await serve("127.0.2.13", (req) => req.socket.destroy());
  const c2 = cluster("c", [["127.0.2.13", port2]]);
  const d2 = await run(route({}), c2);
  assert.equal(d2.failure?.status, 503);
  assert.ok(d2.flags & ResponseFlag.UpstreamConnectionTermination);
});

test("connect-failure retries to the other host with previous_hosts; the request body is replayed", async () => {
  const port = await serve("127.0.2.14", (req, res) => res.end(`got ${(req as IncomingMessage & { body: string }).body}`));
  // 127.0.2.15:port has nothing listening: connection refused.
  const c = cluster("c", [["127.0.2.15", port], ["127.0.2.14", port]]);
  const r = route({ retry_policy: { retry_on: "connect-failure", num_retries: { value: 1 }, retry_host_predicate: [{ name: "envoy.retry_host_predicates.previous_hosts" }], host_selection_retry_max_attempts: 3 } });
  for (let i = 0; i < 4; i++) {
    const d = await run(r, c, head("POST", ["content-length", "5"]), [c], Buffer.from("hello"));
    assert.equal(d.status, 200, `round ${i}`);
    assert.equal(d.body, "got hello");
  }
});

test("per_try_timeout cuts a slow attempt and the retry answers; the route timeout bounds all attempts (504 UT)", async () => {
  const port = await serve("127.0.2.16", (_q, res, n) => { if (n === 0) setTimeout(() => res.end("late"), 400); else res.end("fast"); });
  const c = cluster("c", [["127.0.2.16", port]]);
  const t0 = performance.now();
  const d = await run(route({ retry_policy: { retry_on: "5xx", per_try_timeout: { nanos: 100_000_000 } } }), c);
  assert.equal(d.body, "fast");
  assert.ok(performance.now() - t0 < 350);
  const port2 = await serve("127.0.2.17", (_q, res) => setTimeout(() => res.end("late"), 500));
  const c2 = cluster("c", [["127.0.2.17", port2]]);
  const d2 = await run(route({ timeout: { nanos: 150_000_000 }, retry_policy: { retry_on: "5xx", num_retries: { value: 5 }, per_try_timeout: { nanos: 100_000_000 } } }), c2);
  assert.equal(d2.failure?.status, 504);
  assert.ok(d2.flags & ResponseFlag.UpstreamRequestTimeout);
});

test("max_retries of the cluster caps concurrent retries (overflow → UO, counted)", async () => {
  const port = await serve("127.0.2.18", (_q, res) => { res.statusCode = 503; res.end(); });
  const c = staticCluster("c", [["127.0.2.18", port]], { circuitBreakers: { ...staticClusterConfig("c").circuitBreakers, maxRetries: 0 } });
  const d = await run(route({ retry_policy: { retry_on: "5xx" } }), c);
  assert.equal(d.status, 503);
  assert.equal(c.stats.upstream_rq_retry_overflow, 1);
  assert.ok(d.flags & ResponseFlag.UpstreamOverflow);
});

test("include_request_attempt_count sends x-envoy-attempt-count on each try, include_attempt_count_in_response on the response", async () => {
  const seen: string[] = [];
  const port = await serve("127.0.2.19", (req, res, n) => { seen.push(String(req.headers["x-envoy-attempt-count"])); res.statusCode = n === 0 ? 503 : 200; res.end(); });
  const c = cluster("c", [["127.0.2.19", port]]);
  const d = await run(route({ retry_policy: { retry_on: "5xx" } }, { include_request_attempt_count: true, include_attempt_count_in_response: true }), c);
  assert.deepEqual(seen, ["1", "2"]);
  assert.equal(d.attemptHeader, "2");
});

test("a mirror gets a copy with the -shadow host; its failure or slowness never touches the main response", async () => {
  const mirrored: string[] = [];
  const mainPort = await serve("127.0.2.20", (_q, res) => res.end("main"));
  const shadowPort = await serve("127.0.2.21", (req, res) => { mirrored.push(`${req.headers.host} ${(req as IncomingMessage & { body: string }).body}`); setTimeout(() => res.end(), 1000); });
  const main = cluster("c", [["127.0.2.20", mainPort]]);
  const mirror = cluster("m", [["127.0.2.21", shadowPort]]);
  const down = cluster("down", [["127.0.2.22", shadowPort]]);
  const t0 = performance.now();
  const d = await run(route({ request_mirror_policies: [{ cluster: "m" }, { cluster: "down" }] }), main, head("POST", ["content-length", "3"]), [main, mirror, down], Buffer.from("abc"));
  assert.equal(d.body, "main");
  assert.ok(performance.now() - t0 < 500);
  while (mirrored.length === 0) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(mirrored, ["svc-shadow abc"]);
});

for (const [what, policy] of [["without a router policy", {}], ["with a retry policy", { retry_policy: { retry_on: "5xx" } }]] as const) {
  test(`${what}: a route timeout counts against the host (outlier detection) only for the request that had its connection, not for one queued behind max_connections 1`, async () => {
    const port = await serve("127.0.8.40", () => {}); // never answers
    const outlier = parseOutlierConfig("c", { name: "c", outlier_detection: { interval: { seconds: 3600 }, consecutive_5xx: { value: 100 } } });
    const c = staticCluster("c", [["127.0.8.40", port]], { outlier, circuitBreakers: { ...staticClusterConfig("c").circuitBreakers, maxConnections: 1 } });
    const r = route({ timeout: { nanos: 200_000_000 }, ...policy });
    const downstreams = [new Downstream(head()), new Downstream(head())];
    for (const d of downstreams) newRouterRequest(d, c, r.action as Extract<RouteAction, { kind: "cluster" }>, false, r, dataPlane([c])).start();
    await Promise.all(downstreams.map((d) => d.done));
    assert.deepEqual(downstreams.map((d) => d.failure?.status), [504, 504]);
    assert.equal(c.hosts[0].outlier!.consecutive5xx, 1, "one local-origin timeout (504) reported");
    assert.equal(c.hosts[0].outlier!.consecutiveGatewayFailure, 1);
    c.state.close();
  });
}
