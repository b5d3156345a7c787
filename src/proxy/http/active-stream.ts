// ActiveStream: one HTTP/1.1 downstream request through the HCM: DownstreamStream's routing, written as HTTP/1.1 framing.

import { localReplyBytes, reasonPhrase } from "./local-reply.js";
import type { RequestHead } from "./request-head.js";
import type { ResponseHead } from "./response-head.js";
import type { DataPlane } from "./data-plane.js";
import type { HttpConnectionManagerConfig } from "./http-connection-manager-config.js";
import { DownstreamStream } from "./downstream-stream.js";
import type { RouteEntry } from "../router/route-entry.js";

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

/** How response bytes are framed downstream; Tunnel: raw bytes after a relayed 101 until either side closes. */
const enum Mode { Passthrough, ChunkEncode, Dechunk, CloseDelimited, Tunnel }

const CRLF = Buffer.from("\r\n");
const LAST_CHUNK = Buffer.from("0\r\n\r\n");

export class ActiveStream extends DownstreamStream {
  private mode = Mode.Passthrough;
  private close: boolean;
  /** The downstream socket is corked from the response head until the end of that upstream read (or of the response). */
  private corked = false;
  /** Trailers to write after the last chunk (ChunkEncode mode with http_protocol_options.enable_trailers only). */
  private trailers: string[] | null = null;

  constructor(
    private readonly conn: StreamConnection,
    head: RequestHead,
    hcm: HttpConnectionManagerConfig | undefined,
    dataPlane: DataPlane,
    hasBody: boolean,
  ) {
    super(head, hcm, dataPlane, hasBody);
    this.close = !head.keepAlive;
  }

  /** UpstreamRequestStream: the client connection (hash policies read its addresses). */
  get downstreamSocket(): import("node:net").Socket { return this.conn.socket; }

  protected override beforeFilters(): void {
    if (this.head.expectContinue) this.conn.socket.write("HTTP/1.1 100 Continue\r\n\r\n");
  }

  protected override admitRoute(hcm: HttpConnectionManagerConfig, entry: RouteEntry): boolean {
    if (this.head.upgrade && !hcm.allowsUpgrade(this.head.upgrade, entry.action.kind === "cluster" ? entry.action.raw.upgrade_configs : undefined)) {
      // Envoy: an upgrade the HCM does not enable gets 403 on a matched route, and the connection closes
      // (its payload could smuggle a request).
      hcm.stats.downstream_rq_ws_on_non_ws_route++;
      this.close = true;
      this.sendLocalReply(403, "", 0);
      return false;
    }
    return true;
  }

  // ---- request body from the downstream connection ----

  onRequestData(buf: Buffer, start: number, end: number): void {
    this.streamInfo.bytesReceived += end - start;
    if (this.finished) return;
    this.forwardBody(start === 0 && end === buf.length ? buf : buf.subarray(start, end));
  }

  onRequestEnd(): void {
    this.endRequest();
  }

  // ---- UpstreamRequestStream ----

  pauseReading(): void { this.conn.pauseReading(); }
  resumeReading(): void { this.conn.resumeReading(); }

  onResponseHead(resp: ResponseHead, serviceTimeMs: number): boolean {
    if (this.finished) return false;
    this.beginResponse(resp);
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

  // ---- local replies and completion ----

  protected writeLocalReply(status: number, body: string, headers: string[]): void {
    if (!this.requestEnded) this.close = true;
    this.encodeLocalReplyHeaders(status, headers, Buffer.byteLength(body), !this.close);
    const bytes = localReplyBytes(status, body, this.close, headers, this.head.method === "HEAD");
    this.streamInfo.bytesSent += bytes.length;
    this.conn.socket.write(bytes);
  }

  protected onFinished(reset: boolean): void {
    this.conn.streamComplete(reset || this.close || !this.requestEnded, reset);
  }
}
