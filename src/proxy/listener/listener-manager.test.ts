// Socket-level tests of filter chain dispatch: tls_inspector peeking, its timeout, HCM after peeking, tcp_proxy behaviour.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { ProxyRuntime } from "../proxy-runtime.js";
import { byName, staticCluster } from "../testing/envoy-fixtures.js";
import { HCM_TYPE, ROUTER_TYPE, TCP_PROXY_TYPE, TLS_INSPECTOR_TYPE } from "../../xds/type-urls.js";
import type { XdsObject } from "../config/xds-fields.js";

const PROXY_IP = "127.0.4.50";
const OUT_IP = "127.0.4.51";
const UP_IP = "127.0.4.52";

const servers: net.Server[] = [];
const received: Record<string, Buffer[]> = { a: [], b: [] };
let runtime: ProxyRuntime;

/** A TCP server that says `name` on connect and records what it receives. */
async function sayer(name: string): Promise<number> {
  const s = net.createServer((c) => {
    c.on("error", () => {});
    c.write(name);
    c.on("data", (d: Buffer) => received[name]!.push(d));
  });
  await new Promise<void>((r) => s.listen(0, UP_IP, r));
  servers.push(s);
  return (s.address() as net.AddressInfo).port;
}

/** Answers `got <everything>` once the client half-closes. */
async function replyOnEnd(): Promise<number> {
  const s = net.createServer({ allowHalfOpen: true }, (c) => {
    const parts: Buffer[] = [];
    c.on("data", (d: Buffer) => parts.push(d));
    c.on("end", () => c.end(`got ${Buffer.concat(parts).toString()}`));
  });
  await new Promise<void>((r) => s.listen(0, UP_IP, r));
  servers.push(s);
  return (s.address() as net.AddressInfo).port;
}

function tcpProxy(cluster: string, extra: XdsObject = {}): XdsObject {
  return { name: "envoy.filters.network.tcp_proxy", typed_config: { "@type": TCP_PROXY_TYPE, stat_prefix: cluster, cluster, ...extra } };
}

function listener(port: number, chains: XdsObject[], extra: XdsObject = {}): XdsObject {
  return { name: `0.0.0.0_${port}`, address: { socket_address: { address: "0.0.0.0", port_value: port } }, bind_to_port: { value: false }, filter_chains: chains, ...extra };
}

const INSPECT = {
  listener_filters: [{ name: "envoy.filters.listener.tls_inspector", typed_config: { "@type": TLS_INSPECTOR_TYPE } }],
  listener_filters_timeout: { nanos: 300_000_000 },
  continue_on_listener_filters_timeout: true,
};

/** A minimal TLS 1.2 ClientHello carrying `sni`. */
function clientHello(sni: string): Buffer {
  const name = Buffer.from(sni);
  const sniExt = Buffer.alloc(9 + name.length);
  sniExt.writeUInt16BE(0, 0);
  sniExt.writeUInt16BE(5 + name.length, 2);
  sniExt.writeUInt16BE(3 + name.length, 4);
  sniExt[6] = 0;
  sniExt.writeUInt16BE(name.length, 7);
  name.copy(sniExt, 9);
  const body = Buffer.concat([Buffer.from([3, 3]), Buffer.alloc(32, 7), Buffer.from([0, 0, 2, 0x13, 0x01, 1, 0]), Buffer.from([0, sniExt.length]), sniExt]);
  const hs = Buffer.concat([Buffer.from([1, 0, body.length >> 8, body.length & 0xff]), body]);
  return Buffer.concat([Buffer.from([0x16, 3, 1, hs.length >> 8, hs.length & 0xff]), hs]);
}

/** Connects to OUT_IP:port, writes `send` (if any), resolves with the first bytes received and the elapsed ms. */
function firstBytes(port: number, send?: Buffer): Promise<{ data: string; ms: number }> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: OUT_IP, port }, () => { if (send) s.write(send); });
    s.once("data", (d: Buffer) => { resolve({ data: d.toString(), ms: Date.now() - start }); s.destroy(); });
    s.on("error", reject);
    s.on("close", () => reject(new Error("closed without data")));
  });
}

let httpServer: http.Server;

before(async () => {
  const a = await sayer("a");
  const b = await sayer("b");
  const echo = await replyOnEnd();
  httpServer = http.createServer((_req, res) => res.end("http upstream"));
  await new Promise<void>((r) => httpServer.listen(0, UP_IP, r));
  const httpPort = (httpServer.address() as net.AddressInfo).port;
  runtime = new ProxyRuntime({ ip: PROXY_IP, outboundIps: [OUT_IP], drainTimeoutMs: 100 });
  runtime.applyClusters(byName([
    staticCluster("a", UP_IP, a), staticCluster("b", UP_IP, b), staticCluster("echo", UP_IP, echo), staticCluster("http", UP_IP, httpPort),
    { ...staticCluster("flaky", UP_IP, 1), load_assignment: { cluster_name: "flaky", endpoints: [{ lb_endpoints: [[UP_IP, 1], [UP_IP, echo]].map(([address, port]) => ({ endpoint: { address: { socket_address: { address, port_value: port } } } })) }] } },
    staticCluster("dead", UP_IP, 1),
  ]));
  const sniChain = { filter_chain_match: { server_names: ["a.test"], transport_protocol: "tls" }, filters: [tcpProxy("a")] };
  const hcm = {
    name: "envoy.filters.network.http_connection_manager",
    typed_config: {
      "@type": HCM_TYPE, stat_prefix: "t",
      route_config: { name: "r", virtual_hosts: [{ name: "all", domains: ["*"], routes: [{ match: { prefix: "/" }, route: { cluster: "http" } }] }] },
      http_filters: [{ name: "envoy.filters.http.router", typed_config: { "@type": ROUTER_TYPE } }],
    },
  };
  await runtime.applyListeners(byName([
    listener(26350, [sniChain, { filters: [tcpProxy("b")] }], INSPECT),
    listener(26351, [sniChain, { filters: [hcm] }], INSPECT),
    listener(26352, [{ filters: [tcpProxy("echo")] }]),
    listener(26353, [{ filters: [tcpProxy("flaky", { max_connect_attempts: { value: 2 } })] }]),
    listener(26354, [{ filters: [tcpProxy("echo", { idle_timeout: { nanos: 200_000_000 } })] }]),
    listener(26355, [{ filters: [tcpProxy("dead")] }]),
  ]));
});

after(async () => {
  await runtime.close();
  for (const s of servers) s.close();
  httpServer.close();
});

test("tls_inspector: a ClientHello's SNI picks its chain and the upstream receives the ClientHello intact", async () => {
  received.a = [];
  const hello = clientHello("a.test");
  assert.equal((await firstBytes(26350, hello)).data, "a");
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(Buffer.concat(received.a!).equals(hello));
});

test("tls_inspector: plain text goes at once to the catch-all chain, its first bytes passed on", async () => {
  received.b = [];
  const r = await firstBytes(26350, Buffer.from("hello"));
  assert.equal(r.data, "b");
  assert.ok(r.ms < 250, `${r.ms} ms`);
  await new Promise((res) => setTimeout(res, 50));
  assert.equal(Buffer.concat(received.b!).toString(), "hello");
});

test("tls_inspector: a silent client continues to the catch-all chain after listener_filters_timeout", async () => {
  const r = await firstBytes(26350);
  assert.equal(r.data, "b");
  assert.ok(r.ms >= 250 && r.ms < 2000, `${r.ms} ms`);
});

test("an HTTP request read by tls_inspector is served by the HCM chain (peeked bytes are replayed)", async () => {
  const body = await new Promise<string>((resolve, reject) => {
    http.get({ host: OUT_IP, port: 26351, path: "/", agent: false }, (res) => {
      let b = "";
      res.setEncoding("utf8").on("data", (d: string) => (b += d)).on("end", () => resolve(b));
    }).on("error", reject);
  });
  assert.equal(body, "http upstream");
});

test("tcp_proxy passes a half-close on and still carries the reply; byte stats on the cluster", async () => {
  const reply = await new Promise<string>((resolve, reject) => {
    let got = "";
    const s = net.connect({ host: OUT_IP, port: 26352, allowHalfOpen: true }, () => s.end("abc"));
    s.setEncoding("utf8").on("data", (d: string) => (got += d)).on("end", () => { resolve(got); s.end(); }).on("error", reject);
  });
  assert.equal(reply, "got abc");
  const stats = runtime.stats().clusters.find((c) => c.name === "echo")!.stats;
  assert.ok(stats.upstream_cx_tx_bytes_total >= 3 && stats.upstream_cx_rx_bytes_total >= 7, JSON.stringify(stats));
  assert.ok(stats.upstream_cx_total >= 1);
});

test("max_connect_attempts 2 over a dead and a live host always connects, counting the failures", async () => {
  for (let i = 0; i < 4; i++) {
    const reply = await new Promise<string>((resolve, reject) => {
      let got = "";
      const s = net.connect({ host: OUT_IP, port: 26353, allowHalfOpen: true }, () => s.end("x"));
      s.setEncoding("utf8").on("data", (d: string) => (got += d)).on("end", () => { resolve(got); s.end(); }).on("error", reject);
    });
    assert.equal(reply, "got x");
  }
  // Round robin alternates, so the dead host is tried first by every connection after the first (3 or 4 failures).
  const fails = runtime.stats().clusters.find((c) => c.name === "flaky")!.stats.upstream_cx_connect_fail;
  assert.ok(fails === 3 || fails === 4, `${fails} connect failures`);
});

test("idle_timeout closes a silent connection; a dead upstream closes the downstream at once", async () => {
  const closedAfter = (port: number): Promise<number> => new Promise((resolve) => {
    const start = Date.now();
    const s = net.connect({ host: OUT_IP, port });
    s.on("error", () => {});
    s.on("close", () => resolve(Date.now() - start));
  });
  const idle = await closedAfter(26354);
  assert.ok(idle >= 150 && idle < 2000, `idle close after ${idle} ms`);
  assert.ok((await closedAfter(26355)) < 500);
  assert.equal(runtime.stats().clusters.find((c) => c.name === "dead")!.stats.upstream_cx_connect_fail, 1);
});
