// End to end: HTTP/1.1 edge cases at a sidecar: pipelining, Connection: close, HTTP/1.0, 100-continue, smuggling, 431.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { connect, type Socket } from "node:net";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import { serverPort, closeServer, waitFor, httpGet } from "./support/mesh-processes.js";
import { startTwoSidecarMesh, type TwoSidecarMesh } from "./support/two-sidecar-mesh.js";

const CLIENT_IP = "127.0.3.110";
const SERVER_IP = "127.0.3.111";

let mesh: TwoSidecarMesh | undefined;
let app: Server;

before(async () => {
  // Answers `<method> <path> <body bytes>`; /slow waits 50 ms first, so pipelined answers would race if unordered.
  app = createServer({ maxHeaderSize: 128 * 1024 }, (req, res) => {
    let n = 0;
    req.on("data", (c: Buffer) => (n += c.length));
    req.on("end", () => {
      const body = `${req.method} ${req.url} ${n}`;
      const send = () => { res.writeHead(200, { "content-type": "text/plain", "content-length": Buffer.byteLength(body) }); res.end(body); };
      if (req.url?.startsWith("/slow")) setTimeout(send, 50);
      else send();
    });
  });
  await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", () => resolve()));
  mesh = await startTwoSidecarMesh({ clientIp: CLIENT_IP, serverIp: SERVER_IP, appPort: serverPort(app), xdsPort: 26254, monitoringPort: 26255 });
});

after(async () => {
  await mesh?.stop();
  if (app) await closeServer(app);
});

/** A raw connection to the client sidecar that collects everything it receives. */
async function rawConnection(): Promise<{ socket: Socket; received: () => string; ended: Promise<unknown> }> {
  const socket = connect(15001, CLIENT_IP);
  await once(socket, "connect");
  let data = "";
  socket.setEncoding("latin1").on("data", (c: string) => (data += c));
  const ended = new Promise((resolve) => socket.once("close", resolve));
  return { socket, received: () => data, ended };
}

interface RawResponse { status: number; headers: Record<string, string>; body: string }

/** Splits a byte stream of Content-Length-framed responses; throws on anything else. */
function parseResponses(raw: string): RawResponse[] {
  const out: RawResponse[] = [];
  let pos = 0;
  while (pos < raw.length) {
    const headEnd = raw.indexOf("\r\n\r\n", pos);
    assert.ok(headEnd !== -1, `incomplete head in ${JSON.stringify(raw.slice(pos))}`);
    const lines = raw.slice(pos, headEnd).split("\r\n");
    const status = Number(/^HTTP\/1\.[01] (\d{3}) /.exec(lines[0])![1]);
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const i = l.indexOf(":");
      headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
    }
    const len = Number(headers["content-length"]);
    assert.ok(Number.isFinite(len), "expected content-length framing");
    out.push({ status, headers, body: raw.slice(headEnd + 4, headEnd + 4 + len) });
    pos = headEnd + 4 + len;
  }
  return out;
}

const HOST = "Host: reviews:9080\r\n";

test("pipelined requests on one connection get complete responses in order", async () => {
  const c = await rawConnection();
  c.socket.write(`GET /slow/1 HTTP/1.1\r\n${HOST}\r\nPOST /2 HTTP/1.1\r\n${HOST}Content-Length: 5\r\n\r\nhelloGET /3 HTTP/1.1\r\n${HOST}\r\n` +
    `POST /slow/4 HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /5 HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n`);
  await c.ended;
  const responses = parseResponses(c.received());
  assert.deepEqual(responses.map((r) => r.body), ["GET /slow/1 0", "POST /2 5", "GET /3 0", "POST /slow/4 3", "GET /5 0"]);
  assert.equal(responses[4].headers.connection, "close");
});

test("HTTP/1.0: the response is framed and the connection closes", async () => {
  const c = await rawConnection();
  c.socket.write(`GET /old HTTP/1.0\r\n${HOST}\r\n`);
  await c.ended;
  const [r] = parseResponses(c.received());
  assert.equal(r.status, 200);
  assert.equal(r.body, "GET /old 0");
  assert.match(c.received(), /^HTTP\/1\.1 200 OK\r\n/);
});

test("HTTP/1.0 with keep-alive stays open for a second request", async () => {
  const c = await rawConnection();
  c.socket.write(`GET /a HTTP/1.0\r\n${HOST}Connection: keep-alive\r\n\r\n`);
  await waitFor(() => c.received().includes("GET /a 0"), 5000);
  assert.match(c.received(), /\r\nconnection: keep-alive\r\n/);
  c.socket.write(`GET /b HTTP/1.0\r\n${HOST}\r\n`);
  await c.ended;
  assert.deepEqual(parseResponses(c.received()).map((r) => r.body), ["GET /a 0", "GET /b 0"]);
});

test("Expect: 100-continue gets an interim 100 before the body is sent (curl)", async () => {
  const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    execFile("curl", ["-sS", "-v", "--http1.1", "--expect100-timeout", "10", "-H", "Host: reviews:9080", "-H", "Expect: 100-continue",
      "--data-binary", "0123456789", `http://${CLIENT_IP}:15001/upload`], (err, stdout, stderr) => (err ? reject(err) : resolve({ stdout, stderr })));
  });
  assert.match(stderr, /< HTTP\/1\.1 100 Continue/);
  assert.equal(stdout, "POST /upload 10");
});

test("an h2c upgrade offer (curl --http2) is ignored and answered over HTTP/1.1", async () => {
  const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    execFile("curl", ["-sS", "-v", "--http2", "-H", "Host: reviews:9080", `http://${CLIENT_IP}:15001/h2c`],
      (err, stdout, stderr) => (err ? reject(err) : resolve({ stdout, stderr })));
  });
  assert.match(stderr, /> Upgrade: h2c/);
  assert.match(stderr, /< HTTP\/1\.1 200 OK/);
  assert.equal(stdout, "GET /h2c 0");
});

/** Sends `raw` on a fresh connection and returns what came back before the sidecar closed it. */
async function rejected(raw: string): Promise<string> {
  const c = await rawConnection();
  c.socket.write(raw);
  await c.ended;
  return c.received();
}

const SMUGGLING: Array<[string, string, number]> = [
  ["Content-Length and Transfer-Encoding", `POST / HTTP/1.1\r\n${HOST}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 400],
  ["duplicate Content-Length with different values", `POST / HTTP/1.1\r\n${HOST}Content-Length: 4\r\nContent-Length: 5\r\n\r\nhello`, 400],
  ["an invalid chunk size", `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`, 400],
  ["obs-fold", `GET / HTTP/1.1\r\n${HOST}X-Folded: a\r\n b\r\n\r\n`, 400],
  ["a Transfer-Encoding other than chunked", `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`, 501],
];

for (const [name, raw, status] of SMUGGLING) {
  test(`${name}: ${status} and the connection closes, a sibling connection is unaffected`, async () => {
    const sibling = await rawConnection();
    sibling.socket.write(`GET /before HTTP/1.1\r\n${HOST}\r\n`);
    const reply = await rejected(raw + `GET /smuggled HTTP/1.1\r\n${HOST}\r\n\r\n`);
    assert.match(reply, new RegExp(`^HTTP/1\\.1 ${status} `));
    assert.match(reply, /\r\nconnection: close\r\n/);
    assert.doesNotMatch(reply, /smuggled/);
    sibling.socket.write(`GET /after HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n`);
    await sibling.ended;
    assert.deepEqual(parseResponses(sibling.received()).map((r) => r.body), ["GET /before 0", "GET /after 0"]);
  });
}

test("a request head above 60 KiB gets 431 and the connection closes", async () => {
  const reply = await rejected(`GET / HTTP/1.1\r\n${HOST}X-Big: ${"a".repeat(61 * 1024)}\r\n\r\n`);
  assert.match(reply, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
  assert.match(reply, /\r\nconnection: close\r\n/);
});

test("more than 100 header fields get 431 and the connection closes", async () => {
  const reply = await rejected(`GET / HTTP/1.1\r\n${HOST}${"X-Many: 1\r\n".repeat(100)}\r\n`);
  assert.match(reply, /^HTTP\/1\.1 431 /);
  assert.match(reply, /\r\nconnection: close\r\n/);
});

test("a request head just under 60 KiB is accepted", async () => {
  const r = await httpGet("http://reviews:9080/big", { via: `${CLIENT_IP}:15001`, headers: { "x-big": "a".repeat(58 * 1024) } });
  assert.equal(r.status, 200);
});
