// The HTTP/1.1 server codec for one downstream connection: parses requests (pipelined, in order) and runs ActiveStreams.

import type { Socket } from "node:net";
import { ActiveStream, type StreamConnection } from "./active-stream.js";
import { ChunkedDecoder } from "./chunked-decoder.js";
import type { ListenerContext } from "./data-plane.js";
import { localReplyBytes } from "./local-reply.js";
import { parseRequestHead } from "./request-head.js";
import { ResponseFlag } from "./stream-info.js";
import { H2DownstreamSession, matchPreface } from "../http2/h2-downstream-session.js";

/** Envoy's default max_request_headers_kb (60): a larger head gets 431. */
export const MAX_REQUEST_HEAD = 60 * 1024;
/** Pipelined bytes buffered while a response is pending, beyond which reading pauses. */
const MAX_PIPELINED = 256 * 1024;
const CRLFCRLF = Buffer.from("\r\n\r\n");

/** Tunnel: after a relayed 101, every byte is upgrade payload for the stream. */
const enum State { Head, Body, AwaitResponse, Tunnel, Closed }

/**
 * Processes one request at a time: later pipelined requests wait (buffered) until the current response is
 * complete, so responses stay in order. Malformed input gets 400 (431 for oversized heads) with flag DPE and
 * the connection closes. Reads the listener's current config per request, so config swaps never drop it.
 */
export class DownstreamConnection implements StreamConnection {
  private state = State.Head;
  private buf: Buffer | null = null;
  private scanFrom = 0;
  private stream: ActiveStream | null = null;
  private bodyRemaining = 0;
  private readonly chunked = new ChunkedDecoder();
  private isChunked = false;
  private paused = false;
  private draining = false;
  /** The client half-closed its side. */
  private peerEnded = false;
  /** Until the first bytes rule it out, the connection may be HTTP/2 with prior knowledge (h2c preface). */
  private sniffH2 = true;
  private h2: H2DownstreamSession | null = null;

  constructor(readonly socket: Socket, private readonly listener: ListenerContext, private readonly onClosed: (c: DownstreamConnection) => void) {
    const stats = listener.dataPlane.downstreamStats;
    stats.downstream_cx_total++;
    stats.downstream_cx_active++;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("end", () => this.onEnd());
    socket.on("error", () => { /* 'close' follows */ });
    socket.on("close", () => this.onClose());
  }

  /** Stop after the current request (listener removed or proxy closing); closes now when idle. */
  drain(): void {
    if (this.h2 !== null) { this.h2.drain(); return; }
    this.draining = true;
    if (this.stream === null && this.state !== State.Closed) this.closeNow();
  }

  pauseReading(): void {
    if (!this.paused) { this.paused = true; this.socket.pause(); }
  }

  resumeReading(): void {
    if (this.paused) { this.paused = false; this.socket.resume(); }
  }

  streamComplete(close: boolean, reset: boolean): void {
    this.stream = null;
    if (reset) { this.state = State.Closed; this.socket.destroy(); return; }
    if (close || this.draining) { this.closeNow(); return; }
    this.state = State.Head;
    this.scanFrom = 0;
    this.resumeReading();
    if (this.buf !== null) this.process();
  }

  upgraded(): void {
    this.state = State.Tunnel;
    this.resumeReading();
    if (this.buf !== null) this.process();
    if (this.peerEnded) this.stream?.onRequestEnd();
  }

  private onData(chunk: Buffer): void {
    if (this.state === State.Closed) return;
    if (this.sniffH2) {
      const buf = this.buf === null ? chunk : Buffer.concat([this.buf, chunk]);
      const preface = matchPreface(buf);
      if (preface === "more") { this.buf = buf; return; }
      this.sniffH2 = false;
      this.buf = null;
      if (preface === "yes") { this.handOffToHttp2(buf); return; }
      chunk = buf;
    }
    if (this.state === State.Tunnel) {
      this.stream!.onRequestData(chunk, 0, chunk.length);
      return;
    }
    this.buf = this.buf === null ? chunk : Buffer.concat([this.buf, chunk]);
    this.process();
  }

  private process(): void {
    while (this.buf !== null) {
      const buf = this.buf;
      switch (this.state) {
        case State.Head: {
          const idx = buf.indexOf(CRLFCRLF, this.scanFrom);
          if (idx === -1) {
            if (buf.length > MAX_REQUEST_HEAD) return this.protocolError(431);
            this.scanFrom = Math.max(0, buf.length - 3);
            return;
          }
          const headEnd = idx + 4;
          if (headEnd > MAX_REQUEST_HEAD) return this.protocolError(431);
          const head = parseRequestHead(buf, 0, headEnd);
          if (typeof head === "number") return this.protocolError(head);
          this.consume(headEnd);
          let hasBody = false;
          this.isChunked = head.chunked;
          if (head.chunked) {
            hasBody = true;
            this.chunked.reset();
          } else if (head.contentLength > 0) {
            hasBody = true;
            this.bodyRemaining = head.contentLength;
          }
          this.state = hasBody ? State.Body : State.AwaitResponse;
          const stream = new ActiveStream(this, head, this.listener.resolveHcm(head), this.listener.dataPlane, hasBody);
          this.stream = stream;
          if (!hasBody) stream.requestEnded = true;
          stream.start();
          break;
        }
        case State.Body: {
          const stream = this.stream!;
          if (this.isChunked) {
            const end = this.chunked.feed(buf, 0, buf.length);
            if (end < 0) return this.protocolError(400);
            this.consume(end);
            stream.onRequestData(buf, 0, end);
            if (this.chunked.done) this.endBody(stream);
          } else {
            const n = Math.min(this.bodyRemaining, buf.length);
            this.consume(n);
            this.bodyRemaining -= n;
            stream.onRequestData(buf, 0, n);
            if (this.bodyRemaining === 0) this.endBody(stream);
          }
          break;
        }
        case State.AwaitResponse:
          if (buf.length > MAX_PIPELINED) this.pauseReading();
          return;
        case State.Tunnel:
          this.buf = null;
          this.stream!.onRequestData(buf, 0, buf.length);
          return;
        case State.Closed:
          return;
      }
    }
  }

  private endBody(stream: ActiveStream): void {
    if (this.state === State.Body) this.state = State.AwaitResponse;
    stream.onRequestEnd();
  }

  private consume(n: number): void {
    const buf = this.buf!;
    this.buf = n >= buf.length ? null : buf.subarray(n);
  }

  /** DPE: answer 400/431/501 when nothing was sent yet for the current request, then close. */
  private protocolError(status: number): void {
    this.listener.dataPlane.downstreamStats.downstream_cx_protocol_error++;
    const stream = this.stream;
    this.buf = null;
    this.state = State.Closed;
    if (stream !== null) {
      stream.upstreamFailure(status, "", ResponseFlag.DownstreamProtocolError);
    } else {
      this.socket.end(localReplyBytes(status, "", true));
    }
    this.socket.destroySoon();
  }

  private closeNow(): void {
    this.state = State.Closed;
    this.buf = null;
    this.socket.end();
  }

  /** The HTTP/2 codec takes the socket over, bytes read so far included; this object only keeps the close accounting. */
  private handOffToHttp2(read: Buffer): void {
    this.state = State.Closed;
    this.socket.removeAllListeners("data");
    this.socket.removeAllListeners("end");
    this.h2 = new H2DownstreamSession(this.socket, read, this.listener);
  }

  private onEnd(): void {
    this.peerEnded = true;
    // Half-close from the client: finish the in-flight response, then close (Envoy closes once the response is done).
    // In a tunnel the half-close is passed on to the upstream, which then ends the tunnel.
    if (this.stream === null) this.closeNow();
    else if (this.state === State.Tunnel) this.stream.onRequestEnd();
    else this.draining = true;
  }

  private onClose(): void {
    const stats = this.listener.dataPlane.downstreamStats;
    stats.downstream_cx_active--;
    this.state = State.Closed;
    const stream = this.stream;
    this.stream = null;
    if (stream !== null) stream.onDownstreamReset();
    this.onClosed(this);
  }
}
