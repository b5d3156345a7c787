// Tests for TimeoutQueue: deadlines fire in order across timeout values, cancelled entries never fire.

import { test } from "node:test";
import assert from "node:assert/strict";
import { DeadlineEntry, TimeoutQueue } from "./timeout-queue.js";

class Probe extends DeadlineEntry {
  firedAt = -1;
  constructor(readonly name: string, private readonly log: string[]) { super(); }
  onDeadline(): void {
    this.firedAt = performance.now();
    this.log.push(this.name);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("entries fire once, not before their deadline, earliest first across timeout values", async () => {
  const q = new TimeoutQueue();
  const log: string[] = [];
  const now = performance.now();
  const slow = new Probe("slow 60ms", log);
  const fast = new Probe("fast 20ms", log);
  const mid = new Probe("mid 40ms", log);
  q.arm(slow, 60, now);
  q.arm(fast, 20, now);
  q.arm(mid, 40, now);
  await sleep(120);
  assert.deepEqual(log, ["fast 20ms", "mid 40ms", "slow 60ms"]);
  assert.ok(fast.firedAt - now >= 20 && mid.firedAt - now >= 40 && slow.firedAt - now >= 60);
});

test("a cancelled entry never fires, its neighbours still do, and cancelling twice is harmless", async () => {
  const q = new TimeoutQueue();
  const log: string[] = [];
  const now = performance.now();
  const entries = ["a", "b", "c"].map((n) => new Probe(n, log));
  for (const e of entries) q.arm(e, 20, now);
  q.cancel(entries[1]);
  q.cancel(entries[1]);
  await sleep(60);
  assert.deepEqual(log, ["a", "c"]);
  q.cancel(entries[0]); // already fired: a no-op
});

test("an entry re-armed after firing fires again; cancelling everything leaves nothing pending", async () => {
  const q = new TimeoutQueue();
  const log: string[] = [];
  const e = new Probe("e", log);
  q.arm(e, 10, performance.now());
  await sleep(40);
  q.arm(e, 10, performance.now());
  await sleep(40);
  assert.deepEqual(log, ["e", "e"]);
  const many = Array.from({ length: 100 }, (_, i) => new Probe(String(i), log));
  for (const m of many) q.arm(m, 10, performance.now());
  for (const m of many) q.cancel(m);
  await sleep(40);
  assert.deepEqual(log, ["e", "e"]);
});

test("a shorter timeout armed after a longer one re-arms the timer earlier", async () => {
  const q = new TimeoutQueue();
  const log: string[] = [];
  const long = new Probe("long", log);
  const short = new Probe("short", log);
  q.arm(long, 1000, performance.now());
  const t0 = performance.now();
  q.arm(short, 20, t0);
  await sleep(80);
  assert.deepEqual(log, ["short"]);
  q.cancel(long);
});
