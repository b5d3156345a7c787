// The control-plane scale benchmark: full sync and change convergence of P simulated proxies on S services, SotW vs delta, scoping off/on.

import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import { ChildProcessGroup, type ChildExit } from "../../src/demo/child-process-group.js";
import { sleep } from "../../src/demo/wait-ready.js";
import { aggregatedDiscoveryService, type DeltaDiscoveryRequest } from "../../src/xds/discovery.js";
import { LISTENER_TYPE } from "../../src/xds/type-urls.js";
import { WeftError } from "../../src/shared/weft-error.js";
import { percentile } from "../row.js";
import type { Marker } from "./change-watch.js";
import { ScaleFixture, initialAddress, type FixtureService } from "./fixture-generator.js";
import { LoadTool, type LoadStatus } from "./load-tool.js";
import type { ProxySpec } from "./load-worker.js";
import { epochMs, type XdsMode } from "./scale-proxy.js";

const WEFT_BIN = fileURLToPath(new URL("../../../bin/weft.js", import.meta.url));

export interface ScaleOptions {
  services: number;
  proxies: number;
  modes?: readonly XdsMode[];
  /** Runs without and/or with Sidecar scoping (default both). */
  scoping?: readonly boolean[];
  /** Services each proxy sees with scoping on (default 10). */
  sidecarHosts?: number;
  /** Endpoints changed at once in step (c) (default 100, fewer if the mesh is smaller). */
  bulkEndpoints?: number;
  workers?: number;
  streamsPerConnection?: number;
  /** Give up on the full sync after this long (default 900 s), on one step after this long (default 300 s). */
  syncTimeoutMs?: number;
  stepTimeoutMs?: number;
  /** Progress lines (stderr in `npm run bench`). */
  progress?: (line: string) => void;
}

export interface StepResult {
  name: string;
  /** Proxies the change concerns (they see the changed service). */
  concerned: number;
  notConverged: number;
  p50Ms?: number;
  p99Ms?: number;
  maxMs?: number;
  /** Mean response bytes per proxy during the step: over all proxies, and over the concerned ones. */
  bytesPerProxy: number;
  bytesPerConcernedProxy?: number;
  controlPlaneCpuSeconds: number;
  /** Streams that ended and were reopened during the step. */
  reconnects: number;
}

export interface ScaleRun {
  mode: XdsMode;
  scoping: boolean;
  services: number;
  proxies: number;
  /** Why this combination was not measured (e.g. delta not served). */
  skipped?: string;
  /** Why it stopped early (timeout, crash); the figures gathered so far are kept. */
  failed?: string;
  sync?: {
    seconds: number;
    /** Control-plane CPU from process start (config load included) to full sync, and for the sync alone. */
    controlPlaneCpuSeconds: number;
    syncCpuSeconds: number;
    peakRssMiB: number | undefined;
    bytesPerProxy: number;
    loadToolCpuSeconds: number;
    /** Streams that ended (e.g. connect timeouts) and were reopened before full sync. */
    reconnects: number;
  };
  steps: StepResult[];
}

/** No response to any proxy for this long = a step's pushes are over (its bytes are all counted). */
const QUIET_MS = 1000;
const POLL_MS = 100;

/** Runs every (mode, scoping) combination in turn, each against a fresh control plane. */
export async function benchScale(opts: ScaleOptions): Promise<ScaleRun[]> {
  const runs: ScaleRun[] = [];
  for (const mode of opts.modes ?? ["sotw", "delta"]) {
    for (const scoping of opts.scoping ?? [false, true]) {
      opts.progress?.(`scale: ${mode}, scoping ${scoping ? "on" : "off"}, ${opts.services} services, ${opts.proxies} proxies`);
      runs.push(await runOne(opts, mode, scoping));
    }
  }
  return runs;
}

async function runOne(opts: ScaleOptions, mode: XdsMode, scoping: boolean): Promise<ScaleRun> {
  const run: ScaleRun = { mode, scoping, services: opts.services, proxies: opts.proxies, steps: [] };
  const work = await mkdtemp(path.join(os.tmpdir(), "weft-bench-scale-"));
  const fixture = new ScaleFixture(path.join(work, "config"), { services: opts.services, ...(scoping && { sidecarHosts: opts.sidecarHosts ?? 10 }) });
  await fixture.write();
  const logDir = path.join(work, "logs");
  await mkdir(logDir);
  let died: ChildExit | undefined;
  const group = new ChildProcessGroup(logDir, (exit) => (died = exit));
  let load: LoadTool | undefined;
  const progress = opts.progress ?? (() => undefined);
  try {
    group.start("control-plane", WEFT_BIN, ["control-plane", "--config-dir", fixture.dir, "--xds-port", "0", "--monitoring-port", "0"]);
    const address = await readyAddress(group, () => died, 120_000);
    const pid = group.pidOf("control-plane")!;
    if (mode === "delta" && !(await deltaServed(address))) {
      run.skipped = "the control plane answers DeltaAggregatedResources with UNIMPLEMENTED";
      return run;
    }
    const cpuAtReady = await cpuSeconds(pid);

    load = new LoadTool({ address, mode, proxies: proxySpecs(opts.proxies, fixture.namespaces), workers: opts.workers, streamsPerConnection: opts.streamsPerConnection });
    await load.start();
    const synced = await pollUntil(load, opts.syncTimeoutMs ?? 900_000, () => died, (s) => s.synced === opts.proxies, progress, (s) => `${s.synced}/${opts.proxies} synced${streamErrors(s)}`);
    if (synced.synced < opts.proxies) {
      run.failed = `full sync: ${synced.synced} of ${opts.proxies} proxies synced${streamErrors(synced)}${exitNote(died)}`;
      return run;
    }
    const cpuAtSync = await cpuSeconds(pid);
    const rss = await peakRssMiB(pid);
    await quiet(load, opts.stepTimeoutMs ?? 300_000);
    const initial = await load.collect();
    run.sync = {
      seconds: (synced.lastSyncedAt - load.started) / 1000,
      controlPlaneCpuSeconds: cpuAtSync,
      syncCpuSeconds: cpuAtSync - cpuAtReady,
      peakRssMiB: rss,
      bytesPerProxy: mean(initial.bytes),
      loadToolCpuSeconds: synced.cpuSeconds,
      reconnects: synced.reconnects,
    };
    progress(`scale: synced in ${run.sync.seconds.toFixed(1)} s`);

    for (const step of steps(fixture, opts.bulkEndpoints ?? 100)) {
      const result = await measureStep(load, step, pid, opts.stepTimeoutMs ?? 300_000, () => died, progress);
      run.steps.push(result);
      if (died) throw new WeftError("BENCH_FAILED", `control plane died${exitNote(died)}`);
    }
    return run;
  } catch (err) {
    const tail = (await readFile(group.logFileOf("control-plane") ?? "", "utf8").catch(() => "")).split("\n").slice(-5).join("\n");
    run.failed = `${(err as Error).message}${tail ? `\n${tail}` : ""}`;
    return run;
  } finally {
    await load?.stop();
    await group.stopAll();
    if (process.env.WEFT_BENCH_KEEP) opts.progress?.(`scale: kept ${work}`);
    else await rm(work, { recursive: true, force: true });
  }
}

interface Step {
  name: string;
  prefix: string;
  markers: Marker[];
  apply: () => Promise<unknown>;
}

/**
 * (a) one VirtualService edit: its route gets a new name (the marker, found in RDS) and new weights;
 * (b) one endpoint change: a v1 WorkloadEntry moves to a new address (the marker, in the default and v1 CLAs);
 * (c) `bulk` endpoints at once: the v1 WorkloadEntry of `bulk` services, written together.
 */
function steps(fixture: ScaleFixture, bulk: number): Step[] {
  const svc = fixture.services;
  const marker = (s: FixtureService, value: string, expected: number): Marker => {
    const namespaces = fixture.viewers(s);
    return namespaces ? { value, expected, namespaces } : { value, expected };
  };
  const out: Step[] = [
    {
      name: "(a) VirtualService edit",
      prefix: "edit-a-",
      markers: [marker(svc[0]!, "edit-a-1", 1)],
      apply: () => fixture.writeVirtualService(svc[0]!, "edit-a-1", 80),
    },
  ];
  if (svc.length > 1) {
    out.push({
      name: "(b) 1 endpoint change",
      prefix: "127.2.",
      markers: [marker(svc[1]!, "127.2.0.1", 2)],
      apply: () => fixture.writeWorkloadEntries(svc[1]!, "127.2.0.1", initialAddress(svc[1]!.index, 2)),
    });
  }
  const changed = svc.slice(2, 2 + bulk);
  if (changed.length > 0) {
    const address = (j: number): string => `127.3.${Math.floor(j / 250)}.${1 + (j % 250)}`;
    out.push({
      name: `(c) ${changed.length} endpoints at once`,
      prefix: "127.3.",
      markers: changed.map((s, j) => marker(s, address(j), 2)),
      apply: () => Promise.all(changed.map((s, j) => fixture.writeWorkloadEntries(s, address(j), initialAddress(s.index, 2)))),
    });
  }
  return out;
}

async function measureStep(
  load: LoadTool,
  step: Step,
  pid: number,
  timeoutMs: number,
  died: () => ChildExit | undefined,
  progress: (line: string) => void,
): Promise<StepResult> {
  await load.arm(step.prefix, step.markers);
  const armed = await load.status();
  const cpu0 = await cpuSeconds(pid);
  const t0 = epochMs();
  await step.apply();
  await pollUntil(load, timeoutMs, died, (s) => s.waiting === 0, progress, (s) => `${step.name}: ${s.converged}/${armed.waiting} converged`);
  await quiet(load, timeoutMs);
  const cpu1 = await cpuSeconds(pid);
  const after = await load.status();
  const c = await load.collect();
  const ms = c.convergedAt.map((t) => t - t0);
  progress(`scale: ${step.name}: p99 ${percentile(ms, 99)?.toFixed(0) ?? "-"} ms`);
  return {
    name: step.name,
    concerned: c.convergedAt.length + c.notConverged,
    notConverged: c.notConverged,
    p50Ms: percentile(ms, 50),
    p99Ms: percentile(ms, 99),
    maxMs: percentile(ms, 100),
    bytesPerProxy: mean(c.bytes),
    ...(c.concernedBytes.length > 0 && { bytesPerConcernedProxy: mean(c.concernedBytes) }),
    controlPlaneCpuSeconds: cpu1 - cpu0,
    reconnects: after.reconnects - armed.reconnects,
  };
}

/** Proxy p: workload `client-<p>` in namespace p mod N, on its own 127.4.x.y address. */
function proxySpecs(n: number, namespaces: readonly string[]): ProxySpec[] {
  return Array.from({ length: n }, (_, p) => ({
    workload: `client-${p}`,
    namespace: namespaces[p % namespaces.length]!,
    ip: `127.4.${Math.floor(p / 250)}.${1 + (p % 250)}`,
  }));
}

/** Polls the load tool until `done`, the timeout, or the control plane's death; logs progress every 5 s. */
async function pollUntil(
  load: LoadTool,
  timeoutMs: number,
  died: () => ChildExit | undefined,
  done: (s: LoadStatus) => boolean,
  progress: (line: string) => void,
  describe: (s: LoadStatus) => string,
): Promise<LoadStatus> {
  const deadline = performance.now() + timeoutMs;
  let nextLog = performance.now() + 5000;
  for (;;) {
    const s = await load.status();
    if (done(s) || died() || performance.now() > deadline) return s;
    if (performance.now() > nextLog) {
      progress(`scale: ${describe(s)}`);
      nextLog += 5000;
    }
    await sleep(POLL_MS);
  }
}

/** Waits until no proxy has received anything for QUIET_MS (or `timeoutMs`). */
async function quiet(load: LoadTool, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const s = await load.status();
    if (epochMs() - s.lastResponseAt > QUIET_MS) return;
    await sleep(POLL_MS * 2);
  }
}

/** The xDS address from the control plane's "control plane ready xds=HOST:PORT" line (started with --xds-port 0). */
async function readyAddress(group: ChildProcessGroup, died: () => ChildExit | undefined, timeoutMs: number): Promise<string> {
  const deadline = performance.now() + timeoutMs;
  const log = group.logFileOf("control-plane")!;
  while (performance.now() < deadline && !died()) {
    const m = /control plane ready xds=(\S+)/.exec(await readFile(log, "utf8").catch(() => ""));
    if (m) return m[1]!;
    await sleep(100);
  }
  const tail = (await readFile(log, "utf8").catch(() => "")).split("\n").slice(-10).join("\n");
  throw new WeftError("BENCH_FAILED", `control plane did not become ready${exitNote(died())}\n${tail}`);
}

/** Whether the control plane answers a delta LDS wildcard request (rather than ending the stream UNIMPLEMENTED). */
async function deltaServed(address: string): Promise<boolean> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const m = aggregatedDiscoveryService.DeltaAggregatedResources;
  const call = client.makeBidiStreamRequest<DeltaDiscoveryRequest, unknown>(m.path, m.requestSerialize, m.responseDeserialize);
  try {
    return await new Promise<boolean>((resolve) => {
      call.on("data", () => resolve(true));
      call.on("error", (err: grpc.ServiceError) => resolve(err.code !== grpc.status.UNIMPLEMENTED));
      setTimeout(() => resolve(true), 5000).unref();
      call.write({
        node: { id: "sidecar~127.5.0.1~delta-probe.default~default.svc.cluster.local", cluster: "delta-probe.default" },
        type_url: LISTENER_TYPE,
        resource_names_subscribe: [],
        resource_names_unsubscribe: [],
        initial_resource_versions: {},
        response_nonce: "",
      });
    });
  } finally {
    call.cancel();
    client.close();
  }
}

/** utime + stime of a live process in seconds (Linux /proc/<pid>/stat, clock ticks of 1/100 s). */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** VmHWM of a live process in MiB (Linux). */
async function peakRssMiB(pid: number): Promise<number | undefined> {
  const kb = /VmHWM:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, "utf8").catch(() => ""))?.[1];
  return kb === undefined ? undefined : Number(kb) / 1024;
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

function streamErrors(s: LoadStatus): string {
  return s.reconnects > 0 ? `; ${s.reconnects} streams ended and were reopened, first: ${s.firstError}` : "";
}

function exitNote(died: ChildExit | undefined): string {
  return died ? ` (control plane exited: code ${died.code}, signal ${died.signal})` : "";
}
