// Load worker: a child process of the load tool that runs a share of the simulated proxies and answers its commands over IPC.

import * as grpc from "@grpc/grpc-js";
import { jsonToStruct, type XdsNode } from "../../src/xds/discovery.js";
import { ChangeWatch, type Marker } from "./change-watch.js";
import { DeltaScaleProxy, SotwScaleProxy, epochMs, type ScaleProxy, type XdsMode } from "./scale-proxy.js";

/** A simulated proxy's identity: it is a client workload (no LABELS, so it registers no endpoints). */
export interface ProxySpec {
  workload: string;
  namespace: string;
  ip: string;
}

export type WorkerCommand =
  | { kind: "start"; address: string; mode: XdsMode; streamsPerConnection: number; proxies: ProxySpec[] }
  | { kind: "arm"; prefix: string; markers: Marker[] }
  | { kind: "status" }
  | { kind: "collect" }
  | { kind: "stop" };

export interface WorkerStatus {
  kind: "status";
  synced: number;
  /** Latest syncedAt (epoch ms) among synced proxies. */
  lastSyncedAt: number;
  /** Proxies the armed step concerns that have converged, and that have not. */
  converged: number;
  waiting: number;
  lastResponseAt: number;
  /** Streams that ended and were reopened (all proxies), and the first ending's status. */
  reconnects: number;
  firstError: string | undefined;
  cpuSeconds: number;
}

export interface WorkerCollected {
  kind: "collected";
  /** Per proxy the step concerns and that converged: its ACK time (epoch ms). */
  convergedAt: number[];
  /** Proxies the step concerned that never converged. */
  notConverged: number;
  /** Bytes received since arm, per proxy (all proxies). */
  bytes: number[];
  /** Bytes received since arm by the proxies the step concerned. */
  concernedBytes: number[];
}

export type WorkerReply = WorkerStatus | WorkerCollected | { kind: "armed" } | { kind: "started" };

/** Streams are opened in batches with a yield between, so the first ones are served while the rest connect. */
const OPEN_BATCH = 50;

class LoadWorker {
  private proxies: ScaleProxy[] = [];
  private readonly clients: grpc.Client[] = [];
  private concerned = new Set<ScaleProxy>();
  private lastResponseAt = 0;

  async start(cmd: Extract<WorkerCommand, { kind: "start" }>): Promise<void> {
    const seen = (): void => void (this.lastResponseAt = epochMs());
    let client: grpc.Client | undefined;
    for (let i = 0; i < cmd.proxies.length; i++) {
      if (i % cmd.streamsPerConnection === 0) {
        // A local subchannel pool per client: one HTTP/2 connection per `streamsPerConnection` streams.
        client = new grpc.Client(cmd.address, grpc.credentials.createInsecure(), {
          "grpc.use_local_subchannel_pool": 1,
          "grpc.max_receive_message_length": -1,
        });
        this.clients.push(client);
      }
      const spec = cmd.proxies[i]!;
      const node = sidecarNode(spec);
      const proxy = cmd.mode === "sotw" ? new SotwScaleProxy(node, spec.namespace, seen) : new DeltaScaleProxy(node, spec.namespace, seen);
      this.proxies.push(proxy);
      proxy.start(client!);
      if ((i + 1) % OPEN_BATCH === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  arm(cmd: Extract<WorkerCommand, { kind: "arm" }>): void {
    const watch = new ChangeWatch(cmd.prefix, cmd.markers);
    this.concerned = new Set();
    for (const p of this.proxies) {
      p.arm(watch);
      if (p.waiting) this.concerned.add(p);
    }
  }

  status(): WorkerStatus {
    let synced = 0;
    let lastSyncedAt = 0;
    let converged = 0;
    let reconnects = 0;
    let firstError: string | undefined;
    for (const p of this.proxies) {
      if (p.syncedAt !== undefined) {
        synced++;
        lastSyncedAt = Math.max(lastSyncedAt, p.syncedAt);
      }
      reconnects += p.reconnects;
      firstError ??= p.firstError;
    }
    for (const p of this.concerned) if (p.convergedAt !== undefined) converged++;
    const cpu = process.cpuUsage();
    return {
      kind: "status",
      synced,
      lastSyncedAt,
      converged,
      waiting: this.concerned.size - converged,
      lastResponseAt: this.lastResponseAt,
      reconnects,
      firstError,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
    };
  }

  collect(): WorkerCollected {
    const convergedAt: number[] = [];
    const concernedBytes: number[] = [];
    for (const p of this.concerned) {
      if (p.convergedAt !== undefined) convergedAt.push(p.convergedAt);
      concernedBytes.push(p.bytes);
    }
    return {
      kind: "collected",
      convergedAt,
      notConverged: this.concerned.size - convergedAt.length,
      bytes: this.proxies.map((p) => p.bytes),
      concernedBytes,
    };
  }

  stop(): void {
    for (const p of this.proxies) p.close();
    for (const c of this.clients) c.close();
  }
}

/** A sidecar's node as `weft proxy` sends it (common brief), minus LABELS and APP_PORT: a client-only workload. */
function sidecarNode(p: ProxySpec): XdsNode {
  const workload = p.workload;
  return {
    id: `sidecar~${p.ip}~${workload}.${p.namespace}~${p.namespace}.svc.cluster.local`,
    cluster: `${workload}.${p.namespace}`,
    metadata: jsonToStruct({
      NAMESPACE: p.namespace,
      WORKLOAD_NAME: workload,
      SERVICE_ACCOUNT: "default",
      INSTANCE_IPS: p.ip,
      CLUSTER_ID: "Kubernetes",
    }),
  };
}

const worker = new LoadWorker();
const reply = (r: WorkerReply): void => void process.send!(r);
process.on("disconnect", () => {
  worker.stop();
  process.exit(0);
});
process.on("message", (cmd: WorkerCommand) => {
  switch (cmd.kind) {
    case "start":
      void worker.start(cmd).then(() => reply({ kind: "started" }));
      break;
    case "arm":
      worker.arm(cmd);
      reply({ kind: "armed" });
      break;
    case "status":
      reply(worker.status());
      break;
    case "collect":
      reply(worker.collect());
      break;
    case "stop":
      worker.stop();
      process.disconnect();
      process.exit(0);
  }
});
