// SendBudget in isolation, and an AdsServer whose budget admits one response at a time serving many real streams.

import { test } from "node:test";
import assert from "node:assert/strict";
import { CLUSTER_TYPE, ENDPOINT_TYPE } from "../../xds/type-urls.js";
import { structToJson } from "../../xds/discovery.js";
import { SnapshotCache } from "../cache/snapshot-cache.js";
import { createPilotMetrics } from "../debug/pilot-metrics.js";
import { AdsServer } from "./ads-server.js";
import { AdsTestClient } from "./ads-test-client.js";
import { SendBudget } from "./send-budget.js";
import { world } from "./test-world.js";

test("budget: takes while it fits, queues in order, wakes on release, lets one oversized response through alone", () => {
  const b = new SendBudget(100);
  assert.equal(b.tryTake(60), true);
  assert.equal(b.tryTake(60), false, "does not fit");
  const woken: string[] = [];
  const stream = (name: string): (() => void) => {
    const wake = (): void => { woken.push(name); if (!b.tryTake(60)) b.wait(wake); };
    return wake;
  };
  b.wait(stream("a"));
  b.wait(stream("b"));
  b.wait(stream("c"));
  assert.equal(b.tryTake(1), false, "queued streams go first");
  b.release(60);
  assert.deepEqual(woken, ["a", "b"], "a takes the room; b does not fit and waking stops");
  assert.equal(b.bytesInFlight, 60);
  assert.equal(b.waiting, 2);
  b.release(60);
  assert.deepEqual(woken, ["a", "b", "b", "c"], "b keeps its place at the head");
  b.release(60);
  assert.deepEqual(woken, ["a", "b", "b", "c", "c"]);
  b.release(60);
  assert.equal(b.bytesInFlight, 0);
  assert.equal(b.tryTake(1000), true, "alone, a response larger than the budget goes");
  assert.equal(new SendBudget(0).tryTake(1e12), true, "0 = no limit");
});

test("with a 1-byte budget every response waits for the previous one to flush, and 30 streams still fully sync", async () => {
  const cache = new SnapshotCache();
  const metrics = createPilotMetrics({ connectedProxies: () => 0, services: () => 0, virtualServices: () => 0, rejectedConfigResources: () => 0 });
  const server = new AdsServer(cache, {
    connect(node) {
      if (!cache.get(node!.id!)) cache.set(node!.id!, world(50));
      return { id: node!.id!, ip: String(structToJson(node!.metadata).INSTANCE_IPS ?? ""), type: "sidecar" };
    },
    disconnect() {},
  }, metrics, { sendBudgetBytes: 1, maxRequestsPerSecond: 0 });
  const address = `127.0.0.22:${await server.listen("127.0.0.22", 0)}`;
  const clients = Array.from({ length: 30 }, () => new AdsTestClient(address));
  try {
    await Promise.all(clients.map(async (c, i) => {
      c.send({ type_url: CLUSTER_TYPE, node: AdsTestClient.node("127.0.1.1", `budget-${i}`, "default") });
      const cds = await c.next();
      assert.equal(cds.resources.length, 50);
      c.answer(cds);
      c.send({ type_url: ENDPOINT_TYPE, resource_names: ["c1", "c2"] });
      const eds = await c.next();
      assert.equal(eds.resources.length, 2);
      c.answer(eds);
    }));
    // A push after the sync goes out to every stream too.
    for (let i = 0; i < 30; i++) cache.set(AdsTestClient.node("127.0.1.1", `budget-${i}`, "default").id!, world(50, "v2"));
    await Promise.all(clients.map(async (c) => {
      const pushed = await c.next();
      assert.equal(pushed.type_url === CLUSTER_TYPE || pushed.type_url === ENDPOINT_TYPE, true);
    }));
  } finally {
    for (const c of clients) c.close();
    await server.close();
  }
});
