// AdsConnection: one SotW ADS stream: its node, per-type subscription state, and the responses it was sent.

import { createHash } from "node:crypto";
import { status, type ServerDuplexStream } from "@grpc/grpc-js";
import type { DiscoveryRequest, DiscoveryResponse } from "../../xds/discovery.js";
import { CLUSTER_TYPE, LISTENER_TYPE, PUSH_ORDER, shortTypeName } from "../../xds/type-urls.js";
import { Logger } from "../../shared/logger.js";
import type { CachedResource, Snapshot } from "../cache/snapshot.js";
import { needsPush, onRequest, onSent, type SubscriptionState } from "./subscription-state.js";

const log = new Logger("ads");

/** Types whose empty resource_names mean "everything" (xDS protocol, "How the client specifies what resources to return"). */
const WILDCARD_TYPES: ReadonlySet<string> = new Set([LISTENER_TYPE, CLUSTER_TYPE]);

/** What the server shows about the node behind a stream (syncz); `id` keys the snapshot cache. */
export interface ConnectedNode {
  readonly id: string;
  readonly ip: string;
  readonly type: string;
}

/** The last response of one type, kept for /debug/config_dump. */
export interface SentConfig {
  readonly version: string;
  readonly resources: readonly CachedResource[];
  readonly time: number;
}

/** What a connection needs from its server: the node id → snapshot lookup and the stats to feed. */
export interface ConnectionContext {
  snapshot(proxyId: string): Snapshot | undefined;
  /** Called once, with the first request; returns the node or throws (the stream then fails with INVALID_ARGUMENT). */
  attach(conn: AdsConnection, request: DiscoveryRequest): ConnectedNode;
  detach(conn: AdsConnection): void;
  onPush(typeUrl: string): void;
  onNack(conn: AdsConnection, typeUrl: string, version: string, message: string): void;
  /** All responses since the first push-triggered one were answered; `seconds` since that trigger. */
  onConverged(conn: AdsConnection, seconds: number): void;
}

let nonceSeq = 0;

export class AdsConnection {
  node: ConnectedNode | undefined;
  readonly connectedAt = Date.now();
  private readonly subs = new Map<string, SubscriptionState>();
  private readonly sentConfig = new Map<string, SentConfig>();
  /** performance.now() of the earliest push trigger behind a response not yet answered. */
  private convergeSince: number | undefined;
  private nackedSinceConverge = false;
  private closed = false;

  constructor(
    readonly streamId: number,
    private readonly call: ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>,
    private readonly ctx: ConnectionContext,
  ) {
    call.on("data", (req: DiscoveryRequest) => this.onRequest(req));
    call.on("end", () => this.close());
    call.on("error", () => this.teardown());
    call.on("cancelled", () => this.teardown());
    call.on("close", () => this.teardown());
  }

  /** The peer as grpc-js reports it ("127.0.0.1:5000", "[::1]:5000", possibly "ipv4:"-prefixed). */
  peer(): string {
    return this.call.getPeer();
  }

  subscriptions(): ReadonlyMap<string, SubscriptionState> {
    return this.subs;
  }

  sent(): ReadonlyMap<string, SentConfig> {
    return this.sentConfig;
  }

  /** Ends the stream with OK (server shutdown) or with an error status. Idempotent. */
  close(code: status = status.OK, details = ""): void {
    if (this.closed) return;
    if (code === status.OK) this.call.end();
    else this.call.emit("error", Object.assign(new Error(details), { code, details }));
    this.teardown();
  }

  /** Called by the cache watch with the types whose version changed; pushes in make-before-break order. */
  onSnapshot(snapshot: Snapshot, changedTypes: readonly string[]): void {
    for (const typeUrl of orderForPush(changedTypes)) {
      const state = this.subs.get(typeUrl);
      if (!state) continue;
      const { resources, digest } = select(snapshot, typeUrl, state);
      if (needsPush(state, digest)) this.send(typeUrl, state, snapshot, resources, digest);
    }
  }

  private onRequest(req: DiscoveryRequest): void {
    if (this.closed) return;
    if (!this.node) {
      try {
        this.node = this.ctx.attach(this, req);
      } catch (err) {
        const message = `invalid node: ${(err as Error).message}`;
        log.warn("rejecting ADS stream", { peer: this.call.getPeer(), error: message });
        this.close(status.INVALID_ARGUMENT, message);
        return;
      }
    }
    const typeUrl = req.type_url;
    if (!typeUrl) {
      log.warn("ignoring request without type_url", { proxy: this.node.id });
      return;
    }
    const errorMessage = req.error_detail ? req.error_detail.message || `code ${req.error_detail.code ?? 0}` : undefined;
    const t = onRequest(this.subs.get(typeUrl), { resourceNames: req.resource_names ?? [], responseNonce: req.response_nonce ?? "", errorMessage }, WILDCARD_TYPES.has(typeUrl), Date.now());
    this.subs.set(typeUrl, t.state);
    switch (t.kind) {
      case "stale":
        log.debug("stale nonce ignored", { proxy: this.node.id, type: shortTypeName(typeUrl), nonce: req.response_nonce });
        return;
      case "nack":
        this.nackedSinceConverge = true;
        this.ctx.onNack(this, typeUrl, t.state.lastNack!.version, t.state.lastNack!.message);
        this.checkConverged();
        break;
      case "ack":
        this.checkConverged();
        break;
      case "initial":
        break;
    }
    if (!t.respond) return;
    const snapshot = this.ctx.snapshot(this.node.id);
    if (!snapshot) return; // answered by onSnapshot once the proxy's first snapshot is set
    const { resources, digest } = select(snapshot, typeUrl, t.state);
    this.send(typeUrl, t.state, snapshot, resources, digest);
  }

  private send(typeUrl: string, state: SubscriptionState, snapshot: Snapshot, resources: CachedResource[], digest: string): void {
    const version = snapshot.version(typeUrl);
    const nonce = (++nonceSeq).toString(36);
    const now = Date.now();
    this.subs.set(typeUrl, onSent(state, { version, nonce, digest, time: now }));
    this.sentConfig.set(typeUrl, { version, resources, time: now });
    if (snapshot.triggeredAt !== undefined && (this.convergeSince === undefined || snapshot.triggeredAt < this.convergeSince)) {
      this.convergeSince = snapshot.triggeredAt;
    }
    this.call.write({ version_info: version, resources: resources.map((r) => r.any), type_url: typeUrl, nonce });
    this.ctx.onPush(typeUrl);
    log.debug("pushed", { proxy: this.node?.id, type: shortTypeName(typeUrl), version, nonce, resources: resources.length });
  }

  private checkConverged(): void {
    if (this.convergeSince === undefined) return;
    for (const s of this.subs.values()) if (s.pending) return;
    if (!this.nackedSinceConverge) this.ctx.onConverged(this, (performance.now() - this.convergeSince) / 1000);
    this.convergeSince = undefined;
    this.nackedSinceConverge = false;
  }

  private teardown(): void {
    if (this.closed) return;
    this.closed = true;
    this.ctx.detach(this);
  }
}

/** The resources a response carries for `state`, and a digest that changes iff that content changes. */
function select(snapshot: Snapshot, typeUrl: string, state: SubscriptionState): { resources: CachedResource[]; digest: string } {
  const { version, resources: all } = snapshot.resources(typeUrl);
  if (state.wildcard) return { resources: [...all.values()], digest: version };
  const resources: CachedResource[] = [];
  const h = createHash("sha1");
  for (const name of state.names) {
    const r = all.get(name);
    if (!r) continue;
    resources.push(r);
    h.update(r.name).update("\0").update(r.hash).update("\n");
  }
  return { resources, digest: h.digest("hex") };
}

function orderForPush(types: readonly string[]): string[] {
  const rank = (t: string) => {
    const i = PUSH_ORDER.indexOf(t);
    return i < 0 ? PUSH_ORDER.length : i;
  };
  return [...types].sort((a, b) => rank(a) - rank(b));
}
