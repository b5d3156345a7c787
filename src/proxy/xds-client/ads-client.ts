// AdsClient: the sidecar's ADS client — one stream at a time over SotW or delta, apply, ACK/NACK, failover.

import { EventEmitter } from "node:events";
import * as grpc from "@grpc/grpc-js";
import type { XdsNode } from "../../xds/discovery.js";
import { shortTypeName } from "../../xds/type-urls.js";
import { Logger } from "../../shared/logger.js";
import { TypeSubscription } from "./type-subscription.js";
import type { ResourceType } from "./resource-type.js";
import type { XdsProtocol } from "./xds-protocol.js";
import { sotwProtocol } from "./sotw-protocol.js";
import { deltaProtocol } from "./delta-protocol.js";
import { DEFAULT_BACKOFF, ReconnectBackoff, type BackoffOptions } from "./reconnect-backoff.js";

const log = new Logger("xds-client");

export type XdsProtocolName = "delta" | "sotw";

const XDS_PROTOCOLS: Readonly<Record<XdsProtocolName, XdsProtocol<object, object>>> = {
  delta: deltaProtocol,
  sotw: sotwProtocol,
};

export interface AdsClientOptions {
  /** Control-plane addresses (`host:port`). A stream that ends moves on to the next one, round robin. */
  servers: readonly string[];
  node: XdsNode;
  /** In subscription order: CDS before EDS, LDS before RDS (Envoy's make-before-break order). */
  types: readonly ResourceType[];
  /**
   * Names a named (non-wildcard) type should be subscribed to, derived from what is applied
   * (RDS names from listeners, EDS names from clusters). Called after every successful apply.
   */
  wantedNames(typeUrl: string): readonly string[];
  /** ADS variant; default "delta", like Istio's sidecars. */
  protocol?: XdsProtocolName;
  /** Reconnect delays after a failed stream (full jitter). */
  backoff?: BackoffOptions;
  /** A stream that has delivered config for this long counts as healthy: its failure starts the backoff over. */
  healthyAfterMs?: number;
  /** Upper bound of the random delay before reconnecting after the server ended a healthy stream with OK. */
  rotateJitterMs?: number;
}

type Stream = grpc.ClientDuplexStream<object, object>;

/**
 * Events: "applied" (typeUrl, version), "rejected" (typeUrl, version, message), "connected" (server),
 * "disconnected" (server, grpc status).
 * Responses are applied strictly one at a time, in arrival order. Nothing held is ever cleared because a
 * stream ended: without a control plane the proxy keeps its last accepted config.
 */
export class AdsClient extends EventEmitter {
  readonly subscriptions = new Map<string, TypeSubscription>();
  readonly protocol: XdsProtocol<object, object>;
  /** The server of the current stream once its channel is up (or it delivered a response); undefined otherwise. */
  connectedTo: string | undefined;
  private readonly typesByUrl = new Map<string, ResourceType>();
  private readonly backoff: ReconnectBackoff;
  private client: grpc.Client | undefined;
  private stream: Stream | undefined;
  private serverIndex = 0;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly opts: AdsClientOptions) {
    super();
    this.protocol = XDS_PROTOCOLS[opts.protocol ?? "delta"];
    this.backoff = new ReconnectBackoff(opts.backoff ?? DEFAULT_BACKOFF);
    for (const t of opts.types) {
      this.typesByUrl.set(t.typeUrl, t);
      this.subscriptions.set(t.typeUrl, new TypeSubscription(t.typeUrl, t.wildcard));
    }
  }

  get connected(): boolean {
    return this.connectedTo !== undefined;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const stream = this.stream;
    this.stream = undefined;
    this.connectedTo = undefined;
    stream?.cancel();
    this.client?.close();
    this.client = undefined;
  }

  private connect(): void {
    const server = this.opts.servers[this.serverIndex % this.opts.servers.length];
    this.client?.close();
    const client = new grpc.Client(server, grpc.credentials.createInsecure(), {
      "grpc.keepalive_time_ms": 30_000,
      "grpc.max_receive_message_length": 64 * 1024 * 1024,
    });
    this.client = client;
    const method = this.protocol.method;
    const stream = client.makeBidiStreamRequest(method.path, method.requestSerialize, method.responseDeserialize) as Stream;
    this.stream = stream;
    let connectedAt: number | undefined;
    const markConnected = (): void => {
      if (connectedAt !== undefined || stream !== this.stream) return;
      connectedAt = Date.now();
      this.connectedTo = server;
      this.emit("connected", server);
    };
    // Connected as soon as the channel is up (Envoy: the stream is established), not only once a response
    // arrives: a delta server with nothing newer than initial_resource_versions rightly sends nothing.
    const channel = client.getChannel();
    const watch = (): void => {
      if (connectedAt !== undefined || stream !== this.stream) return;
      const state = channel.getConnectivityState(false);
      if (state === grpc.connectivityState.READY) return markConnected();
      if (state !== grpc.connectivityState.SHUTDOWN) channel.watchConnectivityState(state, Date.now() + 60_000, watch);
    };
    watch();

    stream.on("data", (response: object) => {
      markConnected();
      this.queue = this.queue
        .then(() => this.handle(stream, response))
        .catch((err: Error) => log.error("response handling failed", { error: err.message }));
    });
    stream.on("error", (err: grpc.ServiceError) => {
      if (!this.stopped) log.warn("stream error", { server, code: err.code, message: err.details || err.message });
    });
    // grpc-js always ends a call with "status" (after "error" for non-OK codes), also when it never connected.
    stream.on("status", (status: grpc.StatusObject) => this.onStreamEnd(stream, server, status, connectedAt));

    // A fresh stream restates every subscription with what the client holds (SotW: the accepted
    // version_info; delta: initial_resource_versions), so the server sends only what is newer.
    let node: XdsNode | undefined = this.opts.node;
    for (const sub of this.subscriptions.values()) {
      sub.lastNonce = "";
      const request = this.protocol.initialRequest(sub, node);
      if (!request) continue;
      this.send(stream, request);
      node = undefined; // the node is sent on the first request of a stream only
    }
  }

  private onStreamEnd(stream: Stream, server: string, status: grpc.StatusObject, connectedAt: number | undefined): void {
    if (stream !== this.stream) return;
    this.stream = undefined;
    this.connectedTo = undefined;
    this.emit("disconnected", server, status);
    if (this.stopped) return;
    this.serverIndex++;
    if (connectedAt !== undefined && Date.now() - connectedAt >= (this.opts.healthyAfterMs ?? 5_000)) this.backoff.reset();
    // A server that ends a working stream with OK (Istio's max connection age) wants the client to come
    // back, maybe to another instance: reconnect promptly without growing the backoff.
    const delay = status.code === grpc.status.OK && connectedAt !== undefined
      ? Math.floor(Math.random() * (this.opts.rotateJitterMs ?? 100))
      : this.backoff.next();
    const next = this.opts.servers[this.serverIndex % this.opts.servers.length];
    log.info("stream ended, reconnecting", { server, code: status.code, next, delayMs: delay });
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private async handle(stream: Stream, response: object): Promise<void> {
    if (stream !== this.stream) return;
    const { typeUrl, nonce, version } = this.protocol.header(response);
    const sub = this.subscriptions.get(typeUrl);
    const type = this.typesByUrl.get(typeUrl);
    if (!sub || !type) {
      log.warn("response for a type never requested", { type: typeUrl });
      return;
    }
    sub.lastNonce = nonce;
    let merged;
    try {
      merged = this.protocol.merge(sub, type, response);
      await type.apply(merged.resources);
    } catch (err) {
      const message = (err as Error).message;
      log.warn("rejected config", { type: shortTypeName(typeUrl), version, reason: message });
      sub.reject(version, message);
      this.send(stream, this.protocol.nack(sub, message));
      this.emit("rejected", typeUrl, version, message);
      return;
    }
    sub.commit(merged, version);
    this.send(stream, this.protocol.ack(sub));
    this.emit("applied", typeUrl, version);
    this.refreshNamedSubscriptions(stream);
  }

  /** After an apply, RDS/EDS names may have changed: subscribe to what the applied config references. */
  private refreshNamedSubscriptions(stream: Stream): void {
    for (const sub of this.subscriptions.values()) {
      if (sub.wildcard) continue;
      const change = sub.setNames(this.opts.wantedNames(sub.typeUrl));
      if (change) this.send(stream, this.protocol.interest(sub, change));
    }
  }

  private send(stream: Stream, request: object): void {
    if (this.stream === stream) stream.write(request);
  }
}
