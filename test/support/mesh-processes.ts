// Test helpers that run real `weft` processes (control plane, sidecars) and tiny apps on loopback.

import { spawn, type ChildProcess } from "node:child_process";
import { createServer, request, type Server, type IncomingHttpHeaders } from "node:http";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { mkdtemp, writeFile, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import type { AddressInfo } from "node:net";

const WEFT_BIN = join(dirname(fileURLToPath(import.meta.url)), "../../../bin/weft.js");

/** A running `weft` child process with its captured stderr. */
export class WeftProcess {
  stderr = "";
  private exited: Promise<number | null>;

  constructor(readonly child: ChildProcess, readonly name: string) {
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      this.stderr += chunk;
      if (process.env.WEFT_TEST_VERBOSE) process.stderr.write(`[${name}] ${chunk}`);
    });
    child.stdout!.setEncoding("utf8").on("data", () => {});
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  }

  /** Resolves with the first regex match in stderr, or rejects after `ms` (with the log so far). */
  async waitForLog(pattern: RegExp, ms = 10_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = this.stderr.match(pattern);
      if (m) return m;
      if (this.child.exitCode !== null) throw new Error(`${this.name} exited (${this.child.exitCode}):\n${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`${this.name}: no ${pattern} within ${ms} ms:\n${this.stderr}`);
      await sleep(20);
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill("SIGTERM");
      const timer = setTimeout(() => this.child.kill("SIGKILL"), 3000);
      await this.exited;
      clearTimeout(timer);
    }
  }
}

export function runWeft(name: string, args: string[]): WeftProcess {
  const child = spawn(process.execPath, [WEFT_BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  return new WeftProcess(child, name);
}

export interface ControlPlaneHandle {
  proc: WeftProcess;
  xdsPort: number;
  monitoringPort: number;
}

/** Where a control plane listens; by default free ports on 127.0.0.1. */
export interface ControlPlaneListen {
  address?: string;
  xdsPort?: number;
  monitoringPort?: number;
}

/** Starts `weft control-plane` (on free ports unless `listen` says otherwise) and waits for its ready line. */
export async function startControlPlane(configDir: string, listen: ControlPlaneListen = {}): Promise<ControlPlaneHandle> {
  const args = ["control-plane", "--config-dir", configDir,
    "--xds-port", String(listen.xdsPort ?? 0), "--monitoring-port", String(listen.monitoringPort ?? 0)];
  if (listen.address) args.push("--xds-address", listen.address, "--monitoring-address", listen.address);
  const proc = runWeft("control-plane", args);
  const m = await proc.waitForLog(/control plane ready xds=[\d.]+:(\d+) monitoring=[\d.]+:(\d+)/);
  return { proc, xdsPort: Number(m[1]), monitoringPort: Number(m[2]) };
}

export interface SidecarSpec {
  ip: string;
  workload: string;
  namespace?: string;
  labels: Record<string, string>;
  appPort?: number;
  /** `--locality region[/zone[/subzone]]` (node.locality). */
  locality?: string;
}

/** Starts `weft proxy` and waits until its admin /ready answers 200. */
export async function startSidecar(xdsPort: number, spec: SidecarSpec): Promise<WeftProcess> {
  return startSidecarWith([`127.0.0.1:${xdsPort}`], spec);
}

/** Starts `weft proxy` with a list of control planes (`--xds a,b`) and waits until its admin /ready answers 200. */
export async function startSidecarWith(
  xds: readonly string[],
  spec: SidecarSpec & { xdsProtocol?: "delta" | "sotw"; outboundIps?: readonly string[] },
): Promise<WeftProcess> {
  const labels = Object.entries(spec.labels).map(([k, v]) => `${k}=${v}`).join(",");
  const args = ["proxy", "--xds", xds.join(","), "--ip", spec.ip, "--workload", spec.workload,
    "--namespace", spec.namespace ?? "default", "--labels", labels, "--admin-port", "15000"];
  if (spec.appPort !== undefined) args.push("--app-port", String(spec.appPort));
  if (spec.locality) args.push("--locality", spec.locality);
  if (spec.xdsProtocol) args.push("--xds-protocol", spec.xdsProtocol);
  if (spec.outboundIps?.length) args.push("--outbound-ip", spec.outboundIps.join(","));
  const proc = runWeft(`proxy ${spec.workload}`, args);
  await waitFor(async () => (await httpGet(`http://${spec.ip}:15000/ready`)).status === 200, 10_000, () => proc.stderr);
  return proc;
}

/** A tiny app: answers every request with `{"version": …}` and echoes selected request headers. */
export async function startVersionApp(host: string, port: number, version: string): Promise<Server> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const body = JSON.stringify({ version, path: req.url, host: req.headers.host, requestId: req.headers["x-request-id"] ?? null });
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, host, () => resolve()));
  return server;
}

export function serverPort(server: Server): number {
  return (server.address() as AddressInfo).port;
}

export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One HTTP/1.1 request; `via` sends it to a proxy address (origin-form with the URL's Host). Never rejects on HTTP status. */
export function httpGet(url: string, opts: { via?: string; headers?: Record<string, string>; agent?: import("node:http").Agent } = {}): Promise<HttpResult> {
  const u = new URL(url);
  const [host, port] = opts.via ? opts.via.split(":") : [u.hostname, u.port || "80"];
  return new Promise((resolve, reject) => {
    const req = request(
      { host, port: Number(port), path: u.pathname + u.search, method: "GET", headers: { host: u.host, ...opts.headers }, agent: opts.agent },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout ${url}`)));
    req.end();
  });
}

export async function waitFor(check: () => Promise<boolean> | boolean, ms: number, context?: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms${context ? `\n${context()}` : ""}`);
    await sleep(25);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A temp directory with the given files; `write` replaces a file atomically (write + rename), as editors do. */
export async function configDir(files: Record<string, string>): Promise<{ dir: string; write(name: string, text: string): Promise<void>; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "weft-test-"));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return {
    dir,
    write: async (name, text) => {
      const tmp = join(dir, `.${name}.tmp`);
      await writeFile(tmp, text);
      await rename(tmp, join(dir, name));
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
