// H2ActiveStream: one HTTP/2 downstream stream through the HCM (the ActiveStream role for HTTP/2 and gRPC clients).

import { constants, type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerHttp2Stream } from "node:http2";
import { grpcMessage, grpcStatusForHttp, httpDate, isGrpcContentType } from "../http/local-reply.js";
import type { RequestHead } from "../http/request-head.js";
import type { ResponseHead } from "../http/response-head.js";
import type { ListenerContext } from "../http/data-plane.js";
import { DownstreamStream } from "../http/downstream-stream.js";
import type { UpstreamTarget } from "../router/route-dispatch.js";
import { upstreamUsesHttp2 } from "../router/upstream-attempt.js";
import { flattenH2Headers } from "../router/h2-upstream-request.js";

/** Response fields that are connection-specific in HTTP/2 (RFC 9113 §8.2.2) and never forwarded to an HTTP/2 client. */
function connectionSpecific(name: string): boolean {
  switch (name.length) {
    case 7: return name === "upgrade";
    case 10: return name === "connection" || name === "keep-alive";
    case 16: return name === "proxy-connection";
    case 17: return name === "transfer-encoding";
    case 29: return name === "x-envoy-upstream-service-time"; // set by this hop
    default: return false;
  }
}

const CRLF = Buffer.from("\r\n", "latin1");
const LAST_CHUNK = Buffer.from("0\r\n\r\n", "latin1");

/** One chunk of the chunked transfer coding (RFC 9112 §7.1) holding `data`. */
function encodeChunk(data: Buffer): Buffer {
  return Buffer.concat([Buffer.from(data.length.toString(16) + "\r\n", "latin1"), data, CRLF]);
}

/** The RequestHead view of an HTTP/2 request: `:authority` becomes the `host` field, pseudo-headers drop out. */
export function h2RequestHead(headers: IncomingHttpHeaders): RequestHead {
  const authority = headers[":authority"] ?? headers.host ?? "";
  const flat = flattenH2Headers(headers);
  let hasHost = false;
  for (let i = 0; i < flat.length; i += 2) if (flat[i] === "host") { hasHost = true; flat[i + 1] = authority; }
  if (!hasHost && authority !== "") flat.unshift("host", authority);
  const cl = headers["content-length"];
  return {
    method: headers[":method"] ?? "GET",
    path: headers[":path"] ?? "/",
    versionMinor: 1,
    headers: flat,
    host: authority,
    contentLength: cl === undefined ? -1 : Number(cl),
    chunked: false,
    keepAlive: true,
    expectContinue: false,
  };
}

/**
 * Created by its H2DownstreamSession per stream; lives until the stream closes. Request body chunks flow to the
 * upstream attempt with backpressure (the stream is paused, so HTTP/2 flow control holds the client); response data
 * is written with the stream's own backpressure; upstream trailers become HTTP/2 trailers. A local reply to a gRPC request is a trailers-only
 * response (`:status 200`, grpc-status from Envoy's httpToGrpcStatus, grpc-message), as Envoy sends it.
 */
export class H2ActiveStream extends DownstreamStream {
  readonly downstreamHttp2 = true;
  /** The request body goes to an HTTP/1.1 upstream without a content-length: this stream chunk-encodes it. */
  private chunkEncode = false;
  private readonly grpc: boolean;
  private trailers: OutgoingHttpHeaders | null = null;

  constructor(
    private readonly h2: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    endStream: boolean,
    listener: ListenerContext,
  ) {
    const head = h2RequestHead(headers);
    super(head, listener.resolveHcm(head), listener.dataPlane, !endStream);
    this.requestEnded = endStream;
    this.grpc = isGrpcContentType(headers["content-type"]);
    h2.on("data", (chunk: Buffer) => this.onRequestData(chunk));
    h2.on("end", () => this.onRequestEnd());
    h2.on("error", () => { /* 'close' follows */ });
    h2.on("close", () => this.onDownstreamReset());
  }

  /** UpstreamRequestStream: the client connection under the HTTP/2 session (hash policies read its addresses). */
  get downstreamSocket(): import("node:net").Socket | undefined { return this.h2.session?.socket as import("node:net").Socket | undefined; }

  /** HTTP/1.1 needs framing for a body of unknown length (Envoy's HTTP/1.1 encoder chunks it too). */
  protected override beforeUpstream(target: UpstreamTarget): void {
    if (!this.hasBody || this.head.contentLength >= 0 || upstreamUsesHttp2(this, target.cluster)) return;
    this.chunkEncode = true;
    this.head.chunked = true;
    this.head.headers.push("transfer-encoding", "chunked");
    const p = this.pendingBody;
    if (p !== null) for (let i = 0; i < p.length; i++) p[i] = encodeChunk(p[i]);
    // The body may have ended already (filters can hold decoding back): its last chunk goes with it.
    if (this.requestEnded) (this.pendingBody ??= []).push(LAST_CHUNK);
  }

  // ---- request body ----

  private onRequestData(chunk: Buffer): void {
    this.streamInfo.bytesReceived += chunk.length;
    // An empty chunk would read as the last one once chunk-encoded.
    if (this.finished || chunk.length === 0) return;
    this.forwardBody(this.chunkEncode ? encodeChunk(chunk) : chunk);
  }

  private onRequestEnd(): void {
    if (this.requestEnded) return;
    if (this.chunkEncode && !this.finished) this.forwardBody(LAST_CHUNK);
    this.endRequest();
  }

  // ---- UpstreamRequestStream ----

  pauseReading(): void { this.h2.pause(); }
  resumeReading(): void { this.h2.resume(); }

  onResponseHead(resp: ResponseHead, serviceTimeMs: number): boolean {
    if (this.finished || this.h2.destroyed) return true;
    this.beginResponse(resp);
    const out: OutgoingHttpHeaders = { ":status": resp.status };
    const h = resp.headers;
    for (let i = 0; i < h.length; i += 2) {
      const name = h[i];
      if (connectionSpecific(name)) continue;
      const prev = out[name];
      if (prev === undefined) out[name] = h[i + 1];
      else if (Array.isArray(prev)) prev.push(h[i + 1]);
      else out[name] = [String(prev), h[i + 1]];
    }
    out["x-envoy-upstream-service-time"] = String(serviceTimeMs);
    if (resp.contentLength === 0 || this.head.method === "HEAD" || resp.status === 204 || resp.status === 304) {
      // Headers-only (for gRPC: trailers-only, which a client tells apart by END_STREAM on the HEADERS frame).
      this.h2.respond(out, { endStream: true });
    } else {
      // Trailers may follow: the stream stays open after the last DATA frame until onResponseEnd decides. Empty
      // trailers make Node send an empty DATA frame with END_STREAM instead.
      this.h2.respond(out, { waitForTrailers: true });
      this.h2.once("wantTrailers", () => this.h2.sendTrailers(this.trailers ?? {}));
    }
    // HTTP/2 carries no chunked framing: ask the HTTP/1.1 upstream codec for de-chunked payload.
    return true;
  }

  onResponseData(buf: Buffer, start: number, end: number): void {
    if (this.finished || this.h2.destroyed) return;
    const chunk = start === 0 && end === buf.length ? buf : buf.subarray(start, end);
    this.streamInfo.bytesSent += chunk.length;
    if (!this.h2.write(chunk)) this.upstreamBackpressure(this.h2);
  }

  onResponseTrailers(trailers: string[]): void {
    if (trailers.length === 0) return;
    const t: OutgoingHttpHeaders = {};
    for (let i = 0; i < trailers.length; i += 2) t[trailers[i]] = trailers[i + 1];
    this.trailers = t;
  }

  onResponseEnd(): void {
    if (this.finished) return;
    if (!this.h2.destroyed && !this.h2.writableEnded) this.h2.end();
    this.complete();
  }

  flushResponse(): void { /* nghttp2 batches frames per tick itself */ }

  // ---- local replies and completion ----

  protected writeLocalReply(status: number, body: string, headers: string[]): void {
    const bytes = this.grpc ? 0 : Buffer.byteLength(body);
    this.encodeLocalReplyHeaders(status, headers, bytes, true);
    if (this.h2.destroyed) return;
    let out: OutgoingHttpHeaders;
    if (this.grpc) {
      // Envoy's gRPC local reply: trailers-only, HTTP 200, the status mapped to grpc-status.
      out = { ":status": 200, "content-type": "application/grpc", "grpc-status": String(grpcStatusForHttp(status)) };
      if (body !== "") out["grpc-message"] = grpcMessage(body);
    } else {
      out = { ":status": status, "content-length": String(bytes), date: httpDate(), server: "envoy" };
      if (bytes > 0) out["content-type"] = "text/plain";
    }
    for (let i = 0; i < headers.length; i += 2) out[headers[i]] = headers[i + 1];
    const headOnly = bytes === 0 || this.head.method === "HEAD";
    this.h2.respond(out, { endStream: headOnly });
    if (!headOnly) this.h2.end(body);
    this.streamInfo.bytesSent += bytes;
  }

  protected onFinished(reset: boolean): void {
    if (reset && !this.h2.destroyed) this.h2.close(constants.NGHTTP2_INTERNAL_ERROR);
  }
}
