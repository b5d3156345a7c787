// End to end: HTTP/2 (h2c prior knowledge) and gRPC through a client and a server sidecar, and HTTP/1.1 ⇄ HTTP/2 across hops.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { connect as h2connect, createServer as createH2Server, type Http2Server } from "node:http2";
import { createServer as createH1Server, request as h1request, type Server as H1Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as grpc from "@grpc/grpc-js";
import { closeServer, configDir, httpGet, serverPort, startControlPlane, startSidecar, waitFor, type ControlPlaneHandle, type WeftProcess } from "./support/mesh-processes.js";

const run = promisify(execFile);
const CLIENT_IP = "127.0.3.10";
const H2_HOST = "h2echo.default.svc.cluster.local";
const GRPC_HOST = "greeter.default.svc.cluster.local";
const H1_HOST = "h1echo.default.svc.cluster.local";
/** A gRPC service whose workloads never registered: its cluster has no endpoints. */
const DEAD_GRPC_HOST = "nobody.default.svc.cluster.local";

const CONFIG = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: h2echo}
spec:
  hosts: [${H2_HOST}]
  ports: [{number: 9090, name: http2-web}]
  resolution: STATIC
  workloadSelector: {labels: {app: h2echo}}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: greeter}
spec:
  hosts: [${GRPC_HOST}]
  ports: [{number: 7070, name: grpc}]
  resolution: STATIC
  workloadSelector: {labels: {app: greeter}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: greeter}
spec:
  host: ${GRPC_HOST}
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: greeter}
spec:
  hosts: [${GRPC_HOST}]
  http:
  - route:
    - {destination: {host: ${GRPC_HOST}, subset: v1}, weight: 80}
    - {destination: {host: ${GRPC_HOST}, subset: v2}, weight: 20}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: h1echo}
spec:
  hosts: [${H1_HOST}]
  ports: [{number: 9091, name: http-web}]
  resolution: STATIC
  workloadSelector: {labels: {app: h1echo}}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: nobody}
spec:
  hosts: [${DEAD_GRPC_HOST}]
  ports: [{number: 7071, name: grpc}]
  resolution: STATIC
  workloadSelector: {labels: {app: nobody}}
`;

/** Raw-bytes gRPC methods (no protobuf needed: the proxy never looks inside messages). */
const identity = (b: Buffer): Buffer => b;
const SERVICE = {
  unary: { path: "/test.Greeter/Unary", requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity },
  stream: { path: "/test.Greeter/Stream", requestStream: false, responseStream: true, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity },
  version: { path: "/test.Greeter/Version", requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity },
} as const;

interface GreeterClient {
  unary(req: Buffer, cb: (e: grpc.ServiceError | null, r?: Buffer) => void): grpc.ClientUnaryCall;
  stream(req: Buffer): grpc.ClientReadableStream<Buffer>;
  version(req: Buffer, cb: (e: grpc.ServiceError | null, r?: Buffer) => void): grpc.ClientUnaryCall;
  close(): void;
}

/** A plain (not xDS) grpc-js client whose channel goes to the client sidecar, with `authority` as the service. */
function greeterClient(authority: string): GreeterClient {
  const Client = grpc.makeGenericClientConstructor(SERVICE as unknown as grpc.ServiceDefinition, "Greeter");
  return new Client(`${CLIENT_IP}:15001`, grpc.credentials.createInsecure(), { "grpc.default_authority": authority }) as unknown as GreeterClient;
}

function callVersion(client: GreeterClient): Promise<string> {
  return new Promise((resolve, reject) => client.version(Buffer.alloc(0), (e, r) => (e ? reject(e) : resolve(r!.toString()))));
}

let config: Awaited<ReturnType<typeof configDir>>;
let cp: ControlPlaneHandle;
const procs: WeftProcess[] = [];
let h2app: Http2Server;
let h1app: H1Server;
const grpcServers: grpc.Server[] = [];

before(async () => {
  h2app = createH2Server((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ httpVersion: req.httpVersion, path: req.url, bytes: Buffer.concat(chunks).length, authority: req.headers[":authority"] }));
    });
  });
  await new Promise<void>((r) => h2app.listen(0, "127.0.0.1", r));
  h1app = createH1Server((req, res) => {
    let bytes = 0;
    req.on("data", (c: Buffer) => (bytes += c.length));
    // No content-length: the response is chunked, which an HTTP/2 downstream must get de-chunked.
    req.on("end", () => res.end(JSON.stringify({ httpVersion: req.httpVersion, host: req.headers.host, bytes, te: req.headers["transfer-encoding"] ?? null })));
  });
  await new Promise<void>((r) => h1app.listen(0, "127.0.0.1", r));
  const greeterPorts = [await startGreeter("v1"), await startGreeter("v2")];
  config = await configDir({ "services.yaml": CONFIG });
  cp = await startControlPlane(config.dir, { xdsPort: 26200, monitoringPort: 26201 });
  procs.push(
    await startSidecar(cp.xdsPort, { ip: "127.0.3.11", workload: "h2echo-v1", labels: { app: "h2echo" }, appPort: (h2app.address() as AddressInfo).port }),
    await startSidecar(cp.xdsPort, { ip: "127.0.3.12", workload: "greeter-v1", labels: { app: "greeter", version: "v1" }, appPort: greeterPorts[0] }),
    await startSidecar(cp.xdsPort, { ip: "127.0.3.13", workload: "greeter-v2", labels: { app: "greeter", version: "v2" }, appPort: greeterPorts[1] }),
    await startSidecar(cp.xdsPort, { ip: "127.0.3.14", workload: "h1echo-v1", labels: { app: "h1echo" }, appPort: serverPort(h1app) }),
    await startSidecar(cp.xdsPort, { ip: CLIENT_IP, workload: "client", labels: { app: "client" } }),
  );
  await waitFor(async () => (await curlH2("/ready").catch(() => "")).includes("2.0"), 10_000);
  // Both greeter versions registered: the client's sidecar reaches each.
  const client = greeterClient(`${GRPC_HOST}:7070`);
  try {
    const seen = new Set<string>();
    await waitFor(async () => {
      for (let i = 0; i < 20; i++) seen.add(await callVersion(client).catch(() => ""));
      return seen.has("v1") && seen.has("v2");
    }, 10_000);
  } finally {
    client.close();
  }
});

after(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  await cp?.proc.stop();
  h2app?.close();
  if (h1app) await closeServer(h1app);
  for (const s of grpcServers) s.forceShutdown();
  await config?.remove();
});

/** A gRPC server on a free port of 127.0.0.1 whose Version method answers `version`. */
async function startGreeter(version: string): Promise<number> {
  const grpcServer = new grpc.Server();
  grpcServers.push(grpcServer);
  grpcServer.addService(SERVICE as unknown as grpc.ServiceDefinition, {
    unary: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      const name = call.request.toString();
      if (name === "fail") {
        const md = new grpc.Metadata();
        md.set("x-why", "asked-to-fail");
        cb({ code: grpc.status.FAILED_PRECONDITION, details: "no luck: 100%", metadata: md });
        return;
      }
      const trailer = new grpc.Metadata();
      trailer.set("x-trailer", "t1");
      cb(null, Buffer.from(`hello ${name}`), trailer);
    },
    stream: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
      const n = Number(call.request.toString());
      for (let i = 0; i < n; i++) call.write(Buffer.from(`msg ${i}`));
      call.end();
    },
    version: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, Buffer.from(version)),
  });
  return new Promise<number>((resolve, reject) => grpcServer.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
}

async function curlH2(path: string, extra: string[] = []): Promise<string> {
  const { stdout } = await run("curl", ["-sS", "--http2-prior-knowledge", "--max-time", "5", "--connect-to", `${H2_HOST}:9090:${CLIENT_IP}:15001`, ...extra, `http://${H2_HOST}:9090${path}`]);
  return stdout;
}

test("curl --http2-prior-knowledge reaches an http2 port's app over HTTP/2 end to end", async () => {
  const out = await curlH2("/hello?x=1", ["-i"]);
  assert.match(out, /^HTTP\/2 200/);
  assert.match(out, /x-envoy-upstream-service-time: \d+/);
  const body = JSON.parse(out.slice(out.indexOf("{")));
  assert.deepEqual(body, { httpVersion: "2.0", path: "/hello?x=1", bytes: 0, authority: `${H2_HOST}:9090` });
});

test("nghttp streams a 1 MiB request body through both sidecars", async () => {
  const file = `${config.dir}/body.bin`;
  await run("dd", ["if=/dev/zero", `of=${file}`, "bs=1024", "count=1024"]);
  const { stdout } = await run("nghttp", ["-d", file, "-H", `:authority: ${H2_HOST}:9090`, `http://${CLIENT_IP}:15001/upload`]);
  assert.deepEqual(JSON.parse(stdout), { httpVersion: "2.0", path: "/upload", bytes: 1024 * 1024, authority: `${H2_HOST}:9090` });
});

test("gRPC unary and server-streaming calls through the sidecars keep messages, statuses and trailing metadata", async () => {
  const client = greeterClient(`${GRPC_HOST}:7070`);
  try {
    const trailers = new Promise<grpc.Metadata>((resolve) => {
      const call = client.unary(Buffer.from("mesh"), (e, r) => { assert.equal(e, null); assert.equal(r!.toString(), "hello mesh"); });
      call.on("status", (s: grpc.StatusObject) => resolve(s.metadata));
    });
    assert.deepEqual((await trailers).get("x-trailer"), ["t1"]);

    const err = await new Promise<grpc.ServiceError>((resolve) => client.unary(Buffer.from("fail"), (e) => resolve(e!)));
    assert.equal(err.code, grpc.status.FAILED_PRECONDITION);
    assert.equal(err.details, "no luck: 100%");
    assert.deepEqual(err.metadata.get("x-why"), ["asked-to-fail"]);

    const msgs: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const s = client.stream(Buffer.from("5"));
      s.on("data", (m: Buffer) => msgs.push(m.toString()));
      s.on("error", reject);
      s.on("end", () => resolve());
    });
    assert.deepEqual(msgs, ["msg 0", "msg 1", "msg 2", "msg 3", "msg 4"]);
  } finally {
    client.close();
  }
});

test("a gRPC call to an unknown authority gets a trailers-only UNIMPLEMENTED from the sidecar (Envoy's 404 mapping)", async () => {
  const client = greeterClient("nowhere.default.svc.cluster.local:7070");
  try {
    const err = await new Promise<grpc.ServiceError | null>((resolve) => client.unary(Buffer.from("x"), resolve));
    assert.equal(err?.code, grpc.status.UNIMPLEMENTED);
  } finally {
    client.close();
  }
});

test("a gRPC call to a service without healthy endpoints gets UNAVAILABLE from the sidecar (Envoy's 503 mapping)", async () => {
  const client = greeterClient(`${DEAD_GRPC_HOST}:7071`);
  try {
    const err = await new Promise<grpc.ServiceError | null>((resolve) => client.unary(Buffer.from("x"), resolve));
    assert.equal(err?.code, grpc.status.UNAVAILABLE);
    assert.equal(err?.details, "no healthy upstream");
  } finally {
    client.close();
  }
});

test("80/20 weights send 20±8% of 300 gRPC calls to v2, with no failures", async () => {
  const client = greeterClient(`${GRPC_HOST}:7070`);
  const counts: Record<string, number> = {};
  try {
    let next = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next++ < 300) {
        const v = await callVersion(client);
        counts[v] = (counts[v] ?? 0) + 1;
      }
    }));
  } finally {
    client.close();
  }
  assert.equal((counts.v1 ?? 0) + (counts.v2 ?? 0), 300, JSON.stringify(counts));
  const share = (counts.v2 ?? 0) / 300;
  assert.ok(share >= 0.12 && share <= 0.28, `v2 share ${(share * 100).toFixed(1)}% (counts ${JSON.stringify(counts)})`);
});

test("an HTTP/1.1 request to an http2 port reaches the app over HTTP/2", async () => {
  const r = await httpGet(`http://${H2_HOST}:9090/from-h1`, { via: `${CLIENT_IP}:15001` });
  assert.equal(r.status, 200);
  assert.deepEqual(JSON.parse(r.body), { httpVersion: "2.0", path: "/from-h1", bytes: 0, authority: `${H2_HOST}:9090` });
});

test("an HTTP/2 request to an http port reaches the app over HTTP/1.1, its chunked body de-chunked", async () => {
  const { stdout } = await run("curl", ["-sS", "-i", "--http2-prior-knowledge", "--max-time", "5", "--connect-to", `${H1_HOST}:9091:${CLIENT_IP}:15001`, `http://${H1_HOST}:9091/from-h2`]);
  assert.match(stdout, /^HTTP\/2 200/);
  assert.doesNotMatch(stdout, /transfer-encoding/i);
  assert.deepEqual(JSON.parse(stdout.slice(stdout.indexOf("{"))), { httpVersion: "1.1", host: `${H1_HOST}:9091`, bytes: 0, te: null });
});

test("a chunked HTTP/1.1 request body reaches an HTTP/2 app as plain DATA", async () => {
  const body = await new Promise<string>((resolve, reject) => {
    const req = h1request({ host: CLIENT_IP, port: 15001, method: "POST", path: "/chunked", headers: { host: `${H2_HOST}:9090` } }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (c: string) => (text += c)).on("end", () => resolve(text));
    });
    req.on("error", reject);
    for (let i = 0; i < 10; i++) req.write(Buffer.alloc(1000, i));
    req.end();
  });
  assert.deepEqual(JSON.parse(body), { httpVersion: "2.0", path: "/chunked", bytes: 10_000, authority: `${H2_HOST}:9090` });
});

test("an HTTP/2 request body without content-length reaches an HTTP/1.1 app chunked", async () => {
  const session = h2connect(`http://${CLIENT_IP}:15001`);
  try {
    const body = await new Promise<string>((resolve, reject) => {
      const req = session.request({ ":method": "POST", ":path": "/stream", ":authority": `${H1_HOST}:9091` });
      let text = "";
      req.setEncoding("utf8").on("data", (c: string) => (text += c)).on("end", () => resolve(text)).on("error", reject);
      for (let i = 0; i < 10; i++) req.write(Buffer.alloc(1000, i));
      req.end();
    });
    assert.deepEqual(JSON.parse(body), { httpVersion: "1.1", host: `${H1_HOST}:9091`, bytes: 10_000, te: "chunked" });
  } finally {
    session.close();
  }
});
