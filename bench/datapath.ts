// Data-path benchmark: direct keep-alive HTTP/1.1 vs through a real weft sidecar vs through nginx, same upstream and load.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { fixedRate, saturate, type LoadTarget } from "./load-generator.js";
import { SidecarProcess } from "./sidecar-process.js";
import type { Row } from "./row.js";

export interface DataPathOptions {
  /** Saturation run length (default 5000 ms) and connections (default 50). */
  durationMs?: number;
  connections?: number;
  /** Open-loop rate for the latency percentiles (default 1000 req/s) and run length (default 5000 ms). */
  fixedRate?: number;
  fixedDurationMs?: number;
  /** Pin the process under test and the load generator to separate CPUs when possible (default true). */
  pin?: boolean;
}

const HERE = dirname(fileURLToPath(import.meta.url));
const UPSTREAM_IP = "127.0.0.41";
const SIDECAR_IP = "127.0.0.42";
const NGINX_IP = "127.0.0.43";
const NGINX_PORT = 18080;

/**
 * Runs the three configurations one after another; rows: "direct", "weft sidecar", "nginx" (when installed).
 * The weft row is a real `weft proxy` configured over ADS by a real `weft control-plane` (see sidecar-process.ts).
 */
export async function benchDataPath(opts: DataPathOptions): Promise<Row[]> {
  const durationMs = opts.durationMs ?? 5000;
  const connections = opts.connections ?? 50;
  const rate = opts.fixedRate ?? 1000;
  const fixedDurationMs = opts.fixedDurationMs ?? 5000;
  const pinning = opts.pin === false ? CpuPinning.none("not pinned") : CpuPinning.setUp();
  const note = `${connections} conns × ${durationMs / 1000}s; latency open-loop ${rate} req/s × ${fixedDurationMs / 1000}s, 10 conns; ${pinning.note}`;
  const children: ChildProcess[] = [];
  const rows: Row[] = [];
  let sidecar: SidecarProcess | undefined;
  try {
    const upstream = spawnNode(join(HERE, "upstream-process.js"), [UPSTREAM_IP, "0"], children);
    const upstreamPort = Number((await readyLine(upstream)).split(" ")[1]);

    const measure = async (name: string, target: LoadTarget, pid?: number): Promise<Row> => {
      const idleRssMiB = pid === undefined ? undefined : rssMiB(pid, "VmRSS");
      await saturate(target, { connections, durationMs: 1000 }); // warm-up (JIT, pools)
      const sat = await saturate(target, { connections, durationMs });
      const lat = await fixedRate(target, { rate, durationMs: fixedDurationMs, connections: 10 });
      const errors = sat.errors + lat.errors;
      return {
        name, reqPerSec: sat.reqPerSec, p50Ms: lat.p50, p90Ms: lat.p90, p99Ms: lat.p99, fixedRate: rate,
        idleRssMiB, peakRssMiB: pid === undefined ? undefined : rssMiB(pid, "VmHWM"),
        note: errors > 0 ? `${note}; ${errors} connection errors` : note,
      };
    };

    // The upstream is the process under test of the direct row: it gets the second CPU for that row only.
    pinning.moveToTestCpu(upstream.pid!);
    rows.push(await measure("direct", { host: UPSTREAM_IP, port: upstreamPort, authority: "upstream:8080", path: "/" }));
    pinning.moveToDriverCpu(upstream.pid!);

    sidecar = await SidecarProcess.start({ ip: SIDECAR_IP, upstreamAddress: UPSTREAM_IP, upstreamPort, proxyPrefix: pinning.underTest });
    await new Promise((r) => setTimeout(r, 500));
    rows.push(await measure("weft sidecar", { host: SIDECAR_IP, port: 15001, authority: sidecar.authority, path: "/" }, sidecar.pid));
    await sidecar.stop();
    sidecar = undefined;

    if (spawnSync("nginx", ["-v"]).error === undefined) {
      const dir = mkdtempSync(join(tmpdir(), "weft-bench-nginx-"));
      try {
        writeFileSync(join(dir, "nginx.conf"), nginxConf(dir, upstreamPort));
        const [file, ...args] = [...pinning.underTest, "nginx", "-p", dir, "-c", join(dir, "nginx.conf"), "-g", "daemon off;"];
        const nginx = spawn(file, args, { stdio: ["ignore", "ignore", "inherit"] });
        children.push(nginx);
        await waitForPort(NGINX_IP, NGINX_PORT);
        const worker = nginxWorkerPid(nginx.pid!);
        rows.push(await measure("nginx", { host: NGINX_IP, port: NGINX_PORT, authority: "upstream:8080", path: "/" }, worker));
        nginx.kill("SIGQUIT");
        await new Promise((r) => nginx.once("exit", r));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    } else {
      rows.push({ name: "nginx", note: "nginx not installed" });
    }
  } finally {
    await sidecar?.stop();
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
    pinning.restore();
  }
  return rows;
}

/**
 * With `taskset` and at least two allowed CPUs, every row runs its process under test (the upstream for
 * "direct", weft proxy, nginx) alone on the second CPU, and the rest (this process, the load generator; the
 * upstream when it is not under test; the control plane) on the first, so the proxy never waits for the load
 * generator's CPU. Children inherit this process's affinity. Otherwise nothing is pinned (the note says so).
 * restore() gives this process its original CPUs back.
 */
class CpuPinning {
  private constructor(
    /** Command prefix that starts a process on the test CPU ([] when not pinning). */
    readonly underTest: readonly string[],
    readonly note: string,
    private readonly cpus: { driver: number; test: number; original: string } | undefined,
  ) {}

  static none(note: string): CpuPinning {
    return new CpuPinning([], note, undefined);
  }

  static setUp(): CpuPinning {
    const probe = spawnSync("taskset", ["-cp", String(process.pid)], { encoding: "utf8" });
    const list = probe.error === undefined && probe.status === 0 ? /list:\s*(\S+)/.exec(probe.stdout)?.[1] : undefined;
    const cpus = list === undefined ? [] : expandCpuList(list);
    if (list === undefined || cpus.length < 2) return CpuPinning.none("not pinned (needs taskset and 2 CPUs)");
    const [driver, test] = cpus;
    if (!setAffinity(process.pid, String(driver))) return CpuPinning.none("not pinned (taskset failed)");
    return new CpuPinning(["taskset", "-c", String(test)], `process under test alone on cpu ${test}, load generator on cpu ${driver}`, { driver, test, original: list });
  }

  moveToTestCpu(pid: number): void {
    if (this.cpus) setAffinity(pid, String(this.cpus.test));
  }

  moveToDriverCpu(pid: number): void {
    if (this.cpus) setAffinity(pid, String(this.cpus.driver));
  }

  restore(): void {
    if (this.cpus) setAffinity(process.pid, this.cpus.original);
  }
}

/** Sets the CPU list of every thread of `pid`; false when taskset failed. */
function setAffinity(pid: number, cpuList: string): boolean {
  return spawnSync("taskset", ["-a", "-cp", cpuList, String(pid)], { stdio: "ignore" }).status === 0;
}

/** "0-2,5" → [0, 1, 2, 5]. */
function expandCpuList(list: string): number[] {
  const out: number[] = [];
  for (const part of list.split(",")) {
    const [a, b] = part.split("-").map(Number);
    for (let c = a; c <= (b ?? a); c++) out.push(c);
  }
  return out;
}

function spawnNode(script: string, args: string[], children: ChildProcess[]): ChildProcess {
  const child = spawn(process.execPath, [script, ...args], { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, WEFT_LOG_LEVEL: "warn" } });
  children.push(child);
  return child;
}

function readyLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      const line = out.split("\n").find((l) => l.startsWith("ready"));
      if (line) resolve(line);
    });
    child.once("exit", (code) => reject(new Error(`child exited with ${code} before ready`)));
  });
}

/** VmRSS (current) or VmHWM (peak) of a process, in MiB. */
function rssMiB(pid: number, field: "VmRSS" | "VmHWM"): number | undefined {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

function nginxWorkerPid(masterPid: number): number | undefined {
  try {
    const children = readFileSync(`/proc/${masterPid}/task/${masterPid}/children`, "utf8").trim().split(/\s+/);
    return children[0] ? Number(children[0]) : undefined;
  } catch {
    return undefined;
  }
}

async function waitForPort(host: string, port: number): Promise<void> {
  const { connect } = await import("node:net");
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host, port }, () => { s.destroy(); resolve(true); });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nginx did not listen on ${host}:${port}`);
}

/** One worker, upstream keep-alive, HTTP/1.1 to the upstream: the fair reverse-proxy baseline. */
function nginxConf(dir: string, upstreamPort: number): string {
  return `worker_processes 1;
pid ${join(dir, "nginx.pid")};
error_log ${join(dir, "error.log")} warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${join(dir, "body")};
  proxy_temp_path ${join(dir, "proxy")};
  fastcgi_temp_path ${join(dir, "fastcgi")};
  uwsgi_temp_path ${join(dir, "uwsgi")};
  scgi_temp_path ${join(dir, "scgi")};
  keepalive_requests 1000000;
  upstream backend { server ${UPSTREAM_IP}:${upstreamPort}; keepalive 64; keepalive_requests 1000000; }
  server {
    listen ${NGINX_IP}:${NGINX_PORT};
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
`;
}
