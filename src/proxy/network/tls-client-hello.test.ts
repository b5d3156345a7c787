// Unit tests for the ClientHello reader, with real ClientHellos captured from node's TLS client.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type AddressInfo } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { parseClientHello } from "./tls-client-hello.js";

/** The first bytes node's TLS client sends to a plain TCP server (its ClientHello). */
async function captureClientHello(servername: string, alpn?: string[]): Promise<Buffer> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.4.90", r));
  const got = new Promise<Buffer>((resolve) => {
    server.once("connection", (s) => {
      let buf = Buffer.alloc(0);
      s.on("data", (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        if (buf.length >= 5 && buf.length >= 5 + buf.readUInt16BE(3)) { resolve(buf); s.destroy(); }
      });
    });
  });
  const { port } = server.address() as AddressInfo;
  const client = tlsConnect({ host: "127.0.4.90", port, servername, ALPNProtocols: alpn, rejectUnauthorized: false });
  client.on("error", () => {});
  const hello = await got;
  client.destroy();
  server.close();
  return hello;
}

/** Re-frames one handshake record's payload into records of at most `size` bytes (legal TLS fragmentation). */
function fragment(record: Buffer, size: number): Buffer {
  const payload = record.subarray(5, 5 + record.readUInt16BE(3));
  const out: Buffer[] = [];
  for (let i = 0; i < payload.length; i += size) {
    const part = payload.subarray(i, i + size);
    const head = Buffer.from([0x16, record[1]!, record[2]!, 0, 0]);
    head.writeUInt16BE(part.length, 3);
    out.push(head, part);
  }
  return Buffer.concat(out);
}

test("reads SNI and ALPN from a real ClientHello, and says need-more for every proper prefix", async () => {
  const hello = await captureClientHello("a.example.com", ["h2", "http/1.1"]);
  assert.deepEqual(parseClientHello(hello), { kind: "tls", sni: "a.example.com", alpn: ["h2", "http/1.1"] });
  for (const n of [1, 4, 5, 40, hello.length - 1]) assert.equal(parseClientHello(hello.subarray(0, n)).kind, "need-more", `prefix ${n}`);
});

test("reassembles a ClientHello fragmented over many records, arriving in small pieces", async () => {
  const hello = await captureClientHello("b.example.com");
  const frag = fragment(hello, 50);
  assert.ok(frag.length > hello.length + 5 * 3);
  assert.deepEqual(parseClientHello(frag), { kind: "tls", sni: "b.example.com", alpn: [] });
  for (const n of [3, 60, 200, frag.length - 1]) assert.equal(parseClientHello(frag.subarray(0, n)).kind, "need-more", `prefix ${n}`);
});

test("plain text is not TLS after one byte; a ClientHello without SNI is TLS with empty SNI", async () => {
  assert.equal(parseClientHello(Buffer.from("G")).kind, "not-tls");
  assert.equal(parseClientHello(Buffer.from("GET / HTTP/1.1\r\n")).kind, "not-tls");
  const hello = await captureClientHello("");
  assert.deepEqual(parseClientHello(hello), { kind: "tls", sni: "", alpn: [] });
});

test("a handshake record that is not a ClientHello, or garbage inside one, is TLS without SNI", () => {
  assert.deepEqual(parseClientHello(Buffer.from([0x16, 3, 1, 0, 4, 2, 0, 0, 0])), { kind: "tls", sni: "", alpn: [] });
  assert.deepEqual(parseClientHello(Buffer.from([0x16, 3, 1, 0, 6, 1, 0, 0, 2, 3, 3])), { kind: "tls", sni: "", alpn: [] });
});
