// The weft row's system under test: a real `weft control-plane` and `weft proxy` as child processes, routing one service to the bench upstream.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const WEFT_BIN = fileURLToPath(new URL("../../bin/weft.js", import.meta.url));
const NAMESPACE = "bench";
const SERVICE_PORT = 8080;

export interface SidecarProcessOptions {
  /** The sidecar's own loopback IP: its virtualOutbound listener is `<ip>:15001`, its admin `<ip>:15000`. */
  ip: string;
  upstreamAddress: string;
  upstreamPort: number;
  /** Prepended to each command line, e.g. ["taskset", "-c", "1"]; the proxy and the control plane get their own. */
  proxyPrefix?: readonly string[];
  controlPlanePrefix?: readonly string[];
  /** Extra node flags for the proxy process (e.g. "--max-semi-space-size=16"). */
  proxyNodeFlags?: readonly string[];
  /** Give up when the route does not answer 200 within this long (default 15 s). */
  readyTimeoutMs?: number;
}

/**
 * Service `upstream.bench.svc.cluster.local:8080` (ServiceEntry selecting a WorkloadEntry at the upstream's
 * address and port) with a VirtualService routing it; the sidecar is workload `bench-client` in namespace
 * `bench`, so the short name works: requests go to `<ip>:15001` with `Host: upstream:8080` (`authority`).
 */
export class SidecarProcess {
  readonly authority = `upstream:${SERVICE_PORT}`;

  private constructor(
    private readonly controlPlane: ChildProcess,
    private readonly proxy: ChildProcess,
    private readonly configDir: string,
  ) {}

  /** The proxy's pid (for RSS). */
  get pid(): number { return this.proxy.pid!; }

  /** Starts both processes and resolves once a request through the sidecar is answered 200 by the upstream. */
  static async start(opts: SidecarProcessOptions): Promise<SidecarProcess> {
    const configDir = mkdtempSync(join(tmpdir(), "weft-bench-mesh-"));
    writeFileSync(join(configDir, "upstream.yaml"), meshConfig(opts.upstreamAddress, opts.upstreamPort));
    const env = { ...process.env, WEFT_LOG_LEVEL: "warn" };
    const cpArgs = ["control-plane", "--config-dir", configDir, "--xds-port", "0", "--monitoring-port", "0"];
    const cp = spawnWith(opts.controlPlanePrefix ?? [], [process.execPath, WEFT_BIN, ...cpArgs], env);
    let proxy: ChildProcess | undefined;
    try {
      const ready = await waitForStderr(cp, /control plane ready xds=([\d.]+:\d+)/, opts.readyTimeoutMs ?? 15_000);
      const proxyArgs = ["proxy", "--xds", ready[1], "--ip", opts.ip, "--workload", "bench-client", "--namespace", NAMESPACE,
        "--labels", "app=bench-client", "--admin-port", "15000"];
      proxy = spawnWith(opts.proxyPrefix ?? [], [process.execPath, ...(opts.proxyNodeFlags ?? proxyNodeFlagsFromEnv()), WEFT_BIN, ...proxyArgs], env);
      proxy.stderr!.pipe(process.stderr);
      const sidecar = new SidecarProcess(cp, proxy, configDir);
      await sidecar.waitForRoute(opts.ip, opts.readyTimeoutMs ?? 15_000);
      return sidecar;
    } catch (err) {
      proxy?.kill("SIGKILL");
      cp.kill("SIGKILL");
      rmSync(configDir, { recursive: true, force: true });
      throw err;
    }
  }

  /** SIGTERM to both; SIGKILL after 3 s. */
  async stop(): Promise<void> {
    await Promise.all([stopChild(this.proxy), stopChild(this.controlPlane)]);
    rmSync(this.configDir, { recursive: true, force: true });
  }

  private async waitForRoute(ip: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = "no answer";
    while (Date.now() < deadline) {
      if (this.proxy.exitCode !== null) throw new Error(`weft proxy exited with ${this.proxy.exitCode}`);
      const status = await getStatus(ip, 15001, this.authority).catch((err: Error) => err.message);
      if (status === 200) return;
      last = String(status);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`weft proxy did not route ${this.authority} within ${timeoutMs} ms (last: ${last})`);
  }
}

function meshConfig(address: string, port: number): string {
  return `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: upstream, namespace: ${NAMESPACE}}
spec:
  hosts: [upstream.${NAMESPACE}.svc.cluster.local]
  ports: [{number: ${SERVICE_PORT}, name: http, protocol: HTTP}]
  resolution: STATIC
  workloadSelector: {labels: {app: upstream}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: upstream, namespace: ${NAMESPACE}}
spec:
  address: ${address}
  ports: {http: ${port}}
  labels: {app: upstream}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: upstream, namespace: ${NAMESPACE}}
spec:
  hosts: [upstream]
  http:
  - route:
    - destination: {host: upstream, port: {number: ${SERVICE_PORT}}}
`;
}

/** WEFT_PROXY_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", to profile the proxy under a benchmark. */
function proxyNodeFlagsFromEnv(): string[] {
  return (process.env.WEFT_PROXY_NODE_ARGS ?? "").split(" ").filter((a) => a !== "");
}

function spawnWith(prefix: readonly string[], command: readonly string[], env: NodeJS.ProcessEnv): ChildProcess {
  const [file, ...args] = [...prefix, ...command];
  return spawn(file, args, { stdio: ["ignore", "ignore", "pipe"], env });
}

function waitForStderr(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let text = "";
    const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${text}`)), timeoutMs);
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      text += chunk;
      const m = pattern.exec(text);
      if (m) {
        clearTimeout(timer);
        child.stderr!.removeAllListeners("data");
        child.stderr!.pipe(process.stderr);
        resolve(m);
      }
    });
    child.once("exit", (code) => { clearTimeout(timer); reject(new Error(`exited with ${code}:\n${text}`)); });
  });
}

function getStatus(host: string, port: number, authority: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: "/", headers: { host: authority }, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.setTimeout(2000, () => req.destroy(new Error("timeout")));
    req.end();
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
  await exited;
  clearTimeout(timer);
}
