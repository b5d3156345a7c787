// One keep-alive HTTP/1.1 connection to an upstream host: writes request heads/bodies, parses responses.

import type { Socket } from "node:net";
import { ChunkedDecoder } from "../http/chunked-decoder.js";
import { parseResponseHead, type ResponseHead } from "../http/response-head.js";

/** Response headers above this size are an upstream protocol error (Envoy's default 60 KiB). */
const MAX_RESPONSE_HEAD = 60 * 1024;
const CRLFCRLF = Buffer.from("\r\n\r\n");

/** Receives one response. Exactly one of onResponseEnd / onUpstreamReset ends the exchange. */
export interface UpstreamResponseHandler {
  /** Returns true to receive chunked bodies de-chunked (payload only) instead of raw chunked framing. */
  onResponseHead(head: ResponseHead): boolean;
  onResponseData(buf: Buffer, start: number, end: number): void;
  onResponseEnd(): void;
  /** Everything one socket read delivered has been passed on and the response is not complete yet: flush what was corked. */
  onReadComplete(): void;
  /** The connection closed or sent garbage; `beforeResponse` when no response byte had arrived. */
  onUpstreamReset(protocolError: boolean, beforeResponse: boolean): void;
}

const enum State { Idle, Head, Body, Done }
/** Upgraded: after a 101 to an upgrade request, raw bytes both ways until either side closes. */
const enum Framing { None, Length, Chunked, Close, Upgraded }

/** Owned by a ConnectionPool; `handler` is set for the duration of one request. */
export class UpstreamConnection {
  handler: UpstreamResponseHandler | null = null;
  /** Requests completed on this connection (a reused connection may have been closed by the server meanwhile). */
  completed = 0;
  /** Requests the pool attached to it (counted only under max_requests_per_connection). */
  streams = 0;
  /** max_connection_duration timer, set by the pool. */
  drainTimer: NodeJS.Timeout | undefined;
  /** False once the upstream said close, a response was cut short, or the socket ended. */
  reusable = true;
  closed = false;
  private state = State.Idle;
  private buf: Buffer | null = null;
  private scanFrom = 0;
  private framing = Framing.None;
  private remaining = 0;
  private dechunk = false;
  private readonly chunked = new ChunkedDecoder();
  private headRequest = false;
  private upgradeRequest = false;
  private requestComplete = false;
  private keepAlive = true;

  constructor(readonly socket: Socket, private readonly onIdle: (c: UpstreamConnection) => void, private readonly onClosed: (c: UpstreamConnection) => void) {
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("end", () => socket.destroy());
    socket.on("error", () => { /* 'close' follows */ });
    socket.on("close", () => this.onClose());
  }

  /**
   * Starts one exchange: the caller then writes the head/body to `socket` and calls requestDone() after the body.
   * For an `upgradeRequest`, a 101 answer turns the connection into a raw tunnel: later response bytes reach
   * onResponseData unframed, the tunnel ends with onResponseEnd when the upstream closes, and requestDone()
   * half-closes towards the upstream. Such a connection is never reused.
   */
  begin(handler: UpstreamResponseHandler, headRequest: boolean, upgradeRequest = false): void {
    this.handler = handler;
    this.headRequest = headRequest;
    this.upgradeRequest = upgradeRequest;
    this.requestComplete = false;
    this.state = State.Head;
    this.scanFrom = 0;
  }

  /** The whole request (head and body) has been written. */
  requestDone(): void {
    if (this.framing === Framing.Upgraded && this.state === State.Body) {
      this.socket.end();
      return;
    }
    this.requestComplete = true;
    if (this.state === State.Done) this.finish();
  }

  /** Abandons the exchange (downstream went away, timeout): the connection cannot be reused. */
  abort(): void {
    this.handler = null;
    this.reusable = false;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.handler === null || this.state === State.Idle || this.state === State.Done) {
      // Bytes outside an exchange: the connection is out of sync.
      this.reusable = false;
      this.socket.destroy();
      return;
    }
    this.buf = this.buf === null ? chunk : Buffer.concat([this.buf, chunk]);
    this.process();
    this.handler?.onReadComplete();
  }

  private process(): void {
    while (this.buf !== null && this.handler !== null) {
      const buf = this.buf;
      if (this.state === State.Head) {
        const idx = buf.indexOf(CRLFCRLF, this.scanFrom);
        if (idx === -1) {
          if (buf.length > MAX_RESPONSE_HEAD) return this.protocolError();
          this.scanFrom = Math.max(0, buf.length - 3);
          return;
        }
        const headEnd = idx + 4;
        const head = parseResponseHead(buf, 0, headEnd);
        if (head === undefined) return this.protocolError();
        this.consume(headEnd);
        this.scanFrom = 0;
        if (head.status === 101 && this.upgradeRequest) {
          this.framing = Framing.Upgraded;
          this.reusable = false;
          this.state = State.Body;
          this.dechunk = this.handler.onResponseHead(head);
          continue;
        }
        if (head.status < 200) continue; // 1xx: interim, dropped (Envoy proxy_100_continue=false); 101 only answers an upgrade
        this.keepAlive = head.keepAlive;
        if (this.headRequest || head.status === 204 || head.status === 304) this.framing = Framing.None;
        else if (head.chunked) { this.framing = Framing.Chunked; this.chunked.reset(); }
        else if (head.contentLength >= 0) { this.framing = head.contentLength === 0 ? Framing.None : Framing.Length; this.remaining = head.contentLength; }
        else { this.framing = Framing.Close; this.keepAlive = false; }
        this.dechunk = this.handler.onResponseHead(head);
        if (this.framing === Framing.None) { this.endResponse(); continue; }
        this.state = State.Body;
      } else if (this.state === State.Body) {
        const h = this.handler;
        switch (this.framing) {
          case Framing.Length: {
            const n = Math.min(this.remaining, buf.length);
            this.consume(n);
            this.remaining -= n;
            h.onResponseData(buf, 0, n);
            if (this.remaining === 0) this.endResponse();
            break;
          }
          case Framing.Chunked: {
            const end = this.dechunk
              ? this.chunked.feed(buf, 0, buf.length, (b, s, e) => h.onResponseData(b, s, e))
              : this.chunked.feed(buf, 0, buf.length);
            if (end < 0) return this.protocolError();
            this.consume(end);
            if (!this.dechunk) h.onResponseData(buf, 0, end);
            if (this.chunked.done) this.endResponse();
            break;
          }
          case Framing.Close:
          case Framing.Upgraded:
            this.consume(buf.length);
            h.onResponseData(buf, 0, buf.length);
            break;
        }
      } else {
        // Extra bytes after a complete response.
        this.reusable = false;
        this.socket.destroy();
        return;
      }
    }
  }

  private consume(n: number): void {
    const buf = this.buf!;
    this.buf = n >= buf.length ? null : buf.subarray(n);
  }

  private endResponse(): void {
    this.state = State.Done;
    if (!this.keepAlive) this.reusable = false;
    const h = this.handler!;
    if (this.requestComplete) this.finish();
    else this.reusable = false; // response before the request body ended: the rest of the body is unwanted
    h.onResponseEnd();
  }

  private finish(): void {
    this.handler = null;
    this.completed++;
    this.state = State.Idle;
    if (this.buf !== null) this.reusable = false;
    if (this.reusable && !this.closed) this.onIdle(this);
    else this.socket.destroy();
  }

  private protocolError(): void {
    const h = this.handler!;
    this.handler = null;
    this.reusable = false;
    this.socket.destroy();
    h.onUpstreamReset(true, this.state === State.Head);
  }

  private onClose(): void {
    this.closed = true;
    this.reusable = false;
    const h = this.handler;
    this.handler = null;
    this.onClosed(this);
    if (h === null) return;
    if (this.state === State.Body && (this.framing === Framing.Close || this.framing === Framing.Upgraded)) {
      this.state = State.Done;
      this.requestComplete = true;
      h.onResponseEnd();
      return;
    }
    h.onUpstreamReset(false, this.state === State.Head && this.buf === null);
  }
}
