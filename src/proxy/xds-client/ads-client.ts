// AdsClient: the sidecar's state-of-the-world ADS client — subscribe, apply, ACK/NACK, reconnect.

import { EventEmitter } from "node:events";
import * as grpc from "@grpc/grpc-js";
import {
  aggregatedDiscoveryService,
  type DiscoveryRequest,
  type DiscoveryResponse,
  type XdsNode,
} from "../../xds/discovery.js";
import { shortTypeName } from "../../xds/type-urls.js";
import { Logger } from "../../shared/logger.js";
import { TypeSubscription } from "./type-subscription.js";
import { decodeResources, type ResourceType } from "./resource-type.js";

const log = new Logger("xds-client");

export interface AdsClientOptions {
  /** Control-plane addresses (`host:port`); the client fails over between them in order. */
  servers: readonly string[];
  node: XdsNode;
  /** In subscription order: CDS before EDS, LDS before RDS (Envoy's make-before-break order). */
  types: readonly ResourceType[];
  /**
   * Names a named (non-wildcard) type should be subscribed to, derived from what is applied
   * (RDS names from listeners, EDS names from clusters). Called after every successful apply.
   */
  wantedNames(typeUrl: string): readonly string[];
  /** Reconnect backoff bounds in ms (jittered exponential). */
  backoff?: { initialMs: number; maxMs: number };
}

type Stream = grpc.ClientDuplexStream<DiscoveryRequest, DiscoveryResponse>;

/**
 * Events: "applied" (typeUrl, version), "rejected" (typeUrl, version, message), "connected" (server), "disconnected" (reason).
 * Responses are applied strictly one at a time, in arrival order.
 */
export class AdsClient extends EventEmitter {
  readonly subscriptions = new Map<string, TypeSubscription>();
  private readonly typesByUrl = new Map<string, ResourceType>();
  private client: grpc.Client | undefined;
  private stream: Stream | undefined;
  private serverIndex = 0;
  private attempt = 0;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private queue: Promise<void> = Promise.resolve();
  connectedTo: string | undefined;

  constructor(private readonly opts: AdsClientOptions) {
    super();
    for (const t of opts.types) {
      this.typesByUrl.set(t.typeUrl, t);
      this.subscriptions.set(t.typeUrl, new TypeSubscription(t.typeUrl, t.wildcard));
    }
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.stream?.cancel();
    this.client?.close();
    this.stream = undefined;
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
    const def = aggregatedDiscoveryService.StreamAggregatedResources;
    const stream = client.makeBidiStreamRequest(def.path, def.requestSerialize, def.responseDeserialize) as Stream;
    this.stream = stream;
    let first = true;

    stream.on("data", (response: DiscoveryResponse) => {
      if (first) {
        first = false;
        this.attempt = 0;
        this.connectedTo = server;
        this.emit("connected", server);
      }
      this.queue = this.queue.then(() => this.handle(stream, response));
    });
    stream.on("error", (err: grpc.ServiceError) => {
      if (!this.stopped) log.warn("stream error", { server, code: err.code, message: err.details || err.message });
    });
    // grpc-js always ends a call with "status" (after "error" for non-OK codes), also when it never connected.
    stream.on("status", () => this.onStreamEnd(stream));

    // Open every subscription that has something to ask for, re-sending accepted versions (a reconnect
    // to a server that already has them then sends nothing new).
    let node: XdsNode | undefined = this.opts.node;
    for (const sub of this.subscriptions.values()) {
      sub.lastNonce = "";
      if (!sub.wildcard && sub.names.length === 0) continue;
      this.send(stream, sub.initialRequest(node));
      node = undefined; // the node is sent on the first request of a stream only
    }
  }

  private onStreamEnd(stream: Stream): void {
    if (stream !== this.stream) return;
    this.stream = undefined;
    this.connectedTo = undefined;
    this.emit("disconnected");
    if (this.stopped) return;
    this.serverIndex++;
    const { initialMs, maxMs } = this.opts.backoff ?? { initialMs: 200, maxMs: 15_000 };
    const ceiling = Math.min(maxMs, initialMs * 2 ** this.attempt++);
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private async handle(stream: Stream, response: DiscoveryResponse): Promise<void> {
    if (stream !== this.stream) return;
    const sub = this.subscriptions.get(response.type_url);
    const type = this.typesByUrl.get(response.type_url);
    if (!sub || !type) {
      log.warn("response for a type never requested", { type: response.type_url });
      return;
    }
    let next: Map<string, Record<string, unknown>>;
    try {
      const received = decodeResources(type, response.resources);
      next = sub.wildcard ? received : mergeNamed(sub, received);
      await type.apply(next);
    } catch (err) {
      const message = (err as Error).message;
      log.warn("rejected config", { type: shortTypeName(sub.typeUrl), version: response.version_info, reason: message });
      this.send(stream, sub.nack(response, message));
      this.emit("rejected", sub.typeUrl, response.version_info, message);
      return;
    }
    const now = new Date();
    for (const [name, resource] of next) {
      if (sub.resources.get(name) !== resource) sub.updatedAt.set(name, now);
    }
    for (const name of sub.updatedAt.keys()) if (!next.has(name)) sub.updatedAt.delete(name);
    sub.resources = next;
    this.send(stream, sub.ack(response));
    this.emit("applied", sub.typeUrl, response.version_info);
    this.refreshNamedSubscriptions(stream);
  }

  /** After an apply, RDS/EDS names may have changed: subscribe to what the applied config references. */
  private refreshNamedSubscriptions(stream: Stream): void {
    for (const sub of this.subscriptions.values()) {
      if (sub.wildcard) continue;
      const request = sub.resubscribe(this.opts.wantedNames(sub.typeUrl));
      if (request) this.send(stream, request);
    }
  }

  private send(stream: Stream, request: DiscoveryRequest): void {
    if (this.stream === stream) stream.write(request);
  }
}

/**
 * For named types a SotW response carries the requested resources the server has; resources the client
 * still wants but that the response omits are kept, unsubscribed ones are already gone.
 */
function mergeNamed(sub: TypeSubscription, received: Map<string, Record<string, unknown>>): Map<string, Record<string, unknown>> {
  const wanted = new Set(sub.names);
  const next = new Map<string, Record<string, unknown>>();
  for (const [name, r] of sub.resources) if (wanted.has(name)) next.set(name, r);
  for (const [name, r] of received) if (wanted.has(name)) next.set(name, r);
  return next;
}
