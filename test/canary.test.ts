// End to end: a canary release through real `weft` processes — weighted split, header routing, live edit.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Agent, type Server } from "node:http";
import {
  configDir, startControlPlane, startSidecar, startVersionApp, serverPort, closeServer, httpGet, waitFor,
  type ControlPlaneHandle, type WeftProcess,
} from "./support/mesh-processes.js";
import { reviewsDestinationRule, reviewsServiceEntry, reviewsVirtualService } from "./support/reviews-mesh.js";

const CLIENT_IP = "127.0.0.40";

const SERVICES = reviewsServiceEntry() + "---" + reviewsDestinationRule();

function virtualService(v1: number, v2: number): string {
  return reviewsVirtualService({ weights: { v1, v2 }, jason: true });
}

let config: Awaited<ReturnType<typeof configDir>>;
let cp: ControlPlaneHandle;
const procs: WeftProcess[] = [];
const apps: Server[] = [];
const agent = new Agent({ keepAlive: true, maxSockets: 16 });

async function reviews(headers: Record<string, string> = {}): Promise<{ status: number; version?: string; flags?: string }> {
  const r = await httpGet("http://reviews:9080/reviews/1", { via: `${CLIENT_IP}:15001`, headers, agent });
  return { status: r.status, version: r.status === 200 ? JSON.parse(r.body).version : undefined };
}

/** Sends `n` requests with `concurrency` in flight; returns the count per version and the failures. */
async function tally(n: number, concurrency: number, headers: Record<string, string> = {}) {
  const counts: Record<string, number> = {};
  let failures = 0;
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next++ < n) {
      const r = await reviews(headers).catch(() => ({ status: 0, version: undefined }));
      if (r.status !== 200 || !r.version) failures++;
      else counts[r.version] = (counts[r.version] ?? 0) + 1;
    }
  }));
  return { counts, failures };
}

before(async () => {
  config = await configDir({ "services.yaml": SERVICES, "reviews-vs.yaml": virtualService(90, 10) });
  cp = await startControlPlane(config.dir);
  const v1 = await startVersionApp("127.0.0.1", 0, "v1");
  const v2 = await startVersionApp("127.0.0.1", 0, "v2");
  apps.push(v1, v2);
  procs.push(
    await startSidecar(cp.xdsPort, { ip: "127.0.0.41", workload: "reviews-v1", labels: { app: "reviews", version: "v1" }, appPort: serverPort(v1) }),
    await startSidecar(cp.xdsPort, { ip: "127.0.0.42", workload: "reviews-v2", labels: { app: "reviews", version: "v2" }, appPort: serverPort(v2) }),
    await startSidecar(cp.xdsPort, { ip: CLIENT_IP, workload: "productpage-v1", labels: { app: "productpage", version: "v1" } }),
  );
  // Both reviews workloads registered themselves: wait until the client's sidecar reaches both.
  await waitFor(async () => {
    const { counts } = await tally(40, 4);
    return (counts.v1 ?? 0) > 0 && (counts.v2 ?? 0) > 0;
  }, 10_000);
});

after(async () => {
  agent.destroy();
  await Promise.all(procs.map((p) => p.stop()));
  await cp?.proc.stop();
  await Promise.all(apps.map(closeServer));
  await config?.remove();
});

test("90/10 weights send 10±3% of 2000 requests to v2, with no failures", async () => {
  const { counts, failures } = await tally(2000, 16);
  assert.equal(failures, 0);
  const share = (counts.v2 ?? 0) / 2000;
  assert.ok(share >= 0.07 && share <= 0.13, `v2 share ${(share * 100).toFixed(1)}% (counts ${JSON.stringify(counts)})`);
  assert.equal((counts.v1 ?? 0) + (counts.v2 ?? 0), 2000);
});

test("a request with end-user: jason always reaches v2", async () => {
  const { counts, failures } = await tally(200, 8, { "end-user": "jason" });
  assert.equal(failures, 0);
  assert.deepEqual(counts, { v2: 200 });
});

test("an unknown host gets 404 from the sidecar (no route, NR)", async () => {
  const r = await httpGet("http://nobody.example:9080/", { via: `${CLIENT_IP}:15001` });
  assert.equal(r.status, 404);
});

test("a live VirtualService edit takes effect within a second with zero failed requests", async () => {
  let stop = false;
  let failures = 0;
  let total = 0;
  const seen: Array<{ at: number; version: string }> = [];
  const load = Promise.all(Array.from({ length: 4 }, async () => {
    while (!stop) {
      const r = await reviews().catch(() => ({ status: 0, version: undefined }));
      total++;
      if (r.status !== 200 || !r.version) failures++;
      else seen.push({ at: Date.now(), version: r.version });
    }
  }));
  await new Promise((r) => setTimeout(r, 300));
  const editedAt = Date.now();
  await config.write("reviews-vs.yaml", virtualService(0, 100));
  // Converged: 50 consecutive v2 responses (at 90/10 the odds of that by chance are 10^-50).
  await waitFor(() => {
    const tail = seen.slice(-50);
    return tail.length === 50 && tail[0].at > editedAt && tail.every((s) => s.version === "v2");
  }, 3000);
  stop = true;
  await load;
  const lastV1 = Math.max(0, ...seen.filter((s) => s.version === "v1").map((s) => s.at));
  const tookMs = lastV1 - editedAt;
  assert.equal(failures, 0, `${failures} of ${total} requests failed during the edit`);
  assert.ok(tookMs < 1000, `last v1 response ${tookMs} ms after the edit`);
  // And back to 90/10: the rollback converges too.
  await config.write("reviews-vs.yaml", virtualService(90, 10));
  await waitFor(async () => ((await tally(100, 8)).counts.v1 ?? 0) > 50, 3000);
});

test("the sidecars generate x-request-id for the app and answer with one x-envoy-upstream-service-time", async () => {
  const r = await httpGet("http://reviews:9080/reviews/1", { via: `${CLIENT_IP}:15001`, agent });
  assert.equal(r.status, 200);
  assert.match(JSON.parse(r.body).requestId, /^[0-9a-f-]{36}$/);
  assert.match(String(r.headers["x-envoy-upstream-service-time"]), /^\d+$/);
});
