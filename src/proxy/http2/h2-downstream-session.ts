// One downstream HTTP/2 (h2c prior knowledge) connection: nghttp2 does the framing, each stream runs an H2ActiveStream.

import { performServerHandshake, type ServerHttp2Session } from "node:http2";
import type { Socket } from "node:net";
import type { ListenerContext } from "../http/data-plane.js";
import { H2ActiveStream } from "./h2-active-stream.js";

/** The client connection preface (RFC 9113 §3.4). */
export const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/**
 * Whether `buf` starts with the HTTP/2 preface: "yes", "no", or "more" when it is a proper prefix of it (wait for
 * more bytes before deciding). An HTTP/1.1 request line never starts with "PRI * HTTP/2.0".
 */
export function matchPreface(buf: Buffer): "yes" | "no" | "more" {
  const n = Math.min(buf.length, H2_PREFACE.length);
  if (buf.compare(H2_PREFACE, 0, n, 0, n) !== 0) return "no";
  return n === H2_PREFACE.length ? "yes" : "more";
}

/**
 * Serves one socket whose first bytes (`read`, already taken from it by the HTTP/1.1 codec's sniffing) are the
 * preface. The caller has removed its own 'data'/'end' listeners. Reads the listener's HCM per stream, like the
 * HTTP/1.1 codec per request. drain() sends GOAWAY: streams in flight finish, then the connection closes.
 */
export class H2DownstreamSession {
  private readonly session: ServerHttp2Session;

  constructor(socket: Socket, read: Buffer, private readonly listener: ListenerContext) {
    // nghttp2 reads the native handle from now on; Http2Session feeds it whatever sits in the socket's JS buffer
    // first (on the next tick), so the sniffed bytes go back there. Paused, so that nothing flows to 'data' meanwhile.
    socket.pause();
    socket.unshift(read);
    this.session = performServerHandshake(socket);
    this.session.on("error", () => { /* the socket's 'close' ends everything */ });
    this.session.on("stream", (stream, headers, flags) => {
      const endStream = (flags & 1) !== 0; // END_STREAM on the HEADERS frame
      new H2ActiveStream(stream, headers, endStream, this.listener).start();
    });
  }

  drain(): void {
    if (!this.session.closed) this.session.close();
  }
}
