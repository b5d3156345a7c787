// `weft control-plane`: runs the control plane (istiod role) on a directory of Istio YAML until SIGINT/SIGTERM.

import { parseArgs } from "node:util";
import { ControlPlane } from "../control-plane/control-plane.js";
import { DirectorySource } from "../control-plane/config/directory-source.js";
import { formatDiagnostic, type ConfigSnapshot } from "../control-plane/config/config-resource.js";
import { parseDuration } from "../control-plane/config/value-rules.js";
import { Logger } from "../shared/logger.js";
import { WeftError } from "../shared/weft-error.js";

const USAGE = `usage: weft control-plane --config-dir DIR [--xds-port 15010] [--xds-address 127.0.0.1]
                          [--monitoring-port 15014] [--monitoring-address 127.0.0.1] [--domain cluster.local]
                          [--max-stream-age 30m] [--push-throttle N] [--max-requests-per-second 100]`;

const log = new Logger("config");

function parsePort(name: string, text: string): number {
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || n > 65535) throw new WeftError("CLI_FLAG", `--${name}: "${text}" is not a port`);
  return n;
}

function parseCount(name: string, text: string): number {
  if (!/^[0-9]+$/.test(text)) throw new WeftError("CLI_FLAG", `--${name}: "${text}" is not a whole number`);
  return Number(text);
}

/** A Go-syntax duration ("30m", "90s", "0") in milliseconds. */
function parseMs(name: string, text: string): number {
  const ns = parseDuration(text);
  if (ns === undefined || ns < 0) throw new WeftError("CLI_FLAG", `--${name}: "${text}" is not a duration such as 30m or 90s`);
  return Math.round(ns / 1e6);
}

/** Resolves with the exit code once the control plane has stopped (after SIGINT/SIGTERM), 2 for bad flags. */
export async function runControlPlane(argv: string[]): Promise<number> {
  let opts;
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        "config-dir": { type: "string" },
        "xds-port": { type: "string", default: "15010" },
        "xds-address": { type: "string", default: "127.0.0.1" },
        "monitoring-port": { type: "string", default: "15014" },
        "monitoring-address": { type: "string", default: "127.0.0.1" },
        domain: { type: "string", default: "cluster.local" },
        "max-stream-age": { type: "string", default: "30m" },
        "push-throttle": { type: "string" },
        "max-requests-per-second": { type: "string", default: "100" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      process.stdout.write(USAGE + "\n");
      return 0;
    }
    if (!values["config-dir"]) throw new WeftError("CLI_FLAG", "--config-dir is required");
    opts = {
      configDir: values["config-dir"],
      xdsPort: parsePort("xds-port", values["xds-port"]),
      xdsAddress: values["xds-address"],
      monitoringPort: parsePort("monitoring-port", values["monitoring-port"]),
      monitoringAddress: values["monitoring-address"],
      domain: values.domain,
      xds: {
        maxStreamAgeMs: parseMs("max-stream-age", values["max-stream-age"]),
        ...(values["push-throttle"] !== undefined && { pushThrottle: parseCount("push-throttle", values["push-throttle"]) }),
        maxRequestsPerSecond: parseCount("max-requests-per-second", values["max-requests-per-second"]),
      },
    };
  } catch (err) {
    process.stderr.write(`weft control-plane: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }

  const config = new DirectorySource(opts.configDir, { domain: opts.domain });
  const cp = new ControlPlane({ config, ...opts });
  const stopped = new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  try {
    await cp.start();
  } catch (err) {
    const code = err instanceof WeftError ? ` [${err.code}]` : "";
    process.stderr.write(`weft control-plane: ${(err as Error).message}${code}\n`);
    await cp.stop().catch(() => undefined);
    return 1;
  }
  const logged = new Set<string>();
  logNewDiagnostics(config.current(), logged);
  config.onChange((snapshot) => logNewDiagnostics(snapshot, logged));
  process.stderr.write(`control plane ready xds=${opts.xdsAddress}:${cp.xdsPort} monitoring=${opts.monitoringAddress}:${cp.monitoringPort}\n`);

  await stopped;
  log.info("stopping");
  await cp.stop();
  return 0;
}

/** Logs each diagnostic not already logged for the previous snapshot; `logged` becomes the current set. */
function logNewDiagnostics(snapshot: ConfigSnapshot, logged: Set<string>): void {
  const current = new Set<string>();
  for (const d of snapshot.diagnostics) {
    const text = `${d.severity === "error" ? "rejected" : "warning"} ${formatDiagnostic(d)}`;
    current.add(text);
    if (!logged.has(text)) (d.severity === "error" ? log.error : log.warn).call(log, text);
  }
  logged.clear();
  for (const t of current) logged.add(t);
}
