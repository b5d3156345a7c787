// Unit tests of active health checking against real local HTTP and TCP servers (127.0.8.x): thresholds, timeouts, recovery.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createTcpServer, type AddressInfo } from "node:net";
import { ClusterStats } from "../../stats/proxy-stats.js";
import { HealthFlag, Host } from "../host.js";
import { parseHealthChecks } from "./health-check-config.js";
import { HealthChecker } from "./health-checker.js";
import { HealthCheckStats } from "./health-check-stats.js";
import { healthFlagsText } from "./health-flags-text.js";

const ms = (n: number) => ({ seconds: Math.floor(n / 1000), nanos: (n % 1000) * 1e6 });

function checkerFor(healthCheck: Record<string, unknown>) {
  const config = parseHealthChecks("c", {
    name: "c",
    health_checks: [{ timeout: ms(150), interval: ms(40), unhealthy_threshold: { value: 2 }, healthy_threshold: { value: 2 }, ...healthCheck }],
  })[0];
  const stats = new HealthCheckStats();
  let changes = 0;
  const checker = new HealthChecker(config, stats, { onHealthChanged: () => { changes++; }, onCheckPassed: () => {}, trafficSeen: () => true });
  return { checker, stats, changes: () => changes };
}

async function until(check: () => boolean, what: string, limitMs = 3000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${limitMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const failed = (h: Host) => (h.healthFlags & HealthFlag.FailedActiveHc) !== 0;

test("HTTP check: new hosts start failed and pass at the first 200; a 503 fails at once; recovery takes healthy_threshold successes", async () => {
  let status = 200;
  const paths: string[] = [];
  const server: Server = createHttpServer((req, res) => { paths.push(`${req.headers.host} ${req.url} ${req.headers["user-agent"]}`); res.writeHead(status).end(); });
  await new Promise<void>((r) => server.listen(0, "127.0.8.11", r));
  const host = new Host("127.0.8.11", (server.address() as AddressInfo).port, "HEALTHY", new ClusterStats(), 1000);
  const { checker, stats, changes } = checkerFor({ http_health_check: { path: "/healthz" } });
  try {
    assert.equal(checker.setHosts([host]), true);
    assert.equal(healthFlagsText(host.healthFlags), "/failed_active_hc");
    const created = host.addedAt;
    await until(() => !failed(host), "first success");
    assert.ok(host.addedAt > created, "passing the first check starts the slow-start window (Envoy's lastHcPassTime)");
    assert.equal(stats.healthy, 1);
    assert.equal(paths[0], "c /healthz Envoy/HC");
    status = 503;
    await until(() => failed(host), "503 fails the host");
    assert.ok(stats.failure >= 1 && stats.network_failure === 0);
    status = 200;
    const successesBefore = stats.success;
    const failedAt = host.addedAt;
    await until(() => !failed(host), "recovery");
    assert.ok(host.addedAt > failedAt, "recovering restarts the slow-start window");
    assert.ok(stats.success - successesBefore >= 2, "two successes in a row were needed");
    assert.ok(changes() >= 3);
  } finally {
    checker.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

test("HTTP check: an app that stops answering fails after unhealthy_threshold timeouts and returns when it answers again", async () => {
  let hang = false;
  const server: Server = createHttpServer((_req, res) => { if (!hang) res.writeHead(200).end(); });
  await new Promise<void>((r) => server.listen(0, "127.0.8.12", r));
  const host = new Host("127.0.8.12", (server.address() as AddressInfo).port, "HEALTHY", new ClusterStats(), 1000);
  const { checker, stats } = checkerFor({ http_health_check: { path: "/" } });
  try {
    checker.setHosts([host]);
    await until(() => !failed(host), "first success");
    hang = true;
    await until(() => stats.network_failure >= 1, "first timeout");
    assert.equal(failed(host), false, "one timeout is below unhealthy_threshold");
    await until(() => failed(host), "second timeout");
    assert.ok(stats.network_failure >= 2);
    hang = false;
    await until(() => !failed(host), "recovery");
  } finally {
    checker.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

test("TCP check: connect refused is a network failure; send/receive payloads must match in order", async () => {
  const server = createTcpServer((s) => s.on("data", (d) => { if (d.toString() === "ping") s.write("po"); setTimeout(() => s.write("ng"), 5); }));
  await new Promise<void>((r) => server.listen(0, "127.0.8.13", r));
  const host = new Host("127.0.8.13", (server.address() as AddressInfo).port, "HEALTHY", new ClusterStats(), 1000);
  const dead = new Host("127.0.8.13", 1, "HEALTHY", new ClusterStats(), 1000);
  const { checker, stats } = checkerFor({
    tcp_health_check: { send: { text: Buffer.from("ping").toString("hex") }, receive: [{ text: Buffer.from("pong").toString("hex") }] },
  });
  try {
    checker.setHosts([host, dead]);
    await until(() => !failed(host), "pong received");
    await until(() => stats.network_failure >= 2, "refused twice");
    assert.equal(failed(dead), true);
    assert.equal(stats.healthy, 1);
  } finally {
    checker.close();
    server.close();
  }
});

test("config: required fields, one check per cluster, Envoy's default expected status 200 only", () => {
  const parse = (hc: Record<string, unknown>) => parseHealthChecks("c", { name: "c", health_checks: [hc] });
  const base = { timeout: ms(1000), interval: ms(1000), unhealthy_threshold: { value: 3 }, healthy_threshold: { value: 1 } };
  const [c] = parse({ ...base, http_health_check: { path: "/h" } });
  assert.deepEqual(c.check.kind === "http" && c.check.expectedStatuses, [[200, 201]]);
  assert.equal(c.noTrafficIntervalMs, 60_000);
  assert.equal(c.reuseConnection, true);
  assert.throws(() => parse({ ...base, timeout: undefined, http_health_check: { path: "/h" } }), /timeout is required/);
  assert.throws(() => parse({ ...base }), /one of http_health_check or tcp_health_check/);
  assert.throws(() => parse({ ...base, grpc_health_check: {} }), /only http_health_check and tcp_health_check/);
  assert.throws(() => parse({ ...base, http_health_check: { path: "" } }), /path/);
  assert.throws(() => parse({ ...base, http_health_check: { path: "/", expected_statuses: [{ start: 300, end: 200 }] } }), /expected_statuses/);
  assert.throws(() => parseHealthChecks("c", { name: "c", health_checks: [{ ...base, http_health_check: { path: "/" } }, { ...base, http_health_check: { path: "/" } }] }), /multiple/);
});

test("health flags print as Envoy's /clusters does: 'healthy', or each set flag in Envoy's order", () => {
  assert.equal(healthFlagsText(0), "healthy");
  assert.equal(healthFlagsText(HealthFlag.FailedOutlierCheck | HealthFlag.FailedActiveHc), "/failed_active_hc/failed_outlier_check");
  assert.equal(healthFlagsText(HealthFlag.FailedEdsHealth | HealthFlag.PendingActiveHc), "/failed_eds_health/pending_active_hc");
  assert.equal(healthFlagsText(HealthFlag.DegradedEdsHealth), "/degraded_eds_health");
});
