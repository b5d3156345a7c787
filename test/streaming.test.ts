// End to end: large bodies stream through two sidecars (upload and download) without growing either proxy's memory.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import { serverPort, closeServer } from "./support/mesh-processes.js";
import { startTwoSidecarMesh, type TwoSidecarMesh } from "./support/two-sidecar-mesh.js";

const CLIENT_IP = "127.0.3.120";
const SERVER_IP = "127.0.3.121";
/** Bytes per direction: 256 MiB keeps the test under 30 s on a loaded machine; WEFT_STREAM_MB=1024 for the 1 GB figure. */
const SIZE = Number(process.env.WEFT_STREAM_MB ?? 256) * 1024 * 1024;
/** Allowed growth of a sidecar's peak RSS over its RSS before the transfer. */
const RSS_BOUND = 64 * 1024 * 1024;
const CHUNK = Buffer.alloc(1024 * 1024, 0x61);

let mesh: TwoSidecarMesh | undefined;
let app: Server;

before(async () => {
  // POST: counts the body and answers the count. GET /download/<n>: n bytes, chunked when ?chunked.
  app = createServer((req, res) => {
    if (req.method === "POST") {
      let n = 0;
      req.on("data", (c: Buffer) => (n += c.length));
      req.on("end", () => res.end(String(n)));
      return;
    }
    const m = /^\/download\/(\d+)(\?chunked)?$/.exec(req.url ?? "");
    if (!m) { res.writeHead(404).end(); return; }
    const total = Number(m[1]);
    res.writeHead(200, m[2] ? {} : { "content-length": total });
    void writeAll(res, total).then(() => res.end());
  });
  await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", () => resolve()));
  mesh = await startTwoSidecarMesh({ clientIp: CLIENT_IP, serverIp: SERVER_IP, appPort: serverPort(app), xdsPort: 26252, monitoringPort: 26253, readyPath: "/download/1" });
});

after(async () => {
  await mesh?.stop();
  if (app) await closeServer(app);
});

/** Writes `total` bytes to `out` in 1 MiB slices, waiting for 'drain' whenever the writer says so. */
async function writeAll(out: NodeJS.WritableStream, total: number): Promise<void> {
  for (let left = total; left > 0; left -= CHUNK.length) {
    const ok = out.write(left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left));
    if (!ok) await new Promise((resolve) => out.once("drain", resolve));
  }
}

/** VmRSS or VmHWM of a process in bytes (Linux /proc). */
function memory(pid: number, field: "VmRSS" | "VmHWM"): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m![1]) * 1024;
}

/** Runs `transfer` and asserts that neither sidecar's peak RSS rose more than RSS_BOUND above its RSS before. */
async function withFlatMemory(bytes: number, transfer: () => Promise<void>): Promise<void> {
  const pids = mesh!.sidecars.map((s) => s.child.pid!);
  const before = pids.map((pid) => memory(pid, "VmRSS"));
  const started = Date.now();
  await transfer();
  const peaks = pids.map((pid) => memory(pid, "VmHWM"));
  const growth = peaks.map((p, i) => p - before[i]);
  const mib = (n: number) => (n / 1048576).toFixed(1);
  process.stderr.write(`# ${bytes / 1048576} MiB in ${Date.now() - started} ms; sidecar RSS before ${before.map(mib)} MiB, peak ${peaks.map(mib)} MiB\n`);
  for (const g of growth) assert.ok(g < RSS_BOUND, `sidecar peak RSS grew by ${mib(g)} MiB (bound ${mib(RSS_BOUND)} MiB)`);
}

function send(method: "GET" | "POST", path: string, body: ((req: NodeJS.WritableStream) => Promise<void>) | undefined, headers: Record<string, string | number> = {}): Promise<{ status: number; bytes: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: CLIENT_IP, port: 15001, method, path, headers: { host: "reviews:9080", ...headers } }, (res) => {
      let bytes = 0;
      let text = "";
      res.on("data", (c: Buffer) => { bytes += c.length; if (text.length < 64) text += c.toString("latin1"); });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, bytes, text }));
      res.on("error", reject);
    });
    req.on("error", reject);
    if (body) void body(req).then(() => req.end());
    else req.end();
  });
}

test(`an upload streams through both sidecars with flat memory (Content-Length)`, async () => {
  await withFlatMemory(SIZE, async () => {
    const r = await send("POST", "/upload", (req) => writeAll(req, SIZE), { "content-length": SIZE });
    assert.equal(r.status, 200);
    assert.equal(r.text, String(SIZE));
  });
});

test(`a download streams through both sidecars with flat memory (Content-Length)`, async () => {
  await withFlatMemory(SIZE, async () => {
    const r = await send("GET", `/download/${SIZE}`, undefined);
    assert.equal(r.status, 200);
    assert.equal(r.bytes, SIZE);
  });
});

test("chunked upload and download of 64 MiB stream with flat memory", async () => {
  const size = 64 * 1024 * 1024;
  await withFlatMemory(2 * size, async () => {
    const up = await send("POST", "/upload", (req) => writeAll(req, size));
    assert.equal(up.text, String(size));
    const down = await send("GET", `/download/${size}?chunked`, undefined);
    assert.equal(down.bytes, size);
  });
});
