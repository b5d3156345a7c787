// One upstream HTTP/1.1 attempt of a request: pick a host, get a pooled connection, forward, time out; resend once on a keep-alive race.

import type { Socket } from "node:net";
import { ResponseFlag } from "../http/stream-info.js";
import type { RequestHead } from "../http/request-head.js";
import type { ResponseHead } from "../http/response-head.js";
import type { Cluster, Host } from "../upstream/cluster.js";
import type { PoolCallbacks, PoolFailure } from "../upstream/host-pool.js";
import type { UpstreamConnection, UpstreamResponseHandler } from "../upstream/upstream-connection.js";
import { OutlierResult } from "../upstream/outlier/host-outlier-state.js";
import { UpstreamAttemptBase } from "./upstream-attempt-base.js";

/** The downstream side an UpstreamRequest reports to (the ActiveStream). */
export interface UpstreamRequestStream {
  readonly head: RequestHead;
  readonly requestEnded: boolean;
  /** Body bytes received before the upstream connection was ready, handed over once. */
  takePendingBody(): Buffer[] | null;
  pauseReading(): void;
  resumeReading(): void;
  setResponseFlag(flag: number): void;
  setUpstream(cluster: string, host: string): void;
  /** Returns true to receive chunked bodies de-chunked. */
  onResponseHead(head: ResponseHead, serviceTimeMs: number): boolean;
  onResponseData(buf: Buffer, start: number, end: number): void;
  onResponseEnd(): void;
  /** The bytes of one upstream read were delivered and the response goes on: send what is buffered. */
  flushResponse(): void;
  /** Fails the request: a local reply when no response has started, else a reset of the downstream. */
  upstreamFailure(status: number, body: string, flag: number): void;
  /** Response trailers (HTTP/2, gRPC), as flat [name, value, ...] lower-case pairs; called before onResponseEnd. */
  onResponseTrailers?(trailers: string[]): void;
  /** Chooses the upstream host (retry host predicates); when absent the attempt takes `cluster.chooseHost(undefined)`. */
  selectHost?(cluster: Cluster): Host | undefined;
  /** The downstream request arrived over HTTP/2 (picks HTTP/2 upstream for use_downstream_protocol_config clusters). */
  readonly downstreamHttp2?: boolean;
  /** The downstream connection's socket (its addresses: source_ip and cookie hash policies). */
  readonly downstreamSocket?: Socket;
}

const CONNECTION_TERMINATION = "upstream connect error or disconnect/reset before headers. reset reason: connection termination";
const PROTOCOL_ERROR = "upstream connect error or disconnect/reset before headers. reset reason: protocol error";

/** Methods safe to resend after a reused keep-alive connection was closed before any response byte. */
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]);

export class UpstreamRequest extends UpstreamAttemptBase implements UpstreamResponseHandler, PoolCallbacks<UpstreamConnection> {
  private conn: UpstreamConnection | null = null;
  /** Asked the host's pool for a connection and not answered yet (pending in its queue). */
  private waiting = false;
  /** The response head arrived (a later timeout is not reported to outlier detection). */
  private gotHead = false;
  private headBytes = "";
  private retried = false;
  private waitingDrain = false;
  private readonly onDrain = (): void => { this.waitingDrain = false; this.stream.resumeReading(); };

  get attached(): boolean { return this.conn !== null; }

  start(): void {
    const host = this.pickHost();
    if (host === undefined) return;
    this.begin(host);
    this.headBytes = buildRequestHead(this.stream.head);
    this.waiting = true;
    host.pool.newStream(this);
  }

  /** PoolCallbacks: the pool gave this request a connection. */
  onPoolReady(conn: UpstreamConnection): void {
    this.waiting = false;
    this.track();
    this.attach(conn);
  }

  /** PoolCallbacks: a circuit breaker refused the request (503 UO) or its connection failed (503 UF). */
  onPoolFailure(reason: PoolFailure): void {
    this.waiting = false;
    this.failPool(reason);
  }

  writeBody(chunk: Buffer): void {
    if (!this.conn!.socket.write(chunk) && !this.waitingDrain) {
      this.waitingDrain = true;
      this.stream.pauseReading();
      this.conn!.socket.once("drain", this.onDrain);
    }
  }

  endBody(): void {
    this.conn!.requestDone();
  }

  /** Downstream backpressure: stop reading the upstream response until resumeResponse(). */
  pauseResponse(): void { this.conn?.socket.pause(); }
  resumeResponse(): void { this.conn?.socket.resume(); }

  /** The downstream went away or the stream ended early: drop the exchange (the connection cannot be reused). */
  abort(): void {
    if (this.done) return;
    this.conn?.abort();
    this.cleanup();
  }

  onResponseHead(head: ResponseHead): boolean {
    this.cluster.stats.recordResponseCode(head.status);
    this.host!.outlier?.putHttpResponseCode(head.status);
    this.gotHead = true;
    // A relayed 101 starts a tunnel: the timeout covered the handshake only (Envoy #41075 disarms it on the upgrade response).
    if (head.status === 101) this.disarmTimeout();
    return this.stream.onResponseHead(head, this.serviceTimeMs());
  }

  onResponseData(buf: Buffer, start: number, end: number): void {
    this.stream.onResponseData(buf, start, end);
  }

  onResponseEnd(): void {
    const conn = this.conn;
    this.cleanup();
    if (conn && !this.stream.requestEnded) conn.abort();
    this.stream.onResponseEnd();
  }

  onReadComplete(): void {
    this.stream.flushResponse();
  }

  onUpstreamReset(protocolError: boolean, beforeResponse: boolean): void {
    if (this.done) return;
    const reused = this.conn !== null && this.conn.completed > 0;
    this.conn = null;
    if (beforeResponse && !protocolError && reused && !this.retried && !this.hasBody && IDEMPOTENT.has(this.stream.head.method)) {
      // A keep-alive race: the server closed an idle connection as we reused it. Resend once on a fresh one.
      this.retried = true;
      this.cluster.stats.upstream_rq_retry++;
      this.untrack();
      this.waiting = true;
      this.host!.pool.newStream(this);
      return;
    }
    this.cleanup();
    this.host!.outlier?.putResult(OutlierResult.LocalOriginConnectFailed);
    const flag = protocolError ? ResponseFlag.UpstreamProtocolError : ResponseFlag.UpstreamConnectionTermination;
    if (beforeResponse) this.stream.upstreamFailure(503, protocolError ? PROTOCOL_ERROR : CONNECTION_TERMINATION, flag);
    else this.stream.upstreamFailure(0, "", flag);
  }

  private attach(conn: UpstreamConnection): void {
    this.conn = conn;
    conn.begin(this, this.stream.head.method === "HEAD", !!this.stream.head.upgrade);
    const socket = conn.socket;
    const pending = this.stream.takePendingBody();
    if (pending === null) {
      socket.write(this.headBytes, "latin1");
    } else {
      socket.cork();
      socket.write(this.headBytes, "latin1");
      for (let i = 0; i < pending.length; i++) socket.write(pending[i]);
      socket.uncork();
    }
    if (this.stream.requestEnded) conn.requestDone();
  }

  /** The route timeout (RouteAction.timeout) passed before the response completed: 504 UT. */
  onDeadline(): void {
    if (this.done) return;
    this.cluster.stats.upstream_rq_timeout++;
    // Only a request that had its connection and awaited headers timed out on the host (Envoy: upstreamHost() is set
    // in onPoolReady, and only awaitingHeaders() attempts report): a wait in the pool's queue says nothing about it.
    if (this.conn !== null && !this.gotHead) this.host!.outlier?.putResult(OutlierResult.LocalOriginTimeout, 504);
    this.conn?.abort();
    this.cleanup();
    this.stream.upstreamFailure(504, "upstream request timeout", ResponseFlag.UpstreamRequestTimeout);
  }

  protected onCleanup(): void {
    if (this.waitingDrain && this.conn) this.conn.socket.off("drain", this.onDrain);
    // Still queued for a connection (downstream gone, route timeout): leave the pool's queue.
    if (this.waiting) {
      this.waiting = false;
      this.host!.pool.cancel(this);
    }
  }
}

/**
 * Serialises the upstream request head, hop-by-hop fields dropped. The head is already finalized for its route
 * (route-finalizer rewrote path and host in place), so it is written as it stands.
 */
export function buildRequestHead(head: RequestHead): string {
  let s = `${head.method} ${head.path} HTTP/1.1\r\n`;
  const h = head.headers;
  for (let i = 0; i < h.length; i += 2) {
    const name = h[i];
    if (isHopByHop(name)) continue;
    s += `${name}: ${h[i + 1]}\r\n`;
  }
  // An upgrade keeps its hop-by-hop pair (Envoy's HTTP/1 codec re-adds them for upgrade requests).
  if (head.upgrade) s += `connection: upgrade\r\nupgrade: ${head.upgrade}\r\n`;
  return s + "\r\n";
}

/** Connection-scoped fields (RFC 9110 §7.6.1) the proxy never forwards; transfer-encoding is handled by framing. */
export function isHopByHop(name: string): boolean {
  switch (name.length) {
    case 2: return name === "te";
    case 7: return name === "upgrade";
    case 10: return name === "connection" || name === "keep-alive";
    case 16: return name === "proxy-connection";
    default: return false;
  }
}
