// DownstreamStream: the protocol-independent part of one downstream request through the HCM (HTTP/1.1 and HTTP/2 subclass it).

import type { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import { FilterManager, type FilterManagerStream } from "./filter-manager.js";
import { requestId } from "./request-id.js";
import type { RequestHead } from "./request-head.js";
import type { ResponseHead } from "./response-head.js";
import { ResponseFlag, StreamInfo } from "./stream-info.js";
import type { DataPlane } from "./data-plane.js";
import type { HttpConnectionManagerConfig } from "./http-connection-manager-config.js";
import type { RouteEntry } from "../router/route-entry.js";
import type { Cluster } from "../upstream/cluster.js";
import { finalizeResponse } from "../router/route-finalizer.js";
import { dispatchRoute, type UpstreamTarget } from "../router/route-dispatch.js";
import type { UpstreamRequestStream } from "../router/upstream-request.js";
import type { UpstreamAttempt } from "../router/upstream-attempt.js";
import { newRouterRequest } from "../router/router-request.js";
import { socketConnectionInfo } from "./connection-info.js";

/** Body bytes queued before the upstream is ready, beyond which the downstream stops reading. */
const MAX_PENDING_BODY = 1024 * 1024;

/**
 * Owns what Envoy's ActiveStream does whatever the codec: the headers this hop adds, the filter chain, route
 * resolution and dispatch, the RouterRequest, the request body queued until the upstream attaches, local-reply
 * and failure bookkeeping, completion stats. A subclass writes the response on its wire (onResponseHead/Data/End,
 * writeLocalReply) and says what completion and reset mean for its connection (onFinished).
 */
export abstract class DownstreamStream implements FilterManagerStream, UpstreamRequestStream {
  readonly streamInfo = new StreamInfo();
  requestEnded = false;
  protected fm: FilterManager | null = null;
  protected upstream: UpstreamAttempt | null = null;
  protected routeEntry: RouteEntry | undefined;
  private routeResolved = false;
  /** The weighted cluster chosen (route-finalizer's index), -1 before routing upstream. */
  protected clusterIndex = -1;
  protected pendingBody: Buffer[] | null = null;
  private pendingBytes = 0;
  protected responseStarted = false;
  protected finished = false;
  private responsePaused = false;

  constructor(
    readonly head: RequestHead,
    protected readonly hcm: HttpConnectionManagerConfig | undefined,
    protected readonly dataPlane: DataPlane,
    protected readonly hasBody: boolean,
  ) {}

  /** The downstream connection's socket (its addresses, and TLS peer once the listener terminates TLS). */
  abstract readonly downstreamSocket: Socket | undefined;

  /** Runs the request headers through the HCM: adds x-request-id / x-forwarded-proto, filters, then routes. */
  start(): void {
    const hcm = this.hcm;
    if (hcm === undefined) {
      this.sendLocalReply(404, "", ResponseFlag.NoRouteFound);
      return;
    }
    hcm.stats.downstream_rq_total++;
    hcm.stats.downstream_rq_active++;
    const h = this.head.headers;
    let hasRequestId = false;
    let hasProto = false;
    for (let i = 0; i < h.length; i += 2) {
      if (h[i] === "x-request-id") hasRequestId = true;
      else if (h[i] === "x-forwarded-proto") hasProto = true;
    }
    if (!hasRequestId) h.push("x-request-id", requestId());
    if (!hasProto) h.push("x-forwarded-proto", "http");
    this.beforeFilters();
    if (hcm.filterFactories.length === 0) {
      this.decodingComplete();
    } else {
      this.streamInfo.downstream = socketConnectionInfo(this.downstreamSocket);
      this.fm = new FilterManager(hcm.filterFactories, this);
      this.fm.decodeHeaders(this.head, !this.hasBody);
    }
  }

  /** Routes the request (the router filter's decodeHeaders). */
  decodingComplete(): void {
    const hcm = this.hcm!;
    const entry = this.route();
    if (entry === undefined) {
      hcm.stats.no_route++;
      this.sendLocalReply(404, "", ResponseFlag.NoRouteFound);
      return;
    }
    if (!this.admitRoute(hcm, entry)) return;
    const target = dispatchRoute(this, hcm, entry, this.dataPlane);
    if (target === undefined) return;
    this.clusterIndex = target.clusterIndex;
    this.beforeUpstream(target);
    this.upstream = newRouterRequest(this, target.cluster, target.action, this.hasBody, entry, this.dataPlane);
    this.upstream.start();
  }

  /** The route for this request, resolved on first use (by a filter or the router) and cached. */
  route(): RouteEntry | undefined {
    if (!this.routeResolved) {
      this.routeResolved = true;
      this.routeEntry = this.hcm === undefined ? undefined : this.dataPlane.routeTable(this.hcm)?.match(this.head);
    }
    return this.routeEntry;
  }

  /** FilterManagerStream: a cluster of the proxy (for filters that call out). */
  cluster(name: string): Cluster | undefined { return this.dataPlane.cluster(name); }

  // ---- hooks for the codec (per request, not per chunk) ----

  /** After the HCM's own request headers, before the filters (HTTP/1.1: 100-continue). */
  protected beforeFilters(): void {}
  /** False when the codec answered the request itself instead of routing it (HTTP/1.1: a refused upgrade). */
  protected admitRoute(_hcm: HttpConnectionManagerConfig, _entry: RouteEntry): boolean { return true; }
  /** The upstream target is known, the RouterRequest not made yet (HTTP/2: chunk-encode a body for HTTP/1.1). */
  protected beforeUpstream(_target: UpstreamTarget): void {}

  // ---- request body ----

  /** A request body chunk: to the attached upstream, else queued (pausing the downstream past MAX_PENDING_BODY). */
  protected forwardBody(chunk: Buffer): void {
    const up = this.upstream;
    if (up !== null && up.attached) {
      up.writeBody(chunk);
      return;
    }
    if (this.pendingBody === null) this.pendingBody = [];
    this.pendingBody.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes > MAX_PENDING_BODY) this.pauseReading();
  }

  /** The request body ended downstream. */
  protected endRequest(): void {
    this.requestEnded = true;
    const up = this.upstream;
    if (!this.finished && up !== null && up.attached) up.endBody();
  }

  /** The downstream went away (connection closed, stream reset) before the response completed (DC). */
  onDownstreamReset(): void {
    if (this.finished) return;
    this.streamInfo.setResponseFlag(ResponseFlag.DownstreamConnectionTermination);
    this.upstream?.abort();
    this.complete();
  }

  // ---- UpstreamRequestStream ----

  takePendingBody(): Buffer[] | null {
    const p = this.pendingBody;
    if (p !== null) {
      this.pendingBody = null;
      if (this.pendingBytes > MAX_PENDING_BODY) this.resumeReading();
      this.pendingBytes = 0;
    }
    return p;
  }

  abstract pauseReading(): void;
  abstract resumeReading(): void;
  setResponseFlag(flag: number): void { this.streamInfo.setResponseFlag(flag); }
  setUpstream(cluster: string, host: string): void {
    this.streamInfo.upstreamCluster = cluster;
    this.streamInfo.upstreamHost = host;
  }

  abstract onResponseHead(resp: ResponseHead, serviceTimeMs: number): boolean;
  abstract onResponseData(buf: Buffer, start: number, end: number): void;
  abstract onResponseEnd(): void;
  abstract flushResponse(): void;

  upstreamFailure(status: number, body: string, flag: number): void {
    if (this.finished) return;
    if (this.responseStarted || status === 0) {
      this.streamInfo.setResponseFlag(flag);
      this.reset();
      return;
    }
    // A circuit breaker refused the request (Envoy router onUpstreamAbort with `dropped`): x-envoy-overloaded.
    this.sendLocalReply(status, body, flag, flag === ResponseFlag.UpstreamOverflow ? ["x-envoy-overloaded", "true"] : undefined);
  }

  /** The upstream response head before the codec writes it: the router's then the filters' response edits, stats. */
  protected beginResponse(resp: ResponseHead): void {
    // The router is the first encoder: the route's response header edits come before other filters'.
    if (this.clusterIndex >= 0 && this.routeEntry !== undefined) finalizeResponse(this.routeEntry, this.clusterIndex, resp.headers);
    this.fm?.encodeHeaders(resp, false);
    this.responseStarted = true;
    this.streamInfo.responseCode = resp.status;
  }

  /** The downstream cannot take more response bytes: stop reading the upstream until `downstream` drains. */
  protected upstreamBackpressure(downstream: EventEmitter): void {
    const up = this.upstream;
    if (up === null || this.responsePaused) return;
    this.responsePaused = true;
    up.pauseResponse();
    downstream.once("drain", () => { this.responsePaused = false; up.resumeResponse(); });
  }

  // ---- local replies and completion ----

  sendLocalReply(status: number, body: string, responseFlags: number, extraHeaders?: string[]): void {
    if (this.finished) return;
    this.streamInfo.setResponseFlag(responseFlags);
    if (this.responseStarted) {
      this.reset();
      return;
    }
    this.upstream?.abort();
    this.responseStarted = true;
    this.streamInfo.responseCode = status;
    this.writeLocalReply(status, body, extraHeaders ?? []);
    this.complete();
  }

  /** Writes a local reply on the wire (the filters' encodeHeaders through encodeLocalReplyHeaders first); completion follows. */
  protected abstract writeLocalReply(status: number, body: string, headers: string[]): void;

  /** The filters' encodeHeaders for a local reply of `contentLength` body bytes. */
  protected encodeLocalReplyHeaders(status: number, headers: string[], contentLength: number, keepAlive: boolean): void {
    if (this.fm === null) return;
    const resp: ResponseHead = { status, versionMinor: 1, headers, contentLength, chunked: false, keepAlive };
    this.fm.encodeHeaders(resp, contentLength === 0);
  }

  /** Aborts the upstream and resets the downstream stream (a response already started cannot become a local reply). */
  protected reset(): void {
    this.upstream?.abort();
    this.finish(true);
  }

  /** The response is complete downstream. */
  protected complete(): void {
    this.finish(false);
  }

  private finish(reset: boolean): void {
    if (this.finished) return;
    this.finished = true;
    const hcm = this.hcm;
    if (hcm !== undefined) {
      const code = this.streamInfo.responseCode;
      if (code >= 100 && code < 600) hcm.stats.downstream_rq_by_class[(code / 100) | 0]++;
      hcm.stats.downstream_rq_active--;
    }
    this.fm?.onStreamComplete();
    this.onFinished(reset);
  }

  /** The stream completed (or was reset when `reset`): what that means for the codec's connection. */
  protected abstract onFinished(reset: boolean): void;
}
