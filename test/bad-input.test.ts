// End to end: bad input never takes the mesh down — bad YAML, bad resources, garbage nodes, malformed HTTP.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import * as grpc from "@grpc/grpc-js";
import type { Server } from "node:http";
import { aggregatedDiscoveryService, jsonToStruct, type DiscoveryRequest, type DiscoveryResponse } from "../src/xds/discovery.js";
import { CLUSTER_TYPE } from "../src/xds/type-urls.js";
import {
  configDir, startControlPlane, startSidecar, startVersionApp, serverPort, closeServer, httpGet, waitFor, sleep,
  type ControlPlaneHandle, type WeftProcess,
} from "./support/mesh-processes.js";
import { reviewsDestinationRule, reviewsServiceEntry, reviewsVirtualService } from "./support/reviews-mesh.js";

const CLIENT_IP = "127.0.0.60";

const MESH = reviewsServiceEntry() + "---" + reviewsDestinationRule();
const GOOD_VS = reviewsVirtualService({ subset: "v1" });

let config: Awaited<ReturnType<typeof configDir>>;
let cp: ControlPlaneHandle;
const procs: WeftProcess[] = [];
let app: Server;

async function reviewsStatus(): Promise<number> {
  return (await httpGet("http://reviews:9080/", { via: `${CLIENT_IP}:15001` })).status;
}

async function rejectedResources(): Promise<number> {
  const body = (await httpGet(`http://127.0.0.1:${cp.monitoringPort}/metrics`)).body;
  const m = body.match(/^weft_config_rejected_resources (\d+)$/m);
  assert.ok(m, "weft_config_rejected_resources is exported");
  return Number(m[1]);
}

before(async () => {
  config = await configDir({ "mesh.yaml": MESH, "reviews-vs.yaml": GOOD_VS });
  cp = await startControlPlane(config.dir);
  app = await startVersionApp("127.0.0.1", 0, "v1");
  procs.push(
    await startSidecar(cp.xdsPort, { ip: "127.0.0.61", workload: "reviews-v1", labels: { app: "reviews", version: "v1" }, appPort: serverPort(app) }),
    await startSidecar(cp.xdsPort, { ip: CLIENT_IP, workload: "client", labels: { app: "client" } }),
  );
  await waitFor(async () => (await reviewsStatus()) === 200, 10_000);
});

after(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  await cp?.proc.stop();
  if (app) await closeServer(app);
  await config?.remove();
});

test("malformed YAML is reported with its file and line; everything else keeps serving", async () => {
  await config.write("broken.yaml", "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: x\n  spec: [\n");
  await cp.proc.waitForLog(/broken\.yaml:\d+/);
  assert.equal(await reviewsStatus(), 200);
});

test("a negative weight is rejected with file, resource and field, and the last good version stays in force", async () => {
  const before = await rejectedResources();
  await config.write("reviews-vs.yaml", GOOD_VS.replace("subset: v1}", "subset: v1}\n      weight: -10"));
  await cp.proc.waitForLog(/reviews-vs\.yaml:\d+ VirtualService default\/reviews spec\.http\[0\]\.route\[0\]\.weight: .+/);
  await waitFor(async () => (await rejectedResources()) === before + 1, 3000);
  assert.equal(await reviewsStatus(), 200);
  await config.write("reviews-vs.yaml", GOOD_VS);
  await waitFor(async () => (await rejectedResources()) === before, 3000);
});

test("a schema violation (string for a number, unknown enum) is rejected naming the field", async () => {
  await config.write("dr-bad.yaml", `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ratings}
spec:
  host: ratings
  trafficPolicy:
    loadBalancer: {simple: FASTEST}
    connectionPool:
      tcp: {maxConnections: lots}
`);
  await cp.proc.waitForLog(/dr-bad\.yaml:\d+ DestinationRule default\/ratings spec\.trafficPolicy\.loadBalancer\.simple: .+/);
  await cp.proc.waitForLog(/dr-bad\.yaml:\d+ DestinationRule default\/ratings spec\.trafficPolicy\.connectionPool\.tcp\.maxConnections: .+/);
  assert.equal(await reviewsStatus(), 200);
});

test("an unknown kind is reported and ignored", async () => {
  await config.write("deploy.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {}\n");
  await cp.proc.waitForLog(/deploy\.yaml:\d+ Deployment default\/web .*: .+/);
  assert.equal(await reviewsStatus(), 200);
});

test("a route to a subset no DestinationRule defines is warned about and answers 503 (NC), not a crash", async () => {
  await config.write("reviews-vs.yaml", GOOD_VS.replace("subset: v1", "subset: v9"));
  await cp.proc.waitForLog(/v9/);
  await waitFor(async () => (await reviewsStatus()) === 503, 3000);
  await config.write("reviews-vs.yaml", GOOD_VS);
  await waitFor(async () => (await reviewsStatus()) === 200, 3000);
});

test("a VirtualService for a host nobody serves is warned about", async () => {
  await config.write("ghost-vs.yaml", GOOD_VS.replace(/reviews/g, "ghost").replace("name: ghost", "name: ghost-vs"));
  await cp.proc.waitForLog(/ghost-vs\.yaml:\d+ VirtualService default\/ghost-vs .+/);
  assert.equal(await reviewsStatus(), 200);
});

test("a duplicate resource name is rejected and the first definition stays", async () => {
  await config.write("zz-duplicate.yaml", GOOD_VS.replace("subset: v1", "subset: v2"));
  await cp.proc.waitForLog(/zz-duplicate\.yaml:\d+ VirtualService default\/reviews .*duplicate/i);
  await sleep(300);
  const body = (await httpGet("http://reviews:9080/", { via: `${CLIENT_IP}:15001` })).body;
  assert.equal(JSON.parse(body).version, "v1");
});

test("a proxy with garbage node metadata is refused with INVALID_ARGUMENT; other proxies are unaffected", async () => {
  const client = new grpc.Client(`127.0.0.1:${cp.xdsPort}`, grpc.credentials.createInsecure());
  const def = aggregatedDiscoveryService.StreamAggregatedResources;
  const stream = client.makeBidiStreamRequest(def.path, def.requestSerialize, def.responseDeserialize) as grpc.ClientDuplexStream<DiscoveryRequest, DiscoveryResponse>;
  const status = new Promise<grpc.StatusObject>((resolve) => stream.on("status", resolve));
  stream.on("error", () => {});
  stream.on("data", () => {});
  stream.write({
    node: { id: "sidecar~not-an-ip~x.default~default.svc.cluster.local", metadata: jsonToStruct({ LABELS: "not a map", APP_PORT: "eighty" }) },
    type_url: CLUSTER_TYPE, version_info: "", resource_names: [], response_nonce: "", error_detail: null,
  });
  const s = await status;
  client.close();
  assert.equal(s.code, grpc.status.INVALID_ARGUMENT);
  assert.ok(s.details.length > 0);
  assert.equal(await reviewsStatus(), 200);
});

test("a malformed HTTP request gets 400 from the sidecar; other connections keep working", async () => {
  const reply = await new Promise<string>((resolve, reject) => {
    const socket = connect(15001, CLIENT_IP, () => {
      socket.write("GET / HTTP/1.1\r\nHost: reviews:9080\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    });
    let data = "";
    socket.setEncoding("utf8").on("data", (c: string) => (data += c));
    socket.on("end", () => resolve(data));
    socket.on("close", () => resolve(data));
    socket.on("error", reject);
  });
  assert.match(reply, /^HTTP\/1\.1 400 /);
  const junk = await new Promise<string>((resolve) => {
    const socket = connect(15001, CLIENT_IP, () => socket.write("THIS IS NOT HTTP\r\n\r\n"));
    let data = "";
    socket.setEncoding("utf8").on("data", (c: string) => (data += c));
    socket.on("close", () => resolve(data));
  });
  assert.match(junk, /^HTTP\/1\.1 400 /);
  assert.equal(await reviewsStatus(), 200);
});
