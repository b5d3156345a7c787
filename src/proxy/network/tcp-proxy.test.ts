// Tests of startTcpProxy's connect handling over real loopback sockets.

import { test } from "node:test";
import assert from "node:assert/strict";
import { connect, createServer, type AddressInfo, type Server } from "node:net";
import { once } from "node:events";
import type { DataPlane } from "../http/data-plane.js";
import { staticCluster } from "../upstream/static-cluster.js";
import { TcpProxyConfig } from "./tcp-proxy-config.js";
import { startTcpProxy } from "./tcp-proxy.js";

test("a connect timeout counts as a connect failure and closes the downstream once the attempts are spent", { timeout: 5000 }, async () => {
  const upstream: Server = createServer((s) => s.end("hi"));
  upstream.listen(0, "127.0.3.201");
  await once(upstream, "listening");
  // connect_timeout 0: the timer fires before the loopback connect completes (the busy wait below guarantees it).
  const cluster = staticCluster("c", [["127.0.3.201", (upstream.address() as AddressInfo).port]], { connectTimeoutMs: 0 });
  const config = TcpProxyConfig.parse("l", { stat_prefix: "x", cluster: "c" });
  const dataPlane = { cluster: () => cluster } as unknown as DataPlane;
  const front = createServer({ allowHalfOpen: true }, (s) => {
    s.pause();
    startTcpProxy(s, null, config, dataPlane);
    const until = Date.now() + 5;
    while (Date.now() < until);
  });
  front.listen(0, "127.0.3.202");
  await once(front, "listening");
  const client = connect((front.address() as AddressInfo).port, "127.0.3.202");
  let received = "";
  client.on("data", (d: Buffer) => (received += d.toString()));
  try {
    await once(client, "close");
    assert.equal(received, "");
    assert.equal(cluster.stats.upstream_cx_total, 1);
    assert.equal(cluster.stats.upstream_cx_connect_fail, 1);
    assert.equal(cluster.stats.upstream_cx_connect_timeout, 1);
  } finally {
    client.destroy();
    front.close();
    upstream.close();
  }
});
