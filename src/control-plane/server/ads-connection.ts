// AdsConnection: one xDS stream (SotW or delta, aggregated or one type): its node, per-type subscription state, and what it sent.

import { status, type ServerDuplexStream } from "@grpc/grpc-js";
import type { DeltaDiscoveryRequest, DeltaDiscoveryResponse, DiscoveryRequest, DiscoveryResponse, XdsNode } from "../../xds/discovery.js";
import { CLUSTER_TYPE, LISTENER_TYPE, PUSH_ORDER, shortTypeName } from "../../xds/type-urls.js";
import { Logger } from "../../shared/logger.js";
import type { CachedResource, Snapshot, TypeResources } from "../cache/snapshot.js";
import { typeSetDelta } from "../cache/type-set-delta.js";
import { coversAll, diff, diffAmong, hasName, NO_DIFF, type Diff, onDeltaRequest, onRequest, onSent, type Respond, type SubscriptionState, type Transition } from "./subscription-state.js";
import type { PushTarget } from "./push-queue.js";
import type { SendBudget } from "./send-budget.js";

const log = new Logger("ads");

/**
 * LDS and CDS: empty SotW resource_names (or a first delta request subscribing to nothing) mean "everything", and SotW
 * responses carry every subscribed resource (xDS protocol, "How the client specifies what resources to return",
 * "Grouping Resources into Responses").
 */
const FULL_STATE_TYPES: ReadonlySet<string> = new Set([LISTENER_TYPE, CLUSTER_TYPE]);

export type XdsProtocol = "sotw" | "delta";

/** What the server shows about the node behind a stream (syncz); `id` keys the snapshot cache. */
export interface ConnectedNode {
  readonly id: string;
  readonly ip: string;
  readonly type: string;
}

/** What the client holds of one type, as this stream sent it, for /debug/config_dump. */
export interface SentConfig {
  readonly version: string;
  readonly resources: readonly CachedResource[];
  readonly time: number;
}

/** What a connection needs from its server. */
export interface ConnectionContext {
  snapshot(proxyId: string): Snapshot | undefined;
  /** Resolves (or returns undefined) when a new stream may be served (PILOT_MAX_REQUESTS_PER_SECOND). */
  admit(): Promise<void> | undefined;
  /** Called once, with the first request's node; returns the node or throws (the stream then fails with INVALID_ARGUMENT). */
  attach(conn: AdsConnection, node: XdsNode | null | undefined): ConnectedNode;
  detach(conn: AdsConnection): void;
  /** Flow control shared by every stream: response bytes written but not flushed. */
  sendBudget(): SendBudget;
  /** Asks for `conn.push()` under the push throttle. */
  enqueuePush(conn: AdsConnection): void;
  onPush(typeUrl: string): void;
  onNack(conn: AdsConnection, typeUrl: string, version: string, message: string): void;
  /** All responses since the first push-triggered one were answered; `seconds` since that trigger. */
  onConverged(conn: AdsConnection, seconds: number): void;
}

export interface StreamLimits {
  /** End the stream (status OK) after this age, ±10% (0: never). */
  maxAgeMs: number;
  /** After the max age, how long to wait for the in-flight response to be answered before ending anyway. */
  maxAgeGraceMs: number;
}

/** A request or response on any of the xDS streams (which one depends on the stream's protocol). */
export type XdsRequest = DiscoveryRequest | DeltaDiscoveryRequest;
export type XdsResponse = DiscoveryResponse | DeltaDiscoveryResponse;

let nonceSeq = 0;

/**
 * Lifecycle: created per gRPC call; the first request is admitted by the rate limiter, then attaches the node;
 * `close` (or the peer ending) detaches it. Cache changes arrive through `onSnapshot`, which only marks types
 * dirty and enqueues the stream; the push queue later calls `push`, which sends each dirty type's diff against
 * the latest snapshot. Requests are answered directly (not throttled).
 */
export class AdsConnection implements PushTarget {
  node: ConnectedNode | undefined;
  readonly connectedAt = Date.now();
  private readonly subs = new Map<string, SubscriptionState>();
  private readonly held = new Map<string, { version: string; time: number }>();
  /** Types whose cache content changed since the last push. */
  private readonly dirty = new Set<string>();
  /** performance.now() of the earliest push trigger behind the dirty types. */
  private dirtySince: number | undefined;
  /** performance.now() of the earliest push trigger behind a response not yet answered. */
  private convergeSince: number | undefined;
  private nackedSinceConverge = false;
  /** Resolves the running push once nothing it sent is pending. */
  private pushDone: (() => void) | undefined;
  /** Requests that arrived while the first one waits for admission. */
  private admitting: XdsRequest[] | undefined;
  private admitted = false;
  private draining = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private closed = false;
  /** Per type: the type set the client was last brought up to date from, under which subscription. */
  private readonly synced = new Map<string, { from: TypeResources; names: readonly string[]; wildcard: boolean; covers: boolean }>();
  /** Responses waiting for send budget, by type: the strongest respond mode asked for. */
  private readonly deferred = new Map<string, Respond>();
  private waitingBudget = false;

  constructor(
    readonly streamId: number,
    private readonly call: ServerDuplexStream<XdsRequest, XdsResponse>,
    private readonly ctx: ConnectionContext,
    readonly protocol: XdsProtocol,
    /** The one type URL a non-aggregated stream serves; undefined for ADS. */
    readonly scope: string | undefined,
    limits: StreamLimits,
  ) {
    call.on("data", (req: XdsRequest) => this.onData(req));
    call.on("end", () => this.close());
    call.on("error", () => this.teardown());
    call.on("cancelled", () => this.teardown());
    call.on("close", () => this.teardown());
    if (limits.maxAgeMs > 0) {
      const age = limits.maxAgeMs * (0.9 + 0.2 * Math.random());
      this.timer(age, () => this.expire(limits.maxAgeGraceMs));
    }
  }

  /** The peer as grpc-js reports it ("127.0.0.1:5000", "[::1]:5000", possibly "ipv4:"-prefixed). */
  peer(): string {
    return this.call.getPeer();
  }

  subscriptions(): ReadonlyMap<string, SubscriptionState> {
    return this.subs;
  }

  /** What the client holds per type, as sent on this stream. */
  sent(): ReadonlyMap<string, SentConfig> {
    const out = new Map<string, SentConfig>();
    const snapshot = this.node ? this.ctx.snapshot(this.node.id) : undefined;
    for (const [typeUrl, h] of this.held) {
      // What the client holds: the resources it was sent, as far as the latest snapshot still has them unchanged.
      const known = this.subs.get(typeUrl)?.known;
      const available = snapshot?.resources(typeUrl).resources;
      const resources: CachedResource[] = [];
      if (known && available) for (const [name, hash] of known) { const r = available.get(name); if (r && r.hash === hash) resources.push(r); }
      out.set(typeUrl, { version: h.version, time: h.time, resources });
    }
    return out;
  }

  /** Ends the stream with OK (shutdown, max age) or with an error status. Idempotent. */
  close(code: status = status.OK, details = ""): void {
    if (this.closed) return;
    if (code === status.OK) this.call.end();
    else this.call.emit("error", Object.assign(new Error(details), { code, details }));
    this.teardown();
  }

  /** Called by the cache watch with the types whose version changed: marks them for the next (throttled) push. */
  onSnapshot(snapshot: Snapshot, changedTypes: readonly string[]): void {
    let any = false;
    for (const typeUrl of changedTypes) {
      if (!this.subs.has(typeUrl)) continue;
      this.dirty.add(typeUrl);
      any = true;
    }
    if (!any) return;
    if (snapshot.triggeredAt !== undefined && (this.dirtySince === undefined || snapshot.triggeredAt < this.dirtySince)) {
      this.dirtySince = snapshot.triggeredAt;
    }
    this.ctx.enqueuePush(this);
  }

  /** PushTarget: sends every dirty type's changes in make-before-break order; resolves when they are answered. */
  push(): Promise<void> {
    const types = orderForPush([...this.dirty]);
    this.dirty.clear();
    const since = this.dirtySince;
    this.dirtySince = undefined;
    const snapshot = this.node && this.ctx.snapshot(this.node.id);
    if (this.closed || this.draining || !snapshot) return Promise.resolve();
    if (since !== undefined && (this.convergeSince === undefined || since < this.convergeSince)) this.convergeSince = since;
    let sent = false;
    for (const typeUrl of types) {
      // A first request that came before the proxy's first snapshot is answered now, as it would have been then.
      const state = this.subs.get(typeUrl);
      const first = state !== undefined && !state.sent && (this.protocol === "sotw" || state.wildcard);
      if (this.respond(typeUrl, snapshot, first ? "always" : "changes")) sent = true;
    }
    if (!sent || !this.anyPending()) {
      this.checkConverged();
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => (this.pushDone = resolve));
  }

  private onData(req: XdsRequest): void {
    if (this.closed) return;
    if (this.admitted) return this.onRequest(req);
    if (this.admitting) {
      this.admitting.push(req);
      return;
    }
    const wait = this.ctx.admit();
    if (!wait) {
      this.admitted = true;
      return this.onRequest(req);
    }
    this.admitting = [req];
    void wait.then(() => {
      this.admitted = true;
      const queued = this.admitting ?? [];
      this.admitting = undefined;
      for (const r of queued) this.onRequest(r);
    });
  }

  private onRequest(req: XdsRequest): void {
    if (this.closed) return;
    const typeUrl = req.type_url || this.scope;
    if (this.scope && typeUrl !== this.scope) {
      this.close(status.INVALID_ARGUMENT, `this stream serves ${this.scope}; request for ${typeUrl}`);
      return;
    }
    if (!this.node) {
      try {
        this.node = this.ctx.attach(this, req.node);
      } catch (err) {
        const message = `invalid node: ${(err as Error).message}`;
        log.warn("rejecting xDS stream", { peer: this.call.getPeer(), error: message });
        this.close(status.INVALID_ARGUMENT, message);
        return;
      }
    }
    if (!typeUrl) {
      log.warn("ignoring request without type_url", { proxy: this.node.id });
      return;
    }
    const t = this.transition(typeUrl, req);
    this.subs.set(typeUrl, t.state);
    switch (t.kind) {
      case "stale":
        log.debug("stale nonce", { proxy: this.node.id, type: shortTypeName(typeUrl), nonce: req.response_nonce });
        break;
      case "nack":
        this.nackedSinceConverge = true;
        this.ctx.onNack(this, typeUrl, t.state.lastNack!.version, t.state.lastNack!.message);
        this.answered();
        break;
      case "ack":
        this.answered();
        break;
      default:
        break;
    }
    if (t.respond === "none") return;
    const snapshot = this.ctx.snapshot(this.node.id);
    if (snapshot) this.respond(typeUrl, snapshot, t.respond); // else answered by onSnapshot once the proxy's first snapshot is set
  }

  private transition(typeUrl: string, req: XdsRequest): Transition {
    const prev = this.subs.get(typeUrl);
    const responseNonce = req.response_nonce ?? "";
    const errorMessage = req.error_detail ? req.error_detail.message || `code ${req.error_detail.code ?? 0}` : undefined;
    const fullState = FULL_STATE_TYPES.has(typeUrl);
    if (this.protocol === "sotw") {
      const r = req as DiscoveryRequest;
      return onRequest(prev, { resourceNames: r.resource_names ?? [], responseNonce, errorMessage }, fullState, Date.now());
    }
    const r = req as DeltaDiscoveryRequest;
    return onDeltaRequest(
      prev,
      {
        subscribe: r.resource_names_subscribe ?? [],
        unsubscribe: r.resource_names_unsubscribe ?? [],
        initialVersions: r.initial_resource_versions ?? {},
        responseNonce,
        errorMessage,
      },
      fullState,
      Date.now(),
    );
  }

  /**
   * Sends `typeUrl`'s changes for its subscription; returns whether a response was written. SotW LDS/CDS responses
   * carry every subscribed resource; SotW RDS/EDS and all delta responses carry only what the client does not hold
   * (xDS protocol, "Grouping Resources into Responses"), delta ones also the names removed.
   */
  private respond(typeUrl: string, snapshot: Snapshot, respond: Respond): boolean {
    const state = this.subs.get(typeUrl);
    if (!state) return false;
    if (this.waitingBudget) {
      // Earlier responses of this stream wait for send budget: keep order (make-before-break) by waiting too.
      this.defer(typeUrl, respond);
      return false;
    }
    const typeResources = snapshot.resources(typeUrl);
    const available = typeResources.resources;
    // When the client was last brought exactly up to date from an earlier type set under the same subscription,
    // only the names that changed between the two sets can differ (computed once per pair of sets, shared by every
    // proxy of a scope): an endpoint change costs O(changed) per proxy instead of O(subscribed).
    const synced = this.synced.get(typeUrl);
    let d: Diff;
    // `covers`: the subscription includes every name of the set, so after this response the client holds it exactly.
    let covers: boolean;
    if (synced !== undefined && synced.names === state.names && synced.wildcard === state.wildcard) {
      const changedNames = synced.from === typeResources ? undefined : typeSetDelta(synced.from, typeResources);
      d = changedNames === undefined ? NO_DIFF : diffAmong(state, available, changedNames);
      covers = synced.covers && (state.wildcard || changedNames === undefined || changedNames.every((n) => !available.has(n) || hasName(state.names, n)));
    } else {
      d = diff(state, available);
      covers = state.wildcard || coversAll(state.names, available);
    }
    const delta = this.protocol === "delta";
    const complete = !delta && FULL_STATE_TYPES.has(typeUrl);
    const changed = d.updated.length > 0 || (d.removed.length > 0 && (delta || complete));
    if (!changed && respond !== "always") return false;
    let resources: CachedResource[];
    if (!complete) resources = d.updated.map((name) => available.get(name)!);
    else if (state.wildcard) resources = [...available.values()];
    else resources = state.names.flatMap((name) => available.get(name) ?? []);
    const removed = delta ? d.removed : [];
    let bytes = 64;
    for (const r of resources) bytes += r.any.value.length + r.name.length + 16;
    const budget = this.ctx.sendBudget();
    if (!budget.tryTake(bytes)) {
      this.defer(typeUrl, respond);
      return false;
    }
    const release = (): void => budget.release(bytes);

    const version = snapshot.version(typeUrl);
    const nonce = (++nonceSeq).toString(36);
    const now = Date.now();
    const next = onSent(state, { version, nonce, time: now }, { resources: resources.map((r) => [r.name, r.hash]), removed, complete }, covers ? available : undefined);
    this.subs.set(typeUrl, next);
    // Everything the diff found was sent (delta: removals too; SotW removals of non-full-state types are implicit).
    this.synced.set(typeUrl, { from: typeResources, names: next.names, wildcard: next.wildcard, covers });
    this.hold(typeUrl, version, now);
    try {
      if (delta) {
        this.call.write({
          system_version_info: version,
          resources: resources.map((r) => ({ name: r.name, version: r.hash, resource: r.any })),
          type_url: typeUrl,
          removed_resources: removed,
          nonce,
        } satisfies DeltaDiscoveryResponse, release);
      } else {
        this.call.write({ version_info: version, resources: resources.map((r) => r.any), type_url: typeUrl, nonce } satisfies DiscoveryResponse, release);
      }
    } catch (err) {
      release();
      throw err;
    }
    this.ctx.onPush(typeUrl);
    log.debug("pushed", { proxy: this.node?.id, type: shortTypeName(typeUrl), protocol: this.protocol, version, nonce, resources: resources.length, removed: removed.length });
    return true;
  }

  /** Queues a response until the send budget has room; the latest snapshot is diffed when it goes out. */
  private defer(typeUrl: string, respond: Respond): void {
    const prev = this.deferred.get(typeUrl);
    this.deferred.set(typeUrl, prev === "always" || respond === "always" ? "always" : prev === "changes" || respond === "changes" ? "changes" : "none");
    if (this.waitingBudget) return;
    this.waitingBudget = true;
    this.ctx.sendBudget().wait(() => this.onBudget());
  }

  /** Budget was released: send the deferred responses in push order, each against the latest snapshot. */
  private onBudget(): void {
    this.waitingBudget = false;
    if (this.closed) { this.deferred.clear(); return; }
    const snapshot = this.node && this.ctx.snapshot(this.node.id);
    if (!snapshot) return;
    for (const typeUrl of orderForPush([...this.deferred.keys()])) {
      const mode = this.deferred.get(typeUrl)!;
      this.deferred.delete(typeUrl);
      this.respond(typeUrl, snapshot, mode);
      if (this.waitingBudget) {
        // Deferred again: the rest stays queued behind it (respond re-deferred it already).
        return;
      }
    }
  }

  /** Records the version and time of what was sent (the resources themselves are the subscription's `known`). */
  private hold(typeUrl: string, version: string, time: number): void {
    this.held.set(typeUrl, { version, time });
  }

  /** After an ACK or NACK of the latest response of a type. */
  private answered(): void {
    if (this.anyPending()) return;
    this.checkConverged();
    const done = this.pushDone;
    this.pushDone = undefined;
    done?.();
    if (this.draining) this.close();
  }

  private anyPending(): boolean {
    for (const s of this.subs.values()) if (s.pending) return true;
    return false;
  }

  private checkConverged(): void {
    if (this.convergeSince === undefined || this.anyPending()) return;
    if (!this.nackedSinceConverge) this.ctx.onConverged(this, (performance.now() - this.convergeSince) / 1000);
    this.convergeSince = undefined;
    this.nackedSinceConverge = false;
  }

  /** Max stream age reached: end once the in-flight responses are answered, or after the grace (xDS clients reconnect). */
  private expire(graceMs: number): void {
    log.debug("max stream age reached", { proxy: this.node?.id, stream: this.streamId });
    this.draining = true;
    if (!this.anyPending()) return this.close();
    this.timer(graceMs, () => this.close());
  }

  private timer(ms: number, fn: () => void): void {
    const t = setTimeout(fn, ms);
    t.unref();
    this.timers.push(t);
  }

  private teardown(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    const done = this.pushDone;
    this.pushDone = undefined;
    done?.();
    this.ctx.detach(this);
  }
}

function orderForPush(types: readonly string[]): string[] {
  const rank = (t: string) => {
    const i = PUSH_ORDER.indexOf(t);
    return i < 0 ? PUSH_ORDER.length : i;
  };
  return [...types].sort((a, b) => rank(a) - rank(b));
}
