// LDS for TCP and TLS services: tcp_proxy chains from VirtualService tcp/tls routes, SNI chains, tls_inspector, inbound TCP.

import { test } from "node:test";
import assert from "node:assert/strict";
import { LISTENER_TYPE } from "../../../xds/type-urls.js";
import { generate } from "../generator.js";
import { assertRoundTrip } from "../testing/proto-round-trip.js";
import { bookinfoPush, node, productpage } from "../testing/bookinfo-fixture.js";
import { parseProxy } from "../../model/proxy.js";
import type { ResourceDoc } from "../../model/test-snapshot.js";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ECHO = "echo.default.svc.cluster.local";

function se(name: string, host: string, port: number, protocol: string, extra: Obj = {}): ResourceDoc {
  return { kind: "ServiceEntry", metadata: { name }, spec: { hosts: [host], ports: [{ number: port, name: `${protocol.toLowerCase()}-x`, protocol }], resolution: "STATIC", endpoints: [{ address: "127.0.0.60" }], ...extra } } as ResourceDoc;
}

function vs(name: string, host: string, spec: Obj): ResourceDoc {
  return { kind: "VirtualService", metadata: { name }, spec: { hosts: [host], ...spec } } as ResourceDoc;
}

function listeners(extra: ResourceDoc[], proxy = productpage): Map<string, Obj> {
  const push = bookinfoPush(extra);
  return new Map(generate(LISTENER_TYPE, proxy, push).map((r) => [r.name, assertRoundTrip(LISTENER_TYPE, r.resource)]));
}

function summary(l: Obj): Array<[Obj | undefined, unknown]> {
  return l.filter_chains.map((c: Obj) => {
    const tc = c.filters[0].typed_config;
    return [c.filter_chain_match, tc.cluster ?? tc.weighted_clusters?.clusters.map((w: Obj) => `${w.name}=${w.weight}`)];
  });
}

test("TCP route: weighted destinations → tcp_proxy weighted_clusters; destinationSubnets → prefix_ranges chains before the catch-all", () => {
  const l = listeners([
    se("echo", ECHO, 9000, "TCP"),
    vs("echo", "echo", {
      tcp: [
        { match: [{ destinationSubnets: ["127.0.4.11/32"] }], route: [{ destination: { host: "echo", subset: "v1" } }] },
        { match: [{ destinationSubnets: ["127.0.4.12"] }], route: [{ destination: { host: "echo", subset: "v2" } }] },
        { route: [{ destination: { host: "echo", subset: "v1" }, weight: 50 }, { destination: { host: "echo", subset: "v2" }, weight: 50 }] },
      ],
    }),
  ]).get("0.0.0.0_9000")!;
  assert.deepEqual(l.bind_to_port, { value: false });
  assert.equal(l.listener_filters, undefined);
  assert.deepEqual(summary(l), [
    [{ prefix_ranges: [{ address_prefix: "127.0.4.11", prefix_len: { value: 32 } }] }, `outbound|9000|v1|${ECHO}`],
    [{ prefix_ranges: [{ address_prefix: "127.0.4.12", prefix_len: { value: 32 } }] }, `outbound|9000|v2|${ECHO}`],
    [undefined, [`outbound|9000|v1|${ECHO}=50`, `outbound|9000|v2|${ECHO}=50`]],
  ]);
  assert.equal(l.filter_chains[2].filters[0].typed_config.stat_prefix, `outbound|9000|v1|${ECHO}`);
});

test("TCP match on sourceLabels / sourceNamespace / port / gateways applies only where it matches", () => {
  const docs = [
    se("echo", ECHO, 9000, "TCP"),
    vs("echo", "echo", {
      tcp: [
        { match: [{ sourceLabels: { app: "reviews" } }], route: [{ destination: { host: "echo", subset: "v2" } }] },
        { match: [{ port: 9001 }, { gateways: ["ingress"] }], route: [{ destination: { host: "echo", subset: "v3" } }] },
      ],
    }),
  ];
  const reviews = parseProxy(node({ ip: "127.0.0.12", workload: "reviews-v1", namespace: "default", labels: { app: "reviews", version: "v1" } }), "");
  assert.deepEqual(summary(listeners(docs, reviews).get("0.0.0.0_9000")!), [[undefined, `outbound|9000|v2|${ECHO}`]]);
  assert.deepEqual(summary(listeners(docs).get("0.0.0.0_9000")!), [[undefined, `outbound|9000||${ECHO}`]]);
});

test("TLS services without VirtualService: one SNI chain per host, tls_inspector, continue on listener filter timeout", () => {
  const l = listeners([se("a", "a.example.com", 443, "TLS"), se("b", "b.example.com", 443, "HTTPS")]).get("0.0.0.0_443")!;
  assert.deepEqual(summary(l), [
    [{ server_names: ["a.example.com"], transport_protocol: "tls" }, "outbound|443||a.example.com"],
    [{ server_names: ["b.example.com"], transport_protocol: "tls" }, "outbound|443||b.example.com"],
  ]);
  assert.deepEqual(l.listener_filters.map((f: Obj) => f.name), ["envoy.filters.listener.tls_inspector"]);
  assert.equal(l.continue_on_listener_filters_timeout, true);
});

test("TLS route sniHosts (with destinationSubnets) select the route's destination; a VIP service matches its address", () => {
  const l = listeners([
    se("a", "a.example.com", 443, "TLS"),
    se("vip", "vip.example.com", 443, "TLS", { addresses: ["240.0.0.1"] }),
    vs("a", "a.example.com", {
      tls: [{ match: [{ sniHosts: ["a.example.com", "*.a.example.com"], destinationSubnets: ["127.0.4.0/24"] }], route: [{ destination: { host: "vip.example.com" } }] }],
    }),
  ]).get("0.0.0.0_443")!;
  assert.deepEqual(summary(l), [
    [{ prefix_ranges: [{ address_prefix: "127.0.4.0", prefix_len: { value: 24 } }], server_names: ["a.example.com", "*.a.example.com"], transport_protocol: "tls" }, "outbound|443||vip.example.com"],
    [{ prefix_ranges: [{ address_prefix: "240.0.0.1", prefix_len: { value: 32 } }] }, "outbound|443||vip.example.com"],
  ]);
});

test("an HTTP service and a TCP service on one port: the HCM keeps the catch-all, the TCP service without VIP gets no chain", () => {
  const l = listeners([se("echo", ECHO, 9080, "TCP"), se("db2", "db2.default.svc.cluster.local", 9080, "TCP", { addresses: ["240.0.0.2"] })]).get("0.0.0.0_9080")!;
  assert.equal(l.filter_chains[0].filter_chain_match, undefined);
  assert.equal(l.filter_chains[0].filters[0].name, "envoy.filters.network.http_connection_manager");
  assert.deepEqual(l.filter_chains[0].filters[0].typed_config.upgrade_configs, [{ upgrade_type: "websocket" }]);
  assert.deepEqual(summary(l).slice(1), [[{ prefix_ranges: [{ address_prefix: "240.0.0.2", prefix_len: { value: 32 } }] }, "outbound|9080||db2.default.svc.cluster.local"]]);
});

test("a TCP service selecting the proxy gets an inbound tcp_proxy listener to inbound|<port>||", () => {
  const server = parseProxy(node({ ip: "127.0.0.61", workload: "echo-v1", namespace: "default", labels: { app: "echo" } }), "");
  const l = listeners([se("echo", ECHO, 9000, "TCP", { endpoints: undefined, workloadSelector: { labels: { app: "echo" } } })], server).get("127.0.0.61_9000")!;
  assert.equal(l.traffic_direction, "INBOUND");
  assert.deepEqual(summary(l), [[undefined, "inbound|9000||"]]);
});
