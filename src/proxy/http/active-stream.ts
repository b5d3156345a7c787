// ActiveStream: one downstream request through the HCM: headers the proxy adds, filters, routing, response writing.

import { FilterManager, type FilterManagerStream } from "./filter-manager.js";
import { localReplyBytes, reasonPhrase } from "./local-reply.js";
import { requestId } from "./request-id.js";
import type { RequestHead } from "./request-head.js";
import type { ResponseHead } from "./response-head.js";
import { ResponseFlag, StreamInfo } from "./stream-info.js";
import type { DataPlane } from "./data-plane.js";
import type { HttpConnectionManagerConfig } from "./http-connection-manager-config.js";
import type { RouteEntry } from "../router/route-entry.js";
import { finalizeResponse } from "../router/route-finalizer.js";
import { dispatchRoute } from "../router/route-dispatch.js";
import type { UpstreamRequestStream } from "../router/upstream-request.js";
import type { UpstreamAttempt } from "../router/upstream-attempt.js";
import { newRouterRequest } from "../router/router-request.js";

/** What a stream needs from its downstream connection. */
export interface StreamConnection {
  readonly socket: import("node:net").Socket;
  pauseReading(): void;
  resumeReading(): void;
  /** The response is complete (or the stream was reset when `reset`); the connection decides what is next. */
  streamComplete(close: boolean, reset: boolean): void;
  /**
   * The upstream accepted the upgrade (101 relayed): every later downstream byte is tunnel payload for
   * onRequestData, and the peer's half-close arrives as onRequestEnd. HTTP/1.1 connections only.
   */
  upgraded?(): void;
}

/** Body bytes queued before the upstream is ready, beyond which the downstream is paused. */
const MAX_PENDING_BODY = 1024 * 1024;

/** How response bytes are framed downstream; Tunnel: raw bytes after a relayed 101 until either side closes. */
const enum Mode { Passthrough, ChunkEncode, Dechunk, CloseDelimited, Tunnel }

const CRLF = Buffer.from("\r\n");
const LAST_CHUNK = Buffer.from("0\r\n\r\n");

export class ActiveStream implements FilterManagerStream, UpstreamRequestStream {
  readonly streamInfo = new StreamInfo();
  requestEnded = false;
  private fm: FilterManager | null = null;
  private upstream: UpstreamAttempt | null = null;
  private routeEntry: RouteEntry | undefined;
  private routeResolved = false;
  /** The weighted cluster chosen (route-finalizer's index), -1 before routing upstream. */
  private clusterIndex = -1;
  private pendingBody: Buffer[] | null = null;
  private pendingBytes = 0;
  private responseStarted = false;
  private finished = false;
  private mode = Mode.Passthrough;
  private close: boolean;
  private responsePaused = false;
  /** The downstream socket is corked from the response head until the end of that upstream read (or of the response). */
  private corked = false;
  /** Trailers to write after the last chunk (ChunkEncode mode with http_protocol_options.enable_trailers only). */
  private trailers: string[] | null = null;

  constructor(
    private readonly conn: StreamConnection,
    readonly head: RequestHead,
    private readonly hcm: HttpConnectionManagerConfig | undefined,
    private readonly dataPlane: DataPlane,
    private readonly hasBody: boolean,
  ) {
    this.close = !head.keepAlive;
  }

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
    if (this.head.expectContinue) this.conn.socket.write("HTTP/1.1 100 Continue\r\n\r\n");
    if (hcm.filterFactories.length === 0) {
      this.decodingComplete();
    } else {
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
    if (this.head.upgrade && !hcm.allowsUpgrade(this.head.upgrade, entry.action.kind === "cluster" ? entry.action.raw.upgrade_configs : undefined)) {
      // Envoy: an upgrade the HCM does not enable gets 403 on a matched route, and the connection closes
      // (its payload could smuggle a request).
      hcm.stats.downstream_rq_ws_on_non_ws_route++;
      this.close = true;
      this.sendLocalReply(403, "", 0);
      return;
    }
    const target = dispatchRoute(this, hcm, entry, this.dataPlane);
    if (target === undefined) return;
    this.clusterIndex = target.clusterIndex;
    this.upstream = newRouterRequest(this, target.cluster, target.action, this.hasBody, entry, this.dataPlane);
    this.upstream.start();
  }

  /** The route for this request, resolved on first use (by a filter or the router) and cached. */
  route(): RouteEntry | undefined {
    if (!this.routeResolved) {
      this.routeResolved = true;
      this.routeEntry = this.dataPlane.routeTable(this.hcm!)?.match(this.head);
    }
    return this.routeEntry;
  }

  // ---- request body from the downstream connection ----

  onRequestData(buf: Buffer, start: number, end: number): void {
    this.streamInfo.bytesReceived += end - start;
    if (this.finished) return;
    const chunk = start === 0 && end === buf.length ? buf : buf.subarray(start, end);
    const up = this.upstream;
    if (up !== null && up.attached) {
      up.writeBody(chunk);
      return;
    }
    if (this.pendingBody === null) this.pendingBody = [];
    this.pendingBody.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes > MAX_PENDING_BODY) this.conn.pauseReading();
  }

  onRequestEnd(): void {
    this.requestEnded = true;
    const up = this.upstream;
    if (!this.finished && up !== null && up.attached) up.endBody();
  }

  /** The downstream connection closed before the response completed (DC). */
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
      if (this.pendingBytes > MAX_PENDING_BODY) this.conn.resumeReading();
      this.pendingBytes = 0;
    }
    return p;
  }

  pauseReading(): void { this.conn.pauseReading(); }
  resumeReading(): void { this.conn.resumeReading(); }
  setResponseFlag(flag: number): void { this.streamInfo.setResponseFlag(flag); }
  setUpstream(cluster: string, host: string): void {
    this.streamInfo.upstreamCluster = cluster;
    this.streamInfo.upstreamHost = host;
  }

  onResponseHead(resp: ResponseHead, serviceTimeMs: number): boolean {
    if (this.finished) return false;
    // The router is the first encoder: the route's response header edits come before other filters'.
    if (this.clusterIndex >= 0 && this.routeEntry !== undefined) finalizeResponse(this.routeEntry, this.clusterIndex, resp.headers);
    this.fm?.encodeHeaders(resp, false);
    this.responseStarted = true;
    this.streamInfo.responseCode = resp.status;
    const http10 = this.head.versionMinor === 0;
    const bodyless = this.head.method === "HEAD" || resp.status === 204 || resp.status === 304;
    const tunnel = resp.status === 101 && !!this.head.upgrade;
    if (tunnel) this.mode = Mode.Tunnel;
    else if (bodyless || resp.contentLength >= 0) this.mode = Mode.Passthrough;
    else if (resp.chunked) this.mode = http10 ? Mode.Dechunk : Mode.Passthrough;
    else this.mode = http10 ? Mode.CloseDelimited : Mode.ChunkEncode;
    // After a tunnel, or a refused upgrade (the client may already be sending upgrade payload), the connection closes.
    if (this.mode === Mode.Dechunk || this.mode === Mode.CloseDelimited || this.head.upgrade) this.close = true;

    let s = `HTTP/1.1 ${resp.status} ${reasonPhrase(resp.status)}\r\n`;
    const h = resp.headers;
    for (let i = 0; i < h.length; i += 2) {
      const name = h[i];
      if (name.length === 10 && (name === "connection" || name === "keep-alive")) continue;
      if (name.length === 17 && name === "transfer-encoding") continue;
      if (name.length === 16 && name === "proxy-connection") continue;
      // Set below by this hop, replacing any upstream value (Envoy's router overwrites it too).
      if (name.length === 29 && name === "x-envoy-upstream-service-time") continue;
      s += `${name}: ${h[i + 1]}\r\n`;
    }
    if (!bodyless && (this.mode === Mode.ChunkEncode || (this.mode === Mode.Passthrough && resp.chunked))) s += "transfer-encoding: chunked\r\n";
    if (tunnel) {
      // No service time on a 101: Envoy's router sets it only once the downstream request is complete, which an upgrade never is.
      s += "connection: upgrade\r\n";
    } else {
      s += `x-envoy-upstream-service-time: ${serviceTimeMs}\r\n`;
      if (this.close) s += "connection: close\r\n";
      else if (http10) s += "connection: keep-alive\r\n";
    }
    s += "\r\n";
    const socket = this.conn.socket;
    socket.cork();
    this.corked = true;
    socket.write(s, "latin1");
    this.streamInfo.bytesSent += s.length;
    if (tunnel) this.conn.upgraded?.();
    return this.mode === Mode.Dechunk;
  }

  onResponseData(buf: Buffer, start: number, end: number): void {
    if (this.finished) return;
    const socket = this.conn.socket;
    const chunk = start === 0 && end === buf.length ? buf : buf.subarray(start, end);
    this.streamInfo.bytesSent += chunk.length;
    let ok: boolean;
    if (this.mode === Mode.ChunkEncode) {
      // One writev for size line, payload and CRLF (a no-op nesting while the response head's cork is held).
      socket.cork();
      socket.write(chunk.length.toString(16) + "\r\n", "latin1");
      socket.write(chunk);
      ok = socket.write(CRLF);
      socket.uncork();
    } else {
      ok = socket.write(chunk);
    }
    if (!ok) this.upstreamBackpressure(socket);
  }

  /** Trailers reach an HTTP/1.1 client only inside a chunked body this hop encodes, and only when enabled (Envoy drops them otherwise). */
  onResponseTrailers(trailers: string[]): void {
    if (this.mode === Mode.ChunkEncode && this.hcm?.http1EnableTrailers === true && trailers.length > 0) this.trailers = trailers;
  }

  onResponseEnd(): void {
    if (this.finished) return;
    if (this.mode === Mode.ChunkEncode) {
      const t = this.trailers;
      if (t === null) {
        this.conn.socket.write(LAST_CHUNK);
      } else {
        let s = "0\r\n";
        for (let i = 0; i < t.length; i += 2) s += `${t[i]}: ${t[i + 1]}\r\n`;
        this.conn.socket.write(s + "\r\n", "latin1");
      }
    }
    this.flushResponse();
    this.complete();
  }

  flushResponse(): void {
    if (this.corked) {
      this.corked = false;
      this.conn.socket.uncork();
    }
  }

  upstreamFailure(status: number, body: string, flag: number): void {
    if (this.finished) return;
    if (this.responseStarted || status === 0) {
      this.streamInfo.setResponseFlag(flag);
      this.reset();
      return;
    }
    this.sendLocalReply(status, body, flag);
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
    if (!this.requestEnded) this.close = true;
    const headers = extraHeaders ?? [];
    if (this.fm !== null) {
      const resp: ResponseHead = { status, versionMinor: 1, headers, contentLength: Buffer.byteLength(body), chunked: false, keepAlive: !this.close };
      this.fm.encodeHeaders(resp, body.length === 0);
    }
    const bytes = localReplyBytes(status, body, this.close, headers, this.head.method === "HEAD");
    this.streamInfo.bytesSent += bytes.length;
    this.conn.socket.write(bytes);
    this.complete();
  }

  private reset(): void {
    this.upstream?.abort();
    this.finished = true;
    this.recordCompletion();
    this.conn.streamComplete(true, true);
  }

  private complete(): void {
    this.finished = true;
    this.recordCompletion();
    this.conn.streamComplete(this.close || !this.requestEnded, false);
  }

  private recordCompletion(): void {
    const hcm = this.hcm;
    if (hcm !== undefined) {
      const code = this.streamInfo.responseCode;
      if (code >= 100 && code < 600) hcm.stats.downstream_rq_by_class[(code / 100) | 0]++;
      hcm.stats.downstream_rq_active--;
    }
    this.fm?.onStreamComplete();
  }

  /** Downstream socket buffer full: stop reading the upstream until it drains. */
  private upstreamBackpressure(socket: import("node:net").Socket): void {
    const up = this.upstream;
    if (up === null || this.responsePaused) return;
    this.responsePaused = true;
    up.pauseResponse();
    socket.once("drain", () => { this.responsePaused = false; up.resumeResponse(); });
  }
}

