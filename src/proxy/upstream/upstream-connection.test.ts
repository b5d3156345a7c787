// Tests of UpstreamConnection's response handling over real loopback sockets: 101 tunnels and stray 101s.

import { test } from "node:test";
import assert from "node:assert/strict";
import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { once } from "node:events";
import type { ResponseHead } from "../http/response-head.js";
import { UpstreamConnection, type UpstreamResponseHandler } from "./upstream-connection.js";

/** Records what a handler receives. */
class Recorder implements UpstreamResponseHandler {
  heads: ResponseHead[] = [];
  data = "";
  ended = false;
  reset: { protocolError: boolean; beforeResponse: boolean } | undefined;
  readonly done: Promise<void>;
  private resolve!: () => void;
  constructor() { this.done = new Promise((r) => (this.resolve = r)); }
  onResponseHead(head: ResponseHead): boolean { this.heads.push(head); return false; }
  onResponseData(buf: Buffer, start: number, end: number): void { this.data += buf.toString("latin1", start, end); }
  onResponseEnd(): void { this.ended = true; this.resolve(); }
  onReadComplete(): void {}
  onUpstreamReset(protocolError: boolean, beforeResponse: boolean): void { this.reset = { protocolError, beforeResponse }; this.resolve(); }
}

async function withServer(onConnection: (s: Socket) => void, body: (conn: UpstreamConnection) => Promise<void>): Promise<void> {
  const server: Server = createServer(onConnection);
  server.listen(0, "127.0.3.150");
  await once(server, "listening");
  const socket = connect((server.address() as AddressInfo).port, "127.0.3.150");
  await once(socket, "connect");
  const conn = new UpstreamConnection(socket, () => {}, () => {});
  try {
    await body(conn);
  } finally {
    socket.destroy();
    server.close();
  }
}

test("a 101 to an upgrade request becomes a tunnel: raw bytes both ways, requestDone half-closes, close ends it", async () => {
  await withServer((s) => {
    let seenHead = false;
    s.on("data", (c: Buffer) => {
      if (!seenHead) {
        seenHead = true;
        s.write("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nfirst");
        return;
      }
      s.write(`echo:${c.toString("latin1")}`);
    });
    s.on("end", () => s.end("bye"));
  }, async (conn) => {
    const h = new Recorder();
    conn.begin(h, false, true);
    conn.socket.write("GET / HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n");
    conn.requestDone();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(h.heads[0].status, 101);
    conn.socket.write("HTTP/1.1 looks like a request but is payload\r\n\r\n");
    await new Promise((r) => setTimeout(r, 50));
    conn.requestDone();
    await h.done;
    assert.equal(h.data, "firstecho:HTTP/1.1 looks like a request but is payload\r\n\r\nbye");
    assert.equal(h.ended, true);
    assert.equal(conn.reusable, false);
  });
});

test("a 101 to an ordinary request is an interim response and dropped", async () => {
  await withServer((s) => {
    s.once("data", () => s.write("HTTP/1.1 101 Switching Protocols\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
  }, async (conn) => {
    const h = new Recorder();
    conn.begin(h, false);
    conn.socket.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    conn.requestDone();
    await h.done;
    assert.deepEqual(h.heads.map((x) => x.status), [200]);
    assert.equal(h.data, "ok");
  });
});

test("a non-101 answer to an upgrade request is an ordinary response", async () => {
  await withServer((s) => {
    s.once("data", () => s.write("HTTP/1.1 426 Upgrade Required\r\nContent-Length: 4\r\n\r\nnope"));
  }, async (conn) => {
    const h = new Recorder();
    conn.begin(h, false, true);
    conn.socket.write("GET / HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n");
    conn.requestDone();
    await h.done;
    assert.deepEqual(h.heads.map((x) => x.status), [426]);
    assert.equal(h.data, "nope");
    assert.equal(h.ended, true);
  });
});
