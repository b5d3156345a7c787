// AdsServer: the gRPC xDS server (ADS and per-type services, SotW and delta); it knows streams, nonces and the snapshot cache, nothing about Istio.

import { Server, ServerCredentials, status, type ServerDuplexStream } from "@grpc/grpc-js";
import {
  aggregatedDiscoveryService,
  clusterDiscoveryService,
  endpointDiscoveryService,
  listenerDiscoveryService,
  routeDiscoveryService,
  type XdsNode,
} from "../../xds/discovery.js";
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, shortTypeName } from "../../xds/type-urls.js";
import { Logger } from "../../shared/logger.js";
import { WeftError } from "../../shared/weft-error.js";
import type { SnapshotCache } from "../cache/snapshot-cache.js";
import { CONVERGENCE_BUCKETS, type PilotMetrics } from "../debug/pilot-metrics.js";
import type { Histogram } from "../debug/metrics-registry.js";
import { SendBudget } from "./send-budget.js";
import { AdsConnection, type ConnectedNode, type ConnectionContext, type SentConfig, type XdsProtocol, type XdsRequest, type XdsResponse } from "./ads-connection.js";
import { defaultPushThrottle, PushQueue } from "./push-queue.js";
import { RequestLimiter } from "./request-limiter.js";
import type { SubscriptionState } from "./subscription-state.js";

export type { ConnectedNode, SentConfig, XdsProtocol } from "./ads-connection.js";

const log = new Logger("ads");

/**
 * The embedder's side of a node's life. A node is the set of open streams with one node id: an ADS stream, or up
 * to one stream per type of the non-aggregated services (CDS, EDS, LDS, RDS), SotW or delta. `connect` runs
 * synchronously on the first request of a node's first stream, before any response: it validates the node
 * (throwing rejects the stream with INVALID_ARGUMENT) and should put the node's first snapshot into the cache.
 * A new stream replaces the node's streams serving the same types (an ADS stream replaces all of them); they are
 * closed with ABORTED without a `disconnect` call, and `connect` runs again if none is left. `disconnect` is
 * called when the node's last stream ends.
 */
export interface AdsHooks {
  /** `peer` is grpc-js's peer string (address and port). */
  connect(node: XdsNode | null | undefined, peer: string): ConnectedNode;
  disconnect(node: ConnectedNode): void;
}

/** One type's state on one stream, for /debug/syncz. */
export interface TypeSyncStatus {
  /** SYNCED: last response ACKed; STALE: sent, no answer yet; NACKED: last response rejected; NOT SENT. */
  status: "SYNCED" | "STALE" | "NACKED" | "NOT SENT";
  protocol: XdsProtocol;
  /** Delta only: how many resources the client holds (as sent or declared in initial_resource_versions). */
  resources?: number;
  /** "*" for a wildcard subscription; a delta wildcard with explicit names too lists them after "*". */
  resourceNames: "*" | readonly string[];
  sent?: { version: string; nonce: string; time: string };
  acked?: string;
  lastNack?: { version: string; nonce: string; message: string; time: string };
}

export interface ProxySyncStatus {
  id: string;
  ip: string;
  type: string;
  connectedAt: string;
  /** Open xDS streams of the node (1 for ADS). */
  streams: number;
  types: Record<string, TypeSyncStatus>;
}

/** Stream and push limits; every field has istiod's default. */
export interface AdsServerOptions {
  /** Streams end (status OK) after this age ±10%, so clients reconnect and rebalance (default 30 min; 0 = never). */
  maxStreamAgeMs?: number;
  /** After the max age, the longest wait for in-flight responses to be answered (default 5 s). */
  maxStreamAgeGraceMs?: number;
  /** Concurrent pushes, PILOT_PUSH_THROTTLE (default min(15 + 5 × cores, 100)). */
  pushThrottle?: number;
  /** A push holds its slot until its responses are ACKed/NACKed or for this long (default 5 s). */
  pushTimeoutMs?: number;
  /** New streams served per second, with a burst of as many, PILOT_MAX_REQUESTS_PER_SECOND (default 100; 0 = no limit). */
  maxRequestsPerSecond?: number;
  /** Response bytes written to streams and not yet flushed, across all streams, before further responses wait (default 32 MiB; 0 = no limit). */
  sendBudgetBytes?: number;
}

/** A node id's open streams, and what `connect` returned for it. */
interface NodeSession {
  node: ConnectedNode;
  readonly streams: Set<AdsConnection>;
}

/** The non-aggregated services: their definition, method names and the one type each serves. */
const SINGLE_TYPE_SERVICES = [
  { service: clusterDiscoveryService, sotw: "StreamClusters", delta: "DeltaClusters", typeUrl: CLUSTER_TYPE },
  { service: endpointDiscoveryService, sotw: "StreamEndpoints", delta: "DeltaEndpoints", typeUrl: ENDPOINT_TYPE },
  { service: listenerDiscoveryService, sotw: "StreamListeners", delta: "DeltaListeners", typeUrl: LISTENER_TYPE },
  { service: routeDiscoveryService, sotw: "StreamRoutes", delta: "DeltaRoutes", typeUrl: ROUTE_TYPE },
] as const;

export class AdsServer {
  private readonly server = new Server();
  private readonly sessions = new Map<string, NodeSession>();
  private readonly unwatch = new Map<AdsConnection, () => void>();
  /** Every open stream, identified or not (for shutdown). */
  private readonly streams = new Set<AdsConnection>();
  private readonly pushQueue: PushQueue;
  private readonly limiter: RequestLimiter;
  private readonly budget: SendBudget;
  private readonly queueTime: Histogram;
  private readonly limits: { maxAgeMs: number; maxAgeGraceMs: number };
  private streamSeq = 0;
  private boundPort = 0;

  constructor(
    private readonly cache: SnapshotCache,
    private readonly hooks: AdsHooks,
    private readonly metrics: Pick<PilotMetrics, "registry" | "xdsPushes" | "xdsRejects" | "convergenceTime">,
    opts: AdsServerOptions = {},
  ) {
    this.limits = { maxAgeMs: opts.maxStreamAgeMs ?? 30 * 60_000, maxAgeGraceMs: opts.maxStreamAgeGraceMs ?? 5000 };
    this.queueTime = metrics.registry.histogram(
      "pilot_proxy_queue_time",
      "Time in seconds, a proxy is in the push queue before being dequeued.",
      CONVERGENCE_BUCKETS,
    );
    this.pushQueue = new PushQueue({ concurrency: opts.pushThrottle || defaultPushThrottle(), timeoutMs: opts.pushTimeoutMs ?? 5000 }, (s) =>
      this.queueTime.observe(s),
    );
    this.limiter = new RequestLimiter(opts.maxRequestsPerSecond ?? 100);
    this.budget = new SendBudget(opts.sendBudgetBytes ?? 32 * 1024 * 1024);
    type Call = ServerDuplexStream<XdsRequest, XdsResponse>;
    this.server.addService(aggregatedDiscoveryService, {
      StreamAggregatedResources: (call: Call) => this.accept(call, "sotw", undefined),
      DeltaAggregatedResources: (call: Call) => this.accept(call, "delta", undefined),
    });
    for (const s of SINGLE_TYPE_SERVICES) {
      this.server.addService(s.service, {
        [s.sotw]: (call: Call) => this.accept(call, "sotw", s.typeUrl),
        [s.delta]: (call: Call) => this.accept(call, "delta", s.typeUrl),
      });
    }
  }

  /** Binds plaintext gRPC; resolves with the actual port (pass 0 for an ephemeral one). Throws XDS_LISTEN. */
  async listen(address: string, port: number): Promise<number> {
    this.boundPort = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(`${address.includes(":") ? `[${address}]` : address}:${port}`, ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(new WeftError("XDS_LISTEN", `cannot listen on ${address}:${port}: ${err.message}`, { cause: err })) : resolve(p),
      ),
    );
    return this.boundPort;
  }

  get port(): number {
    return this.boundPort;
  }

  /** Ends every stream with OK and stops the server (forcefully after `graceMs`). */
  async close(graceMs = 1000): Promise<void> {
    this.limiter.release();
    for (const conn of [...this.streams]) conn.close();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Number of connected nodes (the `pilot_xds` gauge). */
  connectedCount(): number {
    return this.sessions.size;
  }

  /** Pushes in flight and streams waiting for a push slot. */
  pushQueueStatus(): { inFlight: number; queued: number } {
    return { inFlight: this.pushQueue.inFlight, queued: this.pushQueue.queued };
  }

  /** What each connected proxy was sent, ACKed and NACKed, per type (short names), over all its streams. */
  syncStatus(): ProxySyncStatus[] {
    const out: ProxySyncStatus[] = [];
    for (const { node, streams } of this.sessions.values()) {
      const types: Record<string, TypeSyncStatus> = {};
      let connectedAt = Infinity;
      for (const conn of streams) {
        connectedAt = Math.min(connectedAt, conn.connectedAt);
        for (const [typeUrl, s] of conn.subscriptions()) types[shortTypeName(typeUrl)] = typeStatus(s, conn.protocol);
      }
      out.push({ id: node.id, ip: node.ip, type: node.type, connectedAt: new Date(connectedAt).toISOString(), streams: streams.size, types });
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** What a connected proxy holds per type URL, or undefined if no such proxy is connected. */
  sentConfig(proxyId: string): ReadonlyMap<string, SentConfig> | undefined {
    const session = this.sessions.get(proxyId);
    if (!session) return undefined;
    const out = new Map<string, SentConfig>();
    for (const conn of session.streams) for (const [typeUrl, sent] of conn.sent()) out.set(typeUrl, sent);
    return out;
  }

  private accept(call: ServerDuplexStream<XdsRequest, XdsResponse>, protocol: XdsProtocol, scope: string | undefined): void {
    const conn = new AdsConnection(++this.streamSeq, call, this.context, protocol, scope, this.limits);
    this.streams.add(conn);
  }

  private readonly context: ConnectionContext = {
    sendBudget: () => this.budget,
    snapshot: (id) => this.cache.get(id),
    admit: () => this.limiter.admit(),
    attach: (conn, xdsNode) => {
      const id = xdsNode?.id;
      let session = id ? this.sessions.get(id) : undefined;
      const replaced = session ? [...session.streams].filter((s) => overlaps(s.scope, conn.scope)) : [];
      for (const old of replaced) session!.streams.delete(old);
      if (!session || session.streams.size === 0) {
        const node = this.hooks.connect(xdsNode, conn.peer());
        session = { node, streams: new Set() };
        this.sessions.set(node.id, session);
      }
      session.streams.add(conn);
      this.unwatch.set(conn, this.cache.watch(session.node.id, (snapshot, changed) => conn.onSnapshot(snapshot, changed)));
      for (const old of replaced) {
        log.info("node opened a new stream for the same types; closing the old one", { proxy: session.node.id });
        old.close(status.ABORTED, "replaced by a newer xDS stream from the same node id");
      }
      log.info("proxy stream connected", { proxy: session.node.id, ip: session.node.ip, stream: conn.streamId, protocol: conn.protocol, ...(conn.scope && { type: shortTypeName(conn.scope) }) });
      return session.node;
    },
    detach: (conn) => {
      this.streams.delete(conn);
      this.pushQueue.remove(conn);
      this.unwatch.get(conn)?.();
      this.unwatch.delete(conn);
      const session = conn.node && this.sessions.get(conn.node.id);
      if (!session || !session.streams.delete(conn) || session.streams.size > 0) return;
      this.sessions.delete(session.node.id);
      log.info("proxy disconnected", { proxy: session.node.id, stream: conn.streamId });
      this.hooks.disconnect(session.node);
    },
    enqueuePush: (conn) => this.pushQueue.enqueue(conn),
    onPush: (typeUrl) => this.metrics.xdsPushes.labels(shortTypeName(typeUrl)).inc(),
    onNack: (conn, typeUrl, version, message) => {
      this.metrics.xdsRejects.labels(shortTypeName(typeUrl)).inc();
      log.warn("proxy rejected config (NACK)", { proxy: conn.node?.id, type: shortTypeName(typeUrl), version, error: message });
    },
    onConverged: (_conn, seconds) => this.metrics.convergenceTime.observe(seconds),
  };
}

/** Whether two streams serve a common type (undefined scope: ADS, every type). */
function overlaps(a: string | undefined, b: string | undefined): boolean {
  return a === undefined || b === undefined || a === b;
}

function typeStatus(s: SubscriptionState, protocol: XdsProtocol): TypeSyncStatus {
  const nackedLast = s.lastNack !== undefined && s.lastNack.nonce === s.sent?.nonce;
  return {
    status: !s.sent ? "NOT SENT" : nackedLast ? "NACKED" : s.pending ? "STALE" : "SYNCED",
    protocol,
    ...(protocol === "delta" && { resources: s.known.size }),
    resourceNames: s.wildcard ? (protocol === "delta" && s.names.length > 0 ? ["*", ...s.names] : "*") : s.names,
    ...(s.sent && { sent: { version: s.sent.version, nonce: s.sent.nonce, time: new Date(s.sent.time).toISOString() } }),
    ...(s.ackedVersion && { acked: s.ackedVersion }),
    ...(s.lastNack && { lastNack: { ...s.lastNack, time: new Date(s.lastNack.time).toISOString() } }),
  };
}
