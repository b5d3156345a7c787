// Control-plane convergence: time from a VirtualService file write to every connected proxy ACKing the new routes.

import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { BOOKINFO_SERVICES } from "../src/demo/bookinfo-app.js";
import { ChildProcessGroup, type ChildExit } from "../src/demo/child-process-group.js";
import { REVIEWS_VIRTUAL_SERVICE_FILE, reviewsVirtualServiceYaml, writeDemoConfig } from "../src/demo/demo-config.js";
import { NAMESPACE, demoWorkloads } from "../src/demo/demo-topology.js";
import { sleep, waitForPort } from "../src/demo/wait-ready.js";
import { jsonToStruct, type XdsNode } from "../src/xds/discovery.js";
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from "../src/xds/type-urls.js";
import { WeftError } from "../src/shared/weft-error.js";
import { percentile, type Row } from "./row.js";
import { SimulatedProxy } from "./simulated-proxy.js";

const WEFT_BIN = fileURLToPath(new URL("../../bin/weft.js", import.meta.url));

export interface ConvergenceOptions {
  /** Simulated sidecars connected over their own ADS streams (the brief's figure is 100). */
  proxies: number;
  /** Edits measured (default 5). */
  edits?: number;
  /** Give up on one edit (or on the initial sync) after this long (default 30 s). */
  timeoutMs?: number;
}

/** No response to any proxy for this long = synced. */
const QUIET_MS = 1000;

/**
 * Starts `weft control-plane` as a child process on the demo's Bookinfo config, connects `proxies` simulated
 * sidecars (labelled like the demo's six workloads, round robin, each on its own 127.0.1.x IP so each one is
 * also an endpoint), waits until all are synced and quiet, then `edits` times rewrites the reviews VirtualService
 * with new weights and measures, per proxy, write → ACK of an RDS version different from the one before.
 * Row: p50/p99/max over all proxies and edits; peak RSS of the control plane.
 */
export async function benchConvergence(opts: ConvergenceOptions): Promise<Row> {
  const edits = opts.edits ?? 5;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const work = await mkdtemp(path.join(os.tmpdir(), "weft-bench-convergence-"));
  const configDir = path.join(work, "config");
  const logDir = path.join(work, "logs");
  await mkdir(logDir);
  await writeDemoConfig(configDir, BOOKINFO_SERVICES);
  let died: ChildExit | undefined;
  const group = new ChildProcessGroup(logDir, (exit) => (died = exit));
  const proxies: SimulatedProxy[] = [];
  try {
    const [xdsPort, monitoringPort] = [await freePort(), await freePort()];
    group.start("control-plane", WEFT_BIN, ["control-plane", "--config-dir", configDir, "--xds-port", String(xdsPort), "--monitoring-port", String(monitoringPort)]);
    if (!(await waitForPort("127.0.0.1", xdsPort, timeoutMs, () => died !== undefined))) {
      throw await failure("control plane did not start", group, died);
    }

    let lastResponseAt = performance.now();
    const waiting = new Map<SimulatedProxy, { before: string; t0: number; done: (ms: number) => void }>();
    const workloads = demoWorkloads();
    for (let i = 0; i < opts.proxies; i++) {
      const w = workloads[i % workloads.length];
      const ip = `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;
      const proxy: SimulatedProxy = new SimulatedProxy(`127.0.0.1:${xdsPort}`, sidecarNode(ip, `${w.name}-${i}`, w.service, w.version, w.appPort), (typeUrl, version, at) => {
        lastResponseAt = at;
        const wait = typeUrl === ROUTE_TYPE ? waiting.get(proxy) : undefined;
        if (wait && version !== wait.before) {
          waiting.delete(proxy);
          wait.done(at - wait.t0);
        }
      });
      proxies.push(proxy);
      proxy.start();
    }

    const synced = await until(timeoutMs, () => {
      if (died) return true;
      const all = proxies.every((p) => p.version(CLUSTER_TYPE) && p.version(LISTENER_TYPE) && p.version(ENDPOINT_TYPE) && p.version(ROUTE_TYPE));
      return all && performance.now() - lastResponseAt > QUIET_MS;
    });
    if (!synced || died) {
      const behind = proxies.filter((p) => !p.version(ROUTE_TYPE)).length;
      throw await failure(`initial sync: ${behind} of ${opts.proxies} proxies without routes after ${timeoutMs} ms`, group, died, proxies);
    }

    const samples: number[] = [];
    const notes: string[] = [];
    const vsFile = path.join(configDir, REVIEWS_VIRTUAL_SERVICE_FILE);
    for (let e = 0; e < edits; e++) {
      const v2 = 10 * (e + 1);
      const results = proxies.map(
        (proxy) => new Promise<number | undefined>((resolve) => {
          waiting.set(proxy, { before: proxy.version(ROUTE_TYPE), t0: 0, done: resolve });
          setTimeout(() => resolve(undefined), timeoutMs).unref();
        }),
      );
      const t0 = performance.now();
      for (const wait of waiting.values()) wait.t0 = t0;
      await writeFile(vsFile, reviewsVirtualServiceYaml({ v1: 100 - v2, v2 }));
      const times = await Promise.all(results);
      const converged = times.filter((t): t is number => t !== undefined);
      samples.push(...converged);
      notes.push(`${Math.round(Math.max(...converged, 0))}`);
      if (converged.length < proxies.length) {
        waiting.clear();
        throw await failure(`edit ${e + 1}: ${proxies.length - converged.length} of ${proxies.length} proxies never ACKed new routes`, group, died, proxies);
      }
      await until(timeoutMs, () => performance.now() - lastResponseAt > QUIET_MS / 2);
    }

    return {
      name: `convergence (${opts.proxies} proxies)`,
      p50Ms: percentile(samples, 50),
      p90Ms: percentile(samples, 90),
      p99Ms: percentile(samples, 99),
      maxMs: percentile(samples, 100),
      peakRssMiB: await peakRssMiB(group.pidOf("control-plane")),
      note: `VirtualService write → RDS ACK, ${edits} edits; max per edit ${notes.join("/")} ms (includes the control plane's 100 ms debounce)`,
    };
  } finally {
    for (const p of proxies) p.close();
    await group.stopAll();
    await rm(work, { recursive: true, force: true });
  }
}

/** A sidecar's node as `weft proxy` sends it (common brief: node id and metadata keys). */
function sidecarNode(ip: string, workload: string, app: string, version: string, appPort: number): XdsNode {
  return {
    id: `sidecar~${ip}~${workload}.${NAMESPACE}~${NAMESPACE}.svc.cluster.local`,
    cluster: `${app}.${NAMESPACE}`,
    metadata: jsonToStruct({
      NAMESPACE,
      WORKLOAD_NAME: workload,
      LABELS: { app, version },
      SERVICE_ACCOUNT: "default",
      INSTANCE_IPS: ip,
      APP_PORT: String(appPort),
      CLUSTER_ID: "Kubernetes",
    }),
  };
}

async function until(timeoutMs: number, done: () => boolean): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** VmHWM of a live process in MiB (Linux), undefined elsewhere. */
async function peakRssMiB(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

/** A BENCH_FAILED error carrying what went wrong, stream errors, and the control plane log's tail. */
async function failure(what: string, group: ChildProcessGroup, died: ChildExit | undefined, proxies: SimulatedProxy[] = []): Promise<WeftError> {
  const log = group.logFileOf("control-plane");
  const tail = log ? (await readFile(log, "utf8").catch(() => "")).split("\n").slice(-15).join("\n") : "";
  const streamError = proxies.find((p) => p.error)?.error?.message;
  const exit = died ? ` (control plane exited: code ${died.code}, signal ${died.signal})` : "";
  return new WeftError("BENCH_FAILED", `convergence: ${what}${exit}${streamError ? `; stream error: ${streamError}` : ""}\n${tail}`);
}
