// End to end: sidecars with two real control planes fail over on SIGKILL, ride out a full outage, and converge after it.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Agent, type Server } from "node:http";
import {
  configDir, startControlPlane, startSidecarWith, startVersionApp, serverPort, closeServer, httpGet, waitFor, sleep,
  type ControlPlaneHandle, type WeftProcess,
} from "./support/mesh-processes.js";
import { reviewsDestinationRule, reviewsServiceEntry, reviewsVirtualService } from "./support/reviews-mesh.js";

const CP_A = "127.0.0.90";
const CP_B = "127.0.0.91";
const XDS_PORT = 15010;
const XDS = [`${CP_A}:${XDS_PORT}`, `${CP_B}:${XDS_PORT}`];
const CLIENT_IP = "127.0.0.94";
const SIDECAR_IPS = ["127.0.0.92", "127.0.0.93", CLIENT_IP];

// Endpoints are declared in config (as Kubernetes would give them), so every control-plane instance serves the
// same EDS whichever sidecars happen to be connected to it.
const SERVICES = reviewsServiceEntry({ endpoints: [{ address: "127.0.0.92", version: "v1" }, { address: "127.0.0.93", version: "v2" }] })
  + "---" + reviewsDestinationRule();

const routeTo = (subset: string) => reviewsVirtualService({ subset });

/** Request loops through the client sidecar until stopped (or a safety deadline); records failures and recent versions. */
class Traffic {
  readonly failures: string[] = [];
  ok = 0;
  private readonly recent: string[] = [];
  private running = true;
  private readonly done: Promise<void>;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 8 });

  constructor(loops: number, deadlineMs: number) {
    const deadline = Date.now() + deadlineMs;
    this.done = Promise.all(Array.from({ length: loops }, async () => {
      while (this.running && Date.now() < deadline) {
        try {
          const r = await httpGet("http://reviews:9080/", { via: `${CLIENT_IP}:15001`, agent: this.agent });
          if (r.status !== 200) this.failures.push(`${new Date().toISOString()} ${r.status} ${r.headers["x-envoy-response-flags"] ?? ""} ${r.body}`);
          else {
            this.ok++;
            this.recent.push(JSON.parse(r.body).version);
            if (this.recent.length > 20) this.recent.shift();
          }
        } catch (err) {
          this.failures.push((err as Error).message);
        }
        await sleep(5);
      }
    })).then(() => {});
  }

  /** True when the last 20 answers all came from `version`. */
  settledOn(version: string): boolean {
    return this.recent.length === 20 && this.recent.every((v) => v === version);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
    this.agent.destroy();
  }
}

let config: Awaited<ReturnType<typeof configDir>>;
const planes: ControlPlaneHandle[] = [];
const sidecars: WeftProcess[] = [];
const apps: Server[] = [];
let traffic: Traffic | undefined;

const connectedState = async (ip: string) =>
  Number(/^envoy_control_plane_connected_state (\d)$/m.exec((await httpGet(`http://${ip}:15000/stats/prometheus`)).body)?.[1]);
const stderr = () => sidecars.map((s) => s.stderr).join("\n");

before(async () => {
  config = await configDir({ "services.yaml": SERVICES, "reviews-vs.yaml": routeTo("v1") });
  planes.push(
    await startControlPlane(config.dir, { address: CP_A, xdsPort: XDS_PORT }),
    await startControlPlane(config.dir, { address: CP_B, xdsPort: XDS_PORT }),
  );
  const v1 = await startVersionApp("127.0.0.1", 0, "v1");
  const v2 = await startVersionApp("127.0.0.1", 0, "v2");
  apps.push(v1, v2);
  sidecars.push(
    await startSidecarWith(XDS, { ip: "127.0.0.92", workload: "reviews-v1", labels: { app: "reviews", version: "v1" }, appPort: serverPort(v1) }),
    await startSidecarWith(XDS, { ip: "127.0.0.93", workload: "reviews-v2", labels: { app: "reviews", version: "v2" }, appPort: serverPort(v2) }),
    await startSidecarWith(XDS, { ip: CLIENT_IP, workload: "productpage-v1", labels: { app: "productpage", version: "v1" } }),
  );
  traffic = new Traffic(4, 120_000);
  await waitFor(() => traffic!.settledOn("v1"), 10_000, stderr);
});

after(async () => {
  await traffic?.stop();
  await Promise.all([...sidecars, ...planes.map((p) => p.proc)].map((p) => p.stop()));
  for (const app of apps) await closeServer(app);
  await config?.remove();
});

test("control plane A is SIGKILLed under load: zero failed requests, the sidecars move to B, and an edit made after the kill arrives through B", async () => {
  for (const s of sidecars) await s.waitForLog(new RegExp(`connected to control plane server=${CP_A}:${XDS_PORT}`));
  planes[0].proc.child.kill("SIGKILL");
  for (const s of sidecars) await s.waitForLog(new RegExp(`connected to control plane server=${CP_B}:${XDS_PORT}`), 10_000);
  await config.write("reviews-vs.yaml", routeTo("v2"));
  await waitFor(() => traffic!.settledOn("v2"), 10_000, stderr);
  assert.deepEqual(traffic!.failures, []);
  assert.ok(traffic!.ok > 100, `requests kept flowing (${traffic!.ok})`);
});

test("with every control plane down traffic keeps flowing on the last config; a restarted one brings the edit made during the outage", async () => {
  planes[1].proc.child.kill("SIGKILL");
  await waitFor(async () => (await Promise.all(SIDECAR_IPS.map(connectedState))).every((s) => s === 0), 5000, stderr);
  const before = traffic!.ok;
  await config.write("reviews-vs.yaml", routeTo("v1"));
  await sleep(4000);
  assert.ok(traffic!.ok - before > 100, `traffic flowed without a control plane (${traffic!.ok - before} requests)`);
  assert.ok(traffic!.settledOn("v2"), "the last config stays in force");
  for (const ip of SIDECAR_IPS) assert.equal((await httpGet(`http://${ip}:15000/ready`)).status, 200);
  const dump = JSON.parse((await httpGet(`http://${CLIENT_IP}:15000/config_dump`)).body);
  assert.ok(dump.configs.some((c: { "@type": string; dynamic_listeners?: unknown[] }) => c.dynamic_listeners && c.dynamic_listeners.length > 0));

  planes[0] = await startControlPlane(config.dir, { address: CP_A, xdsPort: XDS_PORT });
  await waitFor(() => traffic!.settledOn("v1"), 30_000, stderr);
  // Each sidecar retries on its own jittered backoff (up to 15 s after a long outage), so allow more than that.
  await waitFor(async () => (await Promise.all(SIDECAR_IPS.map(connectedState))).every((s) => s === 1), 20_000, stderr);
  assert.deepEqual(traffic!.failures, []);
});
