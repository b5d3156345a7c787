// One request over a multiplexed HTTP/2 upstream connection: the UpstreamAttempt for clusters that speak HTTP/2.

import { constants, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders } from "node:http2";
import { ChunkedDecoder } from "../http/chunked-decoder.js";
import { ResponseFlag } from "../http/stream-info.js";
import type { RequestHead } from "../http/request-head.js";
import type { ResponseHead } from "../http/response-head.js";
import type { Cluster } from "../upstream/cluster.js";
import type { H2Connection } from "../upstream/h2-connection-pool.js";
import type { PoolCallbacks, PoolFailure } from "../upstream/host-pool.js";
import { OutlierResult } from "../upstream/outlier/host-outlier-state.js";
import { grpcToHttpStatus } from "../upstream/outlier/grpc-to-http-status.js";
import type { ClusterAction } from "./route-entry.js";
import type { UpstreamAttempt } from "./upstream-attempt.js";
import type { UpstreamRequestStream } from "./upstream-request.js";
import { CONNECT_FAILURE, UpstreamAttemptBase } from "./upstream-attempt-base.js";

const CONNECTION_TERMINATION = "upstream connect error or disconnect/reset before headers. reset reason: connection termination";
const REMOTE_RESET = "upstream connect error or disconnect/reset before headers. reset reason: remote reset";

/**
 * Request fields HTTP/2 forbids or carries as pseudo-headers (RFC 9113 §8.2.2): connection-specific fields are
 * dropped, `host` becomes `:authority`, and `te` survives only as "trailers" (which gRPC requires).
 */
function dropForH2(name: string, value: string): boolean {
  switch (name.length) {
    case 2: return name === "te" && value.toLowerCase() !== "trailers";
    case 4: return name === "host";
    case 7: return name === "upgrade";
    case 10: return name === "connection" || name === "keep-alive";
    case 16: return name === "proxy-connection";
    case 17: return name === "transfer-encoding";
    default: return false;
  }
}

/** The HTTP/2 request headers for `head` (already finalized for its route: path and host rewritten). */
export function h2RequestHeaders(head: RequestHead): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { ":method": head.method, ":path": head.path, ":scheme": "http" };
  let authority = head.host;
  const h = head.headers;
  for (let i = 0; i < h.length; i += 2) {
    const name = h[i];
    const value = h[i + 1];
    if (name.length === 4 && name === "host") { authority = value; continue; }
    if (dropForH2(name, value)) continue;
    const prev = out[name];
    if (prev === undefined) out[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[name] = [String(prev), value];
  }
  out[":authority"] = authority;
  return out;
}

/** Node's header object → flat lowercase [name, value, ...] without pseudo-headers. */
export function flattenH2Headers(headers: IncomingHttpHeaders): string[] {
  const out: string[] = [];
  for (const name in headers) {
    if (name.charCodeAt(0) === 58 /* ":" */) continue;
    const v = headers[name];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (let i = 0; i < v.length; i++) out.push(name, v[i]);
    else out.push(name, String(v));
  }
  return out;
}

export class H2UpstreamRequest extends UpstreamAttemptBase implements UpstreamAttempt, PoolCallbacks<H2Connection> {
  private conn: H2Connection | undefined;
  /** Asked the host's pool for a stream and not answered yet (pending in its queue). */
  private waiting = false;
  private req: ClientHttp2Stream | null = null;
  private responseStarted = false;
  private waitingDrain = false;
  /**
   * A chunked body (an HTTP/1.1 downstream's, or one an H2ActiveStream encoded for an HTTP/1.1 main cluster) arrives
   * with its framing; HTTP/2 DATA frames carry the payload only.
   */
  private readonly dechunker: ChunkedDecoder | null;
  private readonly writePayload = (buf: Buffer, start: number, end: number): void => {
    if (end > start) this.writeFrame(buf.subarray(start, end));
  };

  constructor(stream: UpstreamRequestStream, cluster: Cluster, action: ClusterAction, hasBody: boolean) {
    super(stream, cluster, action, hasBody);
    this.dechunker = stream.head.chunked ? new ChunkedDecoder() : null;
  }

  get attached(): boolean { return this.req !== null; }

  start(): void {
    const host = this.pickHost();
    if (host === undefined) return;
    this.begin(host);
    this.waiting = true;
    host.h2Pool.newStream(this);
  }

  /** PoolCallbacks: a circuit breaker refused the request (503 UO) or its connection failed (503 UF). */
  onPoolFailure(reason: PoolFailure): void {
    this.waiting = false;
    this.failPool(reason);
  }

  /** PoolCallbacks: the pool gave this request a stream slot on `conn`: opens the stream. */
  onPoolReady(conn: H2Connection): void {
    this.waiting = false;
    this.conn = conn;
    this.track();

    const pending = this.stream.takePendingBody();
    const endStream = this.stream.requestEnded && (pending === null || !this.hasBody);
    let req: ClientHttp2Stream;
    try {
      req = conn.session.request(h2RequestHeaders(this.stream.head), { endStream });
    } catch {
      // The session went away between the pool's choice and request() (GOAWAY/close in the same tick).
      this.fail(503, CONNECTION_TERMINATION, ResponseFlag.UpstreamConnectionTermination);
      return;
    }
    this.req = req;
    req.on("response", (headers, flags) => this.onResponse(headers, flags));
    req.on("data", (chunk: Buffer) => {
      if (this.done) return;
      this.stream.onResponseData(chunk, 0, chunk.length);
      this.stream.flushResponse();
    });
    req.on("trailers", (trailers) => { if (!this.done) this.stream.onResponseTrailers?.(flattenH2Headers(trailers)); });
    req.on("end", () => this.onEnd());
    req.on("error", () => { /* 'close' follows with the reset code */ });
    req.on("close", () => this.onClose());
    if (pending !== null && !endStream) {
      for (let i = 0; i < pending.length; i++) this.writeBody(pending[i]);
      if (this.stream.requestEnded) req.end();
    }
  }

  writeBody(chunk: Buffer): void {
    if (this.dechunker === null) this.writeFrame(chunk);
    else this.dechunker.feed(chunk, 0, chunk.length, this.writePayload);
  }

  private writeFrame(chunk: Buffer): void {
    const req = this.req!;
    if (!req.write(chunk) && !this.waitingDrain) {
      this.waitingDrain = true;
      this.stream.pauseReading();
      req.once("drain", () => { this.waitingDrain = false; this.stream.resumeReading(); });
    }
  }

  endBody(): void {
    const req = this.req!;
    if (!req.writableEnded) req.end();
  }

  pauseResponse(): void { this.req?.pause(); }
  resumeResponse(): void { this.req?.resume(); }

  abort(): void {
    if (this.done) return;
    const req = this.req;
    this.cleanup();
    req?.close(constants.NGHTTP2_CANCEL);
  }

  onDeadline(): void {
    if (this.done) return;
    this.cluster.stats.upstream_rq_timeout++;
    const req = this.req;
    this.fail(504, "upstream request timeout", ResponseFlag.UpstreamRequestTimeout);
    req?.close(constants.NGHTTP2_CANCEL);
  }

  private onResponse(headers: IncomingHttpHeaders, flags: number): void {
    if (this.done) return;
    const status = Number(headers[":status"]);
    if (status < 200) return; // interim (1xx) headers are not forwarded
    this.responseStarted = true;
    const flat = flattenH2Headers(headers);
    const cl = headers["content-length"];
    // A headers-only response (gRPC's trailers-only) reads as an empty body, so an HTTP/2 downstream ends it on
    // HEADERS too; an HTTP/1.1 downstream gets `content-length: 0` as Envoy's HTTP/1.1 encoder adds it.
    const endStream = (flags & constants.NGHTTP2_FLAG_END_STREAM) !== 0;
    const contentLength = endStream ? 0 : cl === undefined ? -1 : Number(cl);
    if (endStream && cl === undefined && status !== 204 && status !== 304 && this.stream.downstreamHttp2 !== true) flat.push("content-length", "0");
    const head: ResponseHead = { status, versionMinor: 1, headers: flat, contentLength, chunked: false, keepAlive: true };
    this.cluster.stats.recordResponseCode(status);
    // A grpc-status in the response headers (trailers-only) is what outlier detection counts (Envoy router.cc).
    const outlier = this.host!.outlier;
    if (outlier !== null) {
      const grpcStatus = headers["grpc-status"];
      outlier.putHttpResponseCode(grpcStatus === undefined ? status : grpcToHttpStatus(Number(grpcStatus)));
    }
    this.stream.onResponseHead(head, this.serviceTimeMs());
    if (endStream) this.onEnd();
  }

  private onEnd(): void {
    if (this.done || !this.responseStarted) return;
    this.cleanup();
    const req = this.req;
    // The response is complete; a request body still being sent is not wanted any more (Envoy resets it too).
    if (req !== null && !req.writableEnded) req.close(constants.NGHTTP2_NO_ERROR);
    this.stream.onResponseEnd();
  }

  private onClose(): void {
    if (this.done) return;
    const req = this.req!;
    const connected = this.conn!.connected;
    if (!connected) return this.fail(503, CONNECT_FAILURE, ResponseFlag.UpstreamConnectionFailure);
    // Only the peer can have closed it here (abort and timeout clean up first): RST_STREAM, or the whole connection.
    const session = this.conn!.session;
    const remoteReset = !session.destroyed && !session.closed && req.rstCode !== constants.NGHTTP2_NO_ERROR;
    const flag = remoteReset ? ResponseFlag.UpstreamRemoteReset : ResponseFlag.UpstreamConnectionTermination;
    if (this.responseStarted) this.fail(0, "", flag);
    else this.fail(503, remoteReset ? REMOTE_RESET : CONNECTION_TERMINATION, flag);
  }

  private fail(status: number, body: string, flag: number): void {
    this.cleanup();
    // Resets and connect failures are local-origin failures; a route timeout reports 504 (Envoy's LocalOriginTimeout).
    // A timeout is reported only for a stream awaiting its response head (Envoy: not while queued, not after the head).
    if (flag === ResponseFlag.UpstreamRequestTimeout) {
      if (this.attached && !this.responseStarted) this.host!.outlier?.putResult(OutlierResult.LocalOriginTimeout, 504);
    } else {
      this.host!.outlier?.putResult(OutlierResult.LocalOriginConnectFailed);
    }
    this.stream.upstreamFailure(status, body, flag);
  }

  protected onCleanup(): void {
    this.conn?.release();
    // Still queued for a stream (downstream gone, route timeout): leave the pool's queue.
    if (this.waiting) {
      this.waiting = false;
      this.host!.h2Pool.cancel(this);
    }
  }
}
