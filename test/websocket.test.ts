// End to end: WebSocket through two sidecars (client → client sidecar → server sidecar → app) with the ws package.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { createServer, type Server } from "node:http";
import { once } from "node:events";
import { WebSocket, WebSocketServer } from "ws";
import { serverPort, closeServer, waitFor } from "./support/mesh-processes.js";
import { startTwoSidecarMesh, type TwoSidecarMesh } from "./support/two-sidecar-mesh.js";

const CLIENT_IP = "127.0.3.100";
const SERVER_IP = "127.0.3.101";

let mesh: TwoSidecarMesh | undefined;
let app: Server;
let wss: WebSocketServer;
/** Close codes the app's side saw, in order. */
const serverCloses: number[] = [];
/** The app's side of the most recent connection. */
let lastServerSocket: WebSocket | undefined;

/** A 1 s route timeout: it bounds the upgrade handshake, not the WebSocket that follows. */
const ROUTE_WITH_TIMEOUT = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts: [reviews]
  http:
  - timeout: 1s
    route:
    - destination: {host: reviews}
`;

function openClient(path = "/echo"): Promise<WebSocket> {
  const ws = new WebSocket(`ws://${CLIENT_IP}:15001${path}`, { headers: { host: "reviews:9080" }, maxPayload: 16 * 1024 * 1024 });
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve(ws));
    ws.once("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once("error", reject);
  });
}

/** The next message; rejects when the connection closes first. */
function nextMessage(ws: WebSocket): Promise<{ data: Buffer; binary: boolean }> {
  return new Promise((resolve, reject) => {
    const onClose = (code: number) => reject(new Error(`closed (${code}) before a message arrived`));
    ws.once("close", onClose);
    ws.once("message", (data: Buffer, binary: boolean) => {
      ws.off("close", onClose);
      resolve({ data, binary });
    });
  });
}

before(async () => {
  // The app: echoes every message; on /greet it speaks first; on /bye it closes with 4001 after its greeting.
  app = createServer((_req, res) => { res.writeHead(200, { "content-length": 2 }); res.end("ok"); });
  wss = new WebSocketServer({ server: app, maxPayload: 16 * 1024 * 1024 });
  wss.on("connection", (ws, req) => {
    lastServerSocket = ws;
    ws.on("message", (data: Buffer, binary: boolean) => ws.send(data, { binary }));
    ws.on("close", (code) => serverCloses.push(code));
    if (req.url === "/greet") ws.send("hello from the server");
    if (req.url === "/bye") ws.close(4001, "server done");
  });
  await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", () => resolve()));

  mesh = await startTwoSidecarMesh({
    clientIp: CLIENT_IP, serverIp: SERVER_IP, appPort: serverPort(app), xdsPort: 26250, monitoringPort: 26251, extraConfig: ROUTE_WITH_TIMEOUT,
  });
});

after(async () => {
  wss?.close();
  await mesh?.stop();
  if (app) await closeServer(app);
});

test("text and binary messages are echoed through both sidecars", async () => {
  const ws = await openClient();
  ws.send("hello");
  const text = await nextMessage(ws);
  assert.equal(text.binary, false);
  assert.equal(text.data.toString(), "hello");
  const bytes = Buffer.from([0, 1, 2, 255, 254, 13, 10, 13, 10]);
  ws.send(bytes);
  const bin = await nextMessage(ws);
  assert.equal(bin.binary, true);
  assert.deepEqual(bin.data, bytes);
  ws.close();
  await once(ws, "close");
});

test("the server can speak first", async () => {
  const ws = new WebSocket(`ws://${CLIENT_IP}:15001/greet`, { headers: { host: "reviews:9080" } });
  const first = await nextMessage(ws);
  assert.equal(first.data.toString(), "hello from the server");
  ws.close();
  await once(ws, "close");
});

test("a close from the client reaches the app with its code", async () => {
  const before = serverCloses.length;
  const ws = await openClient();
  ws.close(4002, "client done");
  const [code] = await once(ws, "close");
  assert.equal(code, 4002);
  await waitFor(() => serverCloses.length > before, 5000);
  assert.equal(serverCloses[serverCloses.length - 1], 4002);
});

test("a close from the app reaches the client with its code", async () => {
  const ws = new WebSocket(`ws://${CLIENT_IP}:15001/bye`, { headers: { host: "reviews:9080" } });
  const [code, reason] = await once(ws, "close");
  assert.equal(code, 4001);
  assert.equal(String(reason), "server done");
});

test("the app's socket going away ends the client's connection", async () => {
  const ws = await openClient();
  lastServerSocket!.terminate();
  const [code] = await once(ws, "close");
  assert.equal(code, 1006); // abnormal closure: the TCP connection ended without a close frame
});

test("a WebSocket outlives the route timeout (it covers the handshake only)", async () => {
  const ws = await openClient();
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.equal(ws.readyState, WebSocket.OPEN, "the route timeout closed the WebSocket");
  ws.send("still here");
  assert.equal((await nextMessage(ws)).data.toString(), "still here");
  ws.close();
  await once(ws, "close");
});

test("a 5 MB message goes through whole", async () => {
  const ws = await openClient();
  const big = Buffer.alloc(5 * 1024 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff;
  ws.send(big);
  const back = await nextMessage(ws);
  assert.equal(back.data.length, big.length);
  assert.ok(back.data.equals(big));
  ws.close();
  await once(ws, "close");
});

test("an upgrade type the HCM does not enable gets 403 and the connection closes", async () => {
  const socket = connect(15001, CLIENT_IP);
  await once(socket, "connect");
  socket.write("GET /echo HTTP/1.1\r\nHost: reviews:9080\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\n");
  let reply = "";
  socket.setEncoding("latin1").on("data", (c: string) => (reply += c));
  await once(socket, "end");
  socket.destroy();
  assert.match(reply, /^HTTP\/1\.1 403 Forbidden\r\n/);
  assert.match(reply, /\r\nconnection: close\r\n/);
});
