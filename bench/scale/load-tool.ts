// LoadTool: P simulated proxies as real ADS streams, spread over worker child processes, driven over IPC.

import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { WeftError } from "../../src/shared/weft-error.js";
import type { Marker } from "./change-watch.js";
import type { ProxySpec, WorkerCollected, WorkerCommand, WorkerReply, WorkerStatus } from "./load-worker.js";
import type { XdsMode } from "./scale-proxy.js";

const WORKER = fileURLToPath(new URL("./load-worker.js", import.meta.url));

export interface LoadToolOptions {
  address: string;
  mode: XdsMode;
  proxies: readonly ProxySpec[];
  /** Worker processes (default 2). */
  workers?: number;
  /** ADS streams multiplexed on one HTTP/2 connection (default 1: a connection per proxy, like real sidecars). */
  streamsPerConnection?: number;
}

/** The workers' statuses summed (lastSyncedAt and lastResponseAt: the latest). */
export type LoadStatus = Omit<WorkerStatus, "kind">;

/** One worker: a forked process answering each command with exactly one reply, in order. */
class WorkerHandle {
  private readonly replies: Array<(r: WorkerReply) => void> = [];
  exited: string | undefined;

  constructor(readonly child: ChildProcess) {
    child.on("message", (r: WorkerReply) => this.replies.shift()?.(r));
    child.on("exit", (code, signal) => {
      this.exited = `load worker exited (code ${code}, signal ${signal})`;
      for (const waiter of this.replies.splice(0)) waiter({ kind: "started" });
    });
  }

  send<R extends WorkerReply>(cmd: WorkerCommand): Promise<R> {
    if (this.exited) return Promise.reject(new WeftError("BENCH_FAILED", this.exited));
    return new Promise<R>((resolve, reject) => {
      this.replies.push((r) => (this.exited ? reject(new WeftError("BENCH_FAILED", this.exited)) : resolve(r as R)));
      this.child.send(cmd);
    });
  }
}

/**
 * Lifecycle: `start()` forks the workers and opens every stream; then any number of `status()`, `arm()` and
 * `collect()`; `stop()` ends the streams and the workers (also when the parent dies: a worker exits when its
 * IPC channel closes). Proxies are dealt to the workers round robin.
 */
export class LoadTool {
  private readonly workers: WorkerHandle[] = [];
  private startedAt = 0;

  constructor(private readonly opts: LoadToolOptions) {}

  /** Epoch ms at which the first stream was opened. */
  get started(): number {
    return this.startedAt;
  }

  async start(): Promise<void> {
    const n = Math.max(1, Math.min(this.opts.workers ?? 2, this.opts.proxies.length));
    for (let w = 0; w < n; w++) this.workers.push(new WorkerHandle(fork(WORKER, [], { stdio: ["ignore", "inherit", "inherit", "ipc"], serialization: "advanced" })));
    this.startedAt = performance.timeOrigin + performance.now();
    await Promise.all(
      this.workers.map((w, i) =>
        w.send({
          kind: "start",
          address: this.opts.address,
          mode: this.opts.mode,
          streamsPerConnection: this.opts.streamsPerConnection ?? 1,
          proxies: this.opts.proxies.filter((_, j) => j % n === i),
        }),
      ),
    );
  }

  async status(): Promise<LoadStatus> {
    const all = await Promise.all(this.workers.map((w) => w.send<WorkerStatus>({ kind: "status" })));
    return {
      synced: sum(all.map((s) => s.synced)),
      lastSyncedAt: Math.max(...all.map((s) => s.lastSyncedAt)),
      converged: sum(all.map((s) => s.converged)),
      waiting: sum(all.map((s) => s.waiting)),
      lastResponseAt: Math.max(...all.map((s) => s.lastResponseAt)),
      reconnects: sum(all.map((s) => s.reconnects)),
      firstError: all.find((s) => s.firstError)?.firstError,
      cpuSeconds: sum(all.map((s) => s.cpuSeconds)),
    };
  }

  /** Resets byte counters and watches for `markers` (all starting with `prefix`) on every proxy. */
  async arm(prefix: string, markers: Marker[]): Promise<void> {
    await Promise.all(this.workers.map((w) => w.send({ kind: "arm", prefix, markers })));
  }

  async collect(): Promise<Omit<WorkerCollected, "kind">> {
    const all = await Promise.all(this.workers.map((w) => w.send<WorkerCollected>({ kind: "collect" })));
    return {
      convergedAt: all.flatMap((c) => c.convergedAt),
      notConverged: sum(all.map((c) => c.notConverged)),
      bytes: all.flatMap((c) => c.bytes),
      concernedBytes: all.flatMap((c) => c.concernedBytes),
    };
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.exited) return resolve();
            const timer = setTimeout(() => w.child.kill("SIGKILL"), 5000);
            w.child.once("exit", () => {
              clearTimeout(timer);
              resolve();
            });
            w.child.send({ kind: "stop" } satisfies WorkerCommand);
          }),
      ),
    );
  }
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
