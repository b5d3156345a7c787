// AdsServer's stream max age, push throttle and new-stream rate limit, over real gRPC streams on loopback.

import { test } from "node:test";
import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import { CLUSTER_TYPE } from "../../xds/type-urls.js";
import type { DiscoveryResponse } from "../../xds/discovery.js";
import { SnapshotCache } from "../cache/snapshot-cache.js";
import { createPilotMetrics } from "../debug/pilot-metrics.js";
import { AdsServer, type AdsServerOptions } from "./ads-server.js";
import { AdsTestClient } from "./ads-test-client.js";
import { RequestLimiter } from "./request-limiter.js";
import { world } from "./test-world.js";

/** A server on `ip` whose hooks give every node world(2); closes itself after the test. */
async function start(t: { after(fn: () => Promise<void>): void }, ip: string, opts: AdsServerOptions) {
  const cache = new SnapshotCache();
  const metrics = createPilotMetrics({ connectedProxies: () => 0, services: () => 0, virtualServices: () => 0, rejectedConfigResources: () => 0 });
  const server = new AdsServer(
    cache,
    {
      connect(node) {
        if (!cache.get(node!.id!)) cache.set(node!.id!, world(2));
        return { id: node!.id!, ip, type: "sidecar" };
      },
      disconnect() {},
    },
    metrics,
    opts,
  );
  const address = `${ip}:${await server.listen(ip, 0)}`;
  t.after(() => server.close());
  return { cache, metrics, server, address };
}

const node = (n: string) => AdsTestClient.node("127.0.1.3", n, "default");

test("max stream age ends an answered stream with OK, and an unanswered one after the grace", async (t) => {
  const { address } = await start(t, "127.0.0.23", { maxStreamAgeMs: 200, maxStreamAgeGraceMs: 1000 });
  const started = performance.now();
  const acking = new AdsTestClient(address);
  acking.send({ type_url: CLUSTER_TYPE, node: node("age-ack") });
  acking.answer(await acking.next());
  const silent = new AdsTestClient(address);
  silent.send({ type_url: CLUSTER_TYPE, node: node("age-silent") });
  await silent.next();

  const ackEnd = await acking.ended;
  const ackAt = performance.now() - started;
  assert.equal(ackEnd.code, status.OK);
  assert.ok(ackAt >= 170 && ackAt < 900, `answered stream ended after ${ackAt} ms (age 200 ±10%, not waiting for the grace)`);
  const silentEnd = await silent.ended;
  const silentAt = performance.now() - started;
  assert.equal(silentEnd.code, status.OK);
  assert.ok(silentAt >= 170 + 990, `unanswered stream ended after ${silentAt} ms (age + grace 1000)`);
});

test("push throttle 2 with 10 slow-ACKing proxies: never more than 2 unanswered pushes, all proxies updated", async (t) => {
  const { cache, metrics, server, address } = await start(t, "127.0.0.24", { pushThrottle: 2, maxStreamAgeMs: 0 });
  const clients: AdsTestClient[] = [];
  for (let i = 0; i < 10; i++) {
    const c = new AdsTestClient(address);
    c.send({ type_url: CLUSTER_TYPE, node: node(`slow-${i}`) });
    c.answer(await c.next());
    clients.push(c);
  }
  const queuedBefore = metrics.registry.render().match(/^pilot_proxy_queue_time_count (\d+)/m)?.[1];
  let outstanding = 0;
  let maxOutstanding = 0;
  const updated = clients.map(async (c) => {
    const r: DiscoveryResponse = await c.next(5000);
    outstanding++;
    maxOutstanding = Math.max(maxOutstanding, outstanding);
    await new Promise((resolve) => setTimeout(resolve, 60));
    outstanding--;
    c.answer(r);
    return r.version_info;
  });
  for (let i = 0; i < 10; i++) cache.set(node(`slow-${i}`).id, world(2, "new"));
  assert.equal(server.pushQueueStatus().inFlight, 2);
  assert.equal(server.pushQueueStatus().queued, 8);
  const versions = await Promise.all(updated);
  assert.deepEqual(new Set(versions), new Set([world(2, "new").version(CLUSTER_TYPE)]));
  assert.equal(maxOutstanding, 2);
  const queuedAfter = metrics.registry.render().match(/^pilot_proxy_queue_time_count (\d+)/m)?.[1];
  assert.equal(Number(queuedAfter) - Number(queuedBefore ?? 0), 10, "pilot_proxy_queue_time observed each dequeue");
  for (const c of clients) c.close();
});

test("a push whose responses are never answered frees its slot after the push timeout", async (t) => {
  const { cache, address } = await start(t, "127.0.0.25", { pushThrottle: 1, pushTimeoutMs: 150, maxStreamAgeMs: 0 });
  const mute = new AdsTestClient(address);
  mute.send({ type_url: CLUSTER_TYPE, node: node("mute") });
  mute.answer(await mute.next());
  const other = new AdsTestClient(address);
  other.send({ type_url: CLUSTER_TYPE, node: node("other") });
  other.answer(await other.next());
  cache.set(node("mute").id, world(2, "x"));
  cache.set(node("other").id, world(2, "x"));
  await mute.next();
  const started = performance.now();
  await other.next(2000);
  const waited = performance.now() - started;
  assert.ok(waited >= 120, `second push waited ${waited} ms for the first one's timeout`);
  mute.close();
  other.close();
});

test("the request limiter admits a burst, then one per 1/rate seconds, in order", async () => {
  const limiter = new RequestLimiter(10);
  for (let i = 0; i < 10; i++) assert.equal(limiter.admit(), undefined, `burst ${i}`);
  const started = performance.now();
  const order: number[] = [];
  const waits = [0, 1, 2].map((i) => limiter.admit()!.then(() => order.push(i)));
  await Promise.all(waits);
  const took = performance.now() - started;
  assert.deepEqual(order, [0, 1, 2]);
  assert.ok(took >= 250 && took < 600, `3 admissions at 10/s took ${took} ms`);
  assert.equal(new RequestLimiter(0).admit(), undefined, "0 means no limit");
});
