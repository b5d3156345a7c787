// `weft demo`: writes the Bookinfo mesh config, runs a control plane, six sidecars and their apps, and shows the reviews split live.

import { mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { BOOKINFO_SERVICES } from "../demo/bookinfo-app.js";
import { ChildProcessGroup, type ChildExit } from "../demo/child-process-group.js";
import { REVIEWS_VIRTUAL_SERVICE_FILE, writeDemoConfig } from "../demo/demo-config.js";
import { BOOKINFO_PORT, NAMESPACE, demoWorkloads, type DemoWorkload } from "../demo/demo-topology.js";
import { LoadGenerator } from "../demo/load-generator.js";
import { waitForHttp200, waitForPort } from "../demo/wait-ready.js";

const WEFT_BIN = fileURLToPath(new URL("../../../bin/weft.js", import.meta.url));
const APP_MAIN = fileURLToPath(new URL("../demo/app-main.js", import.meta.url));

const USAGE = `usage: weft demo [--config-dir ./weft-demo-config] [--xds-port 15010] [--monitoring-port 15014]
                 [--rate 100] [--duration SECONDS] [--quiet]`;

const REPORT_EVERY_MS = 2500;
const STARTUP_TIMEOUT_MS = 30_000;

interface DemoFlags {
  configDir: string;
  xdsPort: number;
  monitoringPort: number;
  rate: number;
  durationS: number | undefined;
  quiet: boolean;
}

/** Runs the demo until SIGINT/SIGTERM or --duration; resolves 0 after every child has stopped, 1 if the mesh failed, 2 on bad flags. */
export async function runDemo(argv: string[]): Promise<number> {
  const flags = parseFlags(argv);
  if (typeof flags === "string") {
    process.stderr.write(`weft demo: ${flags}\n${USAGE}\n`);
    return 2;
  }
  const say = (line: string): void => {
    if (!flags.quiet) process.stdout.write(line + "\n");
  };
  const configDir = path.resolve(flags.configDir);
  const logDir = path.join(path.dirname(configDir), "weft-demo-logs");
  await mkdir(logDir, { recursive: true });
  await writeDemoConfig(configDir, BOOKINFO_SERVICES);
  say(`weft demo: mesh config in ${configDir} (edit ${REVIEWS_VIRTUAL_SERVICE_FILE} to move traffic)`);
  say(`weft demo: process logs in ${logDir}`);

  let failure: ChildExit | undefined;
  let stopRequested = false;
  let wake: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (wake = resolve));
  const group = new ChildProcessGroup(logDir, (exit) => {
    failure ??= exit;
    wake();
  });
  const onSignal = (): void => {
    if (stopRequested) group.killAll(); // second Ctrl-C: no more grace
    stopRequested = true;
    wake();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const cancelled = (): boolean => stopRequested || failure !== undefined;

  const workloads = demoWorkloads();
  let load: LoadGenerator | undefined;
  let reporter: NodeJS.Timeout | undefined;
  let durationTimer: NodeJS.Timeout | undefined;
  let exitCode = 0;
  try {
    const startedAt = Date.now();
    say(`weft demo: starting the control plane and ${workloads.length} workloads (sidecar + app each)...`);
    const notReady = await startMesh(group, flags, configDir, workloads, cancelled);
    const interrupted = failure !== undefined || stopRequested; // a failure is reported below
    if (!interrupted && notReady.length > 0) {
      process.stderr.write(`weft demo: not ready after ${STARTUP_TIMEOUT_MS / 1000} s: ${notReady.join(", ")}; see the logs in ${logDir}\n`);
      exitCode = 1;
    } else if (!interrupted) {
      const productpage = workloads[0];
      load = new LoadGenerator({ target: `${productpage.ip}:${BOOKINFO_PORT}`, rate: flags.rate, jasonShare: 0.1 });
      load.start();
      say(`weft demo: mesh ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s; ${flags.rate} req/s to productpage (${productpage.ip}:${BOOKINFO_PORT}), 10% as end-user: jason. Ctrl-C stops.`);
      const running = load;
      reporter = setInterval(() => report(running, say), REPORT_EVERY_MS);
      if (flags.durationS !== undefined) durationTimer = setTimeout(() => ((stopRequested = true), wake()), flags.durationS * 1000);
      await stopped;
    }
    if (failure) {
      const how = failure.signal ? `signal ${failure.signal}` : `code ${failure.code}`;
      process.stderr.write(`weft demo: ${failure.name} exited (${how}); see ${failure.logFile}\n`);
      exitCode = 1;
    }
  } finally {
    clearInterval(reporter);
    clearTimeout(durationTimer);
    await load?.stop();
    await group.stopAll();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  say("weft demo: stopped");
  return exitCode;
}

/**
 * Starts the control plane; once its xDS port accepts connections (so each sidecar's first attempt succeeds),
 * every workload's app and sidecar. Resolves when every app answers /health and every sidecar /ready, with the
 * names of those that did not within STARTUP_TIMEOUT_MS (or before `cancelled()`).
 */
async function startMesh(group: ChildProcessGroup, flags: DemoFlags, configDir: string, workloads: readonly DemoWorkload[], cancelled: () => boolean): Promise<string[]> {
  group.start("control-plane", WEFT_BIN, [
    "control-plane",
    "--config-dir", configDir,
    "--xds-port", String(flags.xdsPort),
    "--monitoring-port", String(flags.monitoringPort),
  ]);
  if (!(await waitForPort("127.0.0.1", flags.xdsPort, STARTUP_TIMEOUT_MS, cancelled))) return ["control plane (xDS port)"];
  for (const w of workloads) {
    group.start(w.name, APP_MAIN, ["--service", w.service, "--version", w.version, "--port", String(w.appPort), "--sidecar", `${w.ip}:15001`]);
    group.start(`${w.name}-sidecar`, WEFT_BIN, [
      "proxy",
      "--xds", `127.0.0.1:${flags.xdsPort}`,
      "--ip", w.ip,
      "--workload", w.name,
      "--namespace", NAMESPACE,
      "--labels", `app=${w.service},version=${w.version}`,
      "--app-port", String(w.appPort),
      "--admin-port", String(w.adminPort),
    ]);
  }
  const checks = workloads.flatMap((w) => [
    { what: `${w.name} app`, ok: waitForHttp200(`http://127.0.0.1:${w.appPort}/health`, STARTUP_TIMEOUT_MS, cancelled) },
    { what: `${w.name} sidecar`, ok: waitForHttp200(`http://${w.ip}:${w.adminPort}/ready`, STARTUP_TIMEOUT_MS, cancelled) },
  ]);
  const results = await Promise.all(checks.map((c) => c.ok));
  return checks.filter((_, i) => !results[i]).map((c) => c.what);
}

function report(load: LoadGenerator, say: (line: string) => void): void {
  const interval = load.takeInterval();
  say(interval.anonymous.format("reviews", 15));
  say(interval.jason.format("reviews (jason)", 15));
  const lastError = interval.anonymous.lastError ?? interval.jason.lastError;
  if (lastError) say(`  last error: ${lastError}`);
  if (interval.skipped > 0) say(`  ${interval.skipped} requests not sent: too many still waiting for an answer`);
}

function parseFlags(argv: string[]): DemoFlags | string {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        "config-dir": { type: "string", default: "./weft-demo-config" },
        "xds-port": { type: "string", default: "15010" },
        "monitoring-port": { type: "string", default: "15014" },
        rate: { type: "string", default: "100" },
        duration: { type: "string" },
        quiet: { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return (err as Error).message;
  }
  const xdsPort = Number(values["xds-port"]);
  const monitoringPort = Number(values["monitoring-port"]);
  const rate = Number(values.rate);
  const durationS = values.duration === undefined ? undefined : Number(values.duration);
  if (!isPort(xdsPort)) return `--xds-port: not a port: ${values["xds-port"]}`;
  if (!isPort(monitoringPort)) return `--monitoring-port: not a port: ${values["monitoring-port"]}`;
  if (!(rate > 0 && rate <= 10_000)) return `--rate: expected 1..10000 requests per second, got ${values.rate}`;
  if (durationS !== undefined && !(durationS > 0)) return `--duration: expected seconds > 0, got ${values.duration}`;
  return { configDir: values["config-dir"]!, xdsPort, monitoringPort, rate, durationS, quiet: values.quiet! };
}

function isPort(n: number): boolean {
  return Number.isInteger(n) && n > 0 && n < 65536;
}
