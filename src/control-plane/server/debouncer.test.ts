// Tests for the push debouncer: bursts merge, max delay bounds a busy burst, pushes never overlap.

import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { Debouncer, type DebouncedBurst } from "./debouncer.js";

const fail = (err: unknown) => assert.fail(String(err));

test("a burst of 10 events 5 ms apart becomes one push after the quiet period", async () => {
  const bursts: DebouncedBurst[] = [];
  const d = new Debouncer({ afterMs: 40, maxMs: 2000 }, async (b) => void bursts.push(b), fail);
  for (let i = 0; i < 10; i++) {
    d.trigger(i % 2 ? "config" : "proxy");
    await sleep(5);
  }
  assert.equal(bursts.length, 0);
  await sleep(80);
  await d.idle();
  assert.equal(bursts.length, 1);
  assert.equal(bursts[0]!.events, 10);
  assert.deepEqual([...bursts[0]!.reasons].sort(), ["config", "proxy"]);
  await d.stop();
});

test("continuous events are pushed after maxMs even without a quiet period", async () => {
  const pushedAt: number[] = [];
  const start = performance.now();
  const d = new Debouncer({ afterMs: 50, maxMs: 120 }, async () => void pushedAt.push(performance.now() - start), fail);
  while (performance.now() - start < 200) {
    d.trigger("config");
    await sleep(10);
  }
  assert.ok(pushedAt.length >= 1, "pushed while events kept coming");
  assert.ok(pushedAt[0]! >= 115 && pushedAt[0]! < 190, `first push at ${pushedAt[0]} ms`);
  await d.stop();
});

test("events during a running push start one more push after it, never a concurrent one", async () => {
  let running = 0;
  let maxRunning = 0;
  let pushes = 0;
  const d = new Debouncer({ afterMs: 10, maxMs: 100 }, async () => {
    running++;
    maxRunning = Math.max(maxRunning, running);
    pushes++;
    await sleep(60);
    running--;
  }, fail);
  d.trigger("config");
  await sleep(30); // first push is running now
  d.trigger("config");
  d.trigger("config");
  await sleep(20);
  await d.idle();
  assert.equal(pushes, 2);
  assert.equal(maxRunning, 1);
  await d.stop();
});
