// Tests of the HTTP/2 preface sniffing and the hand-off of a sniffed socket from the HTTP/1.1 codec to nghttp2.

import { test } from "node:test";
import assert from "node:assert/strict";
import { connect as h2connect, type IncomingHttpHeaders } from "node:http2";
import { connect as tcpConnect, createServer, type AddressInfo, type Server } from "node:net";
import { DownstreamConnection } from "../http/downstream-connection.js";
import type { DataPlane, ListenerContext } from "../http/data-plane.js";
import { DownstreamStats } from "../stats/proxy-stats.js";
import { H2_PREFACE, matchPreface } from "./h2-downstream-session.js";

test("matchPreface tells the h2c preface, a prefix of it, and HTTP/1.1 apart", () => {
  assert.equal(matchPreface(H2_PREFACE), "yes");
  assert.equal(matchPreface(Buffer.concat([H2_PREFACE, Buffer.from([0, 0, 0])])), "yes");
  assert.equal(matchPreface(Buffer.from("PRI * HT")), "more");
  assert.equal(matchPreface(Buffer.from("P")), "more");
  assert.equal(matchPreface(Buffer.from("POST / HTTP/1.1\r\n")), "no");
  assert.equal(matchPreface(Buffer.from("GET / HTTP/1.1\r\n")), "no");
});

/** A listener whose HCM lookup always fails: every request gets the 404 NR local reply. */
async function noRouteListener(): Promise<{ server: Server; port: number }> {
  const ctx: ListenerContext = {
    dataPlane: { downstreamStats: new DownstreamStats() } as unknown as DataPlane,
    resolveHcm: () => undefined,
  };
  const server = createServer((socket) => new DownstreamConnection(socket, ctx, () => {}));
  await new Promise<void>((r) => server.listen(0, "127.0.3.90", r));
  return { server, port: (server.address() as AddressInfo).port };
}

test("an h2c prior-knowledge connection is served by HTTP/2; a gRPC request gets a trailers-only local reply", async () => {
  const { server, port } = await noRouteListener();
  const session = h2connect(`http://127.0.3.90:${port}`);
  try {
    const get = (headers: Record<string, string>) => new Promise<{ headers: IncomingHttpHeaders; endStream: boolean; body: string }>((resolve, reject) => {
      const req = session.request({ ":path": "/x", ...headers });
      let body = "";
      let head: { headers: IncomingHttpHeaders; endStream: boolean } | undefined;
      req.on("response", (h, flags) => (head = { headers: h, endStream: (flags & 1) !== 0 }));
      req.setEncoding("utf8").on("data", (c: string) => (body += c)).on("end", () => resolve({ ...head!, body })).on("error", reject);
      req.end();
    });
    const plain = await get({});
    assert.equal(plain.headers[":status"], 404);
    assert.equal(plain.headers.server, "envoy");
    const grpc = await get({ ":method": "POST", "content-type": "application/grpc" });
    assert.equal(grpc.headers[":status"], 200);
    assert.equal(grpc.headers["grpc-status"], "12");
    assert.equal(grpc.endStream, true);
  } finally {
    session.close();
    server.close();
  }
});

test("an HTTP/1.1 request whose first byte could start the preface stays HTTP/1.1", async () => {
  const { server, port } = await noRouteListener();
  const socket = tcpConnect({ host: "127.0.3.90", port, noDelay: true });
  try {
    await new Promise<void>((r) => socket.once("connect", () => r()));
    socket.write("P");
    await new Promise((r) => setTimeout(r, 20));
    socket.write("OST /x HTTP/1.1\r\nhost: a\r\ncontent-length: 0\r\n\r\n");
    const reply = await new Promise<string>((resolve) => socket.once("data", (c: Buffer) => resolve(c.toString("latin1"))));
    assert.match(reply, /^HTTP\/1\.1 404 Not Found\r\n/);
  } finally {
    socket.destroy();
    server.close();
  }
});
