// AdsServer: the gRPC ADS (SotW) server; it knows streams, nonces and the snapshot cache, nothing about Istio.

import { Server, ServerCredentials, status, type ServerDuplexStream } from "@grpc/grpc-js";
import { aggregatedDiscoveryService, type DiscoveryRequest, type DiscoveryResponse, type XdsNode } from "../../xds/discovery.js";
import { shortTypeName } from "../../xds/type-urls.js";
import { Logger } from "../../shared/logger.js";
import { WeftError } from "../../shared/weft-error.js";
import type { SnapshotCache } from "../cache/snapshot-cache.js";
import type { PilotMetrics } from "../debug/pilot-metrics.js";
import { AdsConnection, type ConnectedNode, type ConnectionContext, type SentConfig } from "./ads-connection.js";
import type { SubscriptionState } from "./subscription-state.js";

export type { ConnectedNode, SentConfig } from "./ads-connection.js";

const log = new Logger("ads");

/**
 * The embedder's side of a stream's life. `connect` runs synchronously on a stream's first request,
 * before any response: it validates the node (throwing rejects the stream with INVALID_ARGUMENT) and should
 * put the node's first snapshot into the cache. When a node id connects again, the newer stream replaces the
 * older one, which is closed without a `disconnect` call; `disconnect` is only called for the current stream
 * of an id, when it ends.
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
  types: Record<string, TypeSyncStatus>;
}

export class AdsServer {
  private readonly server = new Server();
  private readonly connections = new Map<string, AdsConnection>();
  private readonly unwatch = new Map<AdsConnection, () => void>();
  /** Every open stream, identified or not (for shutdown). */
  private readonly streams = new Set<AdsConnection>();
  private streamSeq = 0;
  private boundPort = 0;

  constructor(
    private readonly cache: SnapshotCache,
    private readonly hooks: AdsHooks,
    private readonly metrics: Pick<PilotMetrics, "xdsPushes" | "xdsRejects" | "convergenceTime">,
  ) {
    this.server.addService(aggregatedDiscoveryService, {
      StreamAggregatedResources: (call: ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>) => this.accept(call),
      DeltaAggregatedResources: (call: ServerDuplexStream<unknown, unknown>) =>
        call.emit("error", Object.assign(new Error("delta xDS is not supported; use SotW"), { code: status.UNIMPLEMENTED })),
    });
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

  /** Number of streams with an identified node (the `pilot_xds` gauge). */
  connectedCount(): number {
    return this.connections.size;
  }

  /** What each connected proxy was sent, ACKed and NACKed, per type (short names). */
  syncStatus(): ProxySyncStatus[] {
    const out: ProxySyncStatus[] = [];
    for (const conn of this.connections.values()) {
      const types: Record<string, TypeSyncStatus> = {};
      for (const [typeUrl, s] of conn.subscriptions()) types[shortTypeName(typeUrl)] = typeStatus(s);
      out.push({ id: conn.node!.id, ip: conn.node!.ip, type: conn.node!.type, connectedAt: new Date(conn.connectedAt).toISOString(), types });
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** The last response per type URL sent to a connected proxy, or undefined if no such proxy is connected. */
  sentConfig(proxyId: string): ReadonlyMap<string, SentConfig> | undefined {
    return this.connections.get(proxyId)?.sent();
  }

  private accept(call: ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>): void {
    const conn = new AdsConnection(++this.streamSeq, call, this.context);
    this.streams.add(conn);
  }

  private readonly context: ConnectionContext = {
    snapshot: (id) => this.cache.get(id),
    attach: (conn, request) => {
      const node = this.hooks.connect(request.node, conn.peer());
      const previous = this.connections.get(node.id);
      this.connections.set(node.id, conn);
      this.unwatch.set(conn, this.cache.watch(node.id, (snapshot, changed) => conn.onSnapshot(snapshot, changed)));
      if (previous) {
        log.info("node reconnected on a new stream; closing the old one", { proxy: node.id });
        previous.close(status.ABORTED, "replaced by a newer ADS stream from the same node id");
      }
      log.info("proxy connected", { proxy: node.id, ip: node.ip, stream: conn.streamId });
      return node;
    },
    detach: (conn) => {
      this.streams.delete(conn);
      this.unwatch.get(conn)?.();
      this.unwatch.delete(conn);
      if (!conn.node || this.connections.get(conn.node.id) !== conn) return;
      this.connections.delete(conn.node.id);
      log.info("proxy disconnected", { proxy: conn.node.id, stream: conn.streamId });
      this.hooks.disconnect(conn.node);
    },
    onPush: (typeUrl) => this.metrics.xdsPushes.labels(shortTypeName(typeUrl)).inc(),
    onNack: (conn, typeUrl, version, message) => {
      this.metrics.xdsRejects.labels(shortTypeName(typeUrl)).inc();
      log.warn("proxy rejected config (NACK)", { proxy: conn.node?.id, type: shortTypeName(typeUrl), version, error: message });
    },
    onConverged: (_conn, seconds) => this.metrics.convergenceTime.observe(seconds),
  };
}

function typeStatus(s: SubscriptionState): TypeSyncStatus {
  const nackedLast = s.lastNack !== undefined && s.lastNack.nonce === s.sent?.nonce;
  return {
    status: !s.sent ? "NOT SENT" : nackedLast ? "NACKED" : s.pending ? "STALE" : "SYNCED",
    resourceNames: s.wildcard ? "*" : s.names,
    ...(s.sent && { sent: { version: s.sent.version, nonce: s.sent.nonce, time: new Date(s.sent.time).toISOString() } }),
    ...(s.ackedVersion && { acked: s.ackedVersion }),
    ...(s.lastNack && { lastNack: { ...s.lastNack, time: new Date(s.lastNack.time).toISOString() } }),
  };
}
