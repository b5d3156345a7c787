// `weft control-plane`: runs the control plane (istiod role) on a directory of Istio YAML until SIGINT/SIGTERM.

import { parseArgs } from "node:util";
import { ControlPlane } from "../control-plane/control-plane.js";
import { DirectorySource } from "../control-plane/config/directory-source.js";
import { formatDiagnostic, type ConfigSnapshot } from "../control-plane/config/config-resource.js";
import { parseDuration } from "../control-plane/config/value-rules.js";
import { Logger } from "../shared/logger.js";
import { WeftError } from "../shared/weft-error.js";
import { CertificateAuthority } from "../control-plane/ca/certificate-authority.js";
import { CaServer } from "../control-plane/ca/ca-server.js";
import { createCaMetrics } from "../control-plane/ca/ca-metrics.js";
import { TokenAuthenticator } from "../control-plane/ca/token-authenticator.js";
import type { MetricsRegistry } from "../control-plane/debug/metrics-registry.js";

const USAGE = `usage: weft control-plane --config-dir DIR [--xds-port 15010] [--xds-address 127.0.0.1]
                          [--monitoring-port 15014] [--monitoring-address 127.0.0.1] [--domain cluster.local]
                          [--max-stream-age 30m] [--push-throttle N] [--max-requests-per-second 100]
                          [--state-dir DIR | --ca-dir DIR] [--trust-domain cluster.local]
                          [--secure-xds-port 15012] [--secure-xds-address 127.0.0.1]
                          [--workload-cert-ttl 24h] [--max-workload-cert-ttl 2160h]
  The certificate authority runs when --state-dir (self-signed root kept there, bootstrap tokens under DIR/tokens)
  or --ca-dir (plug-in CA: ca-cert.pem, ca-key.pem, cert-chain.pem, root-cert.pem) is given.`;

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
        "state-dir": { type: "string" },
        "ca-dir": { type: "string" },
        "trust-domain": { type: "string", default: "cluster.local" },
        "secure-xds-port": { type: "string", default: "15012" },
        "secure-xds-address": { type: "string" },
        "workload-cert-ttl": { type: "string", default: "24h" },
        "max-workload-cert-ttl": { type: "string", default: "2160h" },
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
      ca: values["state-dir"] === undefined && values["ca-dir"] === undefined ? undefined : {
        stateDir: values["state-dir"],
        caDir: values["ca-dir"],
        trustDomain: values["trust-domain"],
        address: values["secure-xds-address"] ?? values["xds-address"],
        port: parsePort("secure-xds-port", values["secure-xds-port"]),
        defaultTtlMs: parseMs("workload-cert-ttl", values["workload-cert-ttl"]),
        maxTtlMs: parseMs("max-workload-cert-ttl", values["max-workload-cert-ttl"]),
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
  const ca = opts.ca && (await startCertificateAuthority(opts.ca, cp.metrics.registry));
  const logged = new Set<string>();
  logNewDiagnostics(config.current(), logged);
  config.onChange((snapshot) => logNewDiagnostics(snapshot, logged));
  process.stderr.write(`control plane ready xds=${opts.xdsAddress}:${cp.xdsPort} monitoring=${opts.monitoringAddress}:${cp.monitoringPort}\n`);

  await stopped;
  log.info("stopping");
  await Promise.all([cp.stop(), ca?.close()]);
  return 0;
}

interface CaFlags {
  stateDir: string | undefined;
  caDir: string | undefined;
  trustDomain: string;
  address: string;
  port: number;
  defaultTtlMs: number;
  maxTtlMs: number;
}

/**
 * Starts the CA and its secure port; a CA that cannot start (bad plug-in files, port taken) is logged with its code
 * and left off, while xDS keeps serving.
 */
async function startCertificateAuthority(flags: CaFlags, registry: MetricsRegistry): Promise<CaServer | undefined> {
  const caLog = new Logger("ca");
  const caOpts = { trustDomain: flags.trustDomain, defaultTtlMs: flags.defaultTtlMs, maxTtlMs: flags.maxTtlMs };
  let server: CaServer | undefined;
  try {
    const ca = flags.caDir ? await CertificateAuthority.fromPluginDir(flags.caDir, caOpts) : await CertificateAuthority.fromStateDir(flags.stateDir!, caOpts);
    const tokens = flags.stateDir ? new TokenAuthenticator(flags.stateDir, flags.trustDomain) : undefined;
    server = new CaServer({ ca, tokens, metrics: createCaMetrics(registry) });
    const port = await server.listen(flags.address, flags.port);
    process.stderr.write(`certificate authority ready secure-xds=${flags.address}:${port} root=${ca.rootCert.fingerprint256}\n`);
    return server;
  } catch (err) {
    const code = err instanceof WeftError ? ` [${err.code}]` : "";
    caLog.error(`certificate authority not started: ${(err as Error).message}${code}`);
    await server?.close();
    return undefined;
  }
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
