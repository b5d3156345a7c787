// End to end: real @grpc/grpc-js-xds clients (proxyless gRPC) follow Weft's VirtualService: weights and header matches.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import * as grpcXds from "@grpc/grpc-js-xds";
import { configDir, startControlPlane, waitFor, type ControlPlaneHandle } from "./support/mesh-processes.js";
import { reviewsDestinationRule, reviewsServiceEntry, reviewsVirtualService } from "./support/reviews-mesh.js";

const PATH = "/weft.test.Reviews/Get";
const json = {
  serialize: (o: unknown) => Buffer.from(JSON.stringify(o)),
  deserialize: (b: Buffer) => JSON.parse(b.toString()) as { version: string },
};

const FQDN = "reviews.default.svc.cluster.local";
const MESH = [
  reviewsServiceEntry({ protocol: "GRPC" }),
  workloadEntry("reviews-v1", "127.0.0.51", "v1"),
  workloadEntry("reviews-v2", "127.0.0.52", "v2"),
  reviewsDestinationRule(FQDN),
].join("---");

function workloadEntry(name: string, address: string, version: string): string {
  return `
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata:
  name: ${name}
spec:
  address: ${address}
  labels: {app: reviews, version: ${version}}
`;
}

function virtualService(v1: number, v2: number): string {
  return reviewsVirtualService({ weights: { v1, v2 }, jason: true, host: FQDN });
}

let config: Awaited<ReturnType<typeof configDir>>;
let cp: ControlPlaneHandle;
const servers: grpc.Server[] = [];
let client: grpc.Client;

async function startReviews(ip: string, version: string): Promise<grpc.Server> {
  const server = new grpc.Server();
  server.addService(
    { Get: { path: PATH, requestStream: false, responseStream: false, requestSerialize: json.serialize, requestDeserialize: json.deserialize, responseSerialize: json.serialize, responseDeserialize: json.deserialize } },
    { Get: (_call: unknown, cb: grpc.sendUnaryData<{ version: string }>) => cb(null, { version }) },
  );
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`${ip}:9080`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())),
  );
  return server;
}

function call(metadata?: Record<string, string>): Promise<string> {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(metadata ?? {})) md.set(k, v);
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(PATH, json.serialize, json.deserialize, {}, md, { deadline: Date.now() + 5000 }, (err, res) =>
      err ? reject(err) : resolve(res!.version),
    ),
  );
}

async function tally(n: number, metadata?: Record<string, string>): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i += 20) {
    const batch = await Promise.all(Array.from({ length: Math.min(20, n - i) }, () => call(metadata)));
    for (const v of batch) counts[v] = (counts[v] ?? 0) + 1;
  }
  return counts;
}

before(async () => {
  config = await configDir({ "mesh.yaml": MESH, "reviews-vs.yaml": virtualService(80, 20) });
  cp = await startControlPlane(config.dir);
  servers.push(await startReviews("127.0.0.51", "v1"), await startReviews("127.0.0.52", "v2"));
  process.env.GRPC_XDS_BOOTSTRAP_CONFIG = JSON.stringify({
    xds_servers: [{ server_uri: `127.0.0.1:${cp.xdsPort}`, channel_creds: [{ type: "insecure" }], server_features: ["xds_v3"] }],
    node: {
      id: "sidecar~127.0.0.50~grpc-client.default~default.svc.cluster.local",
      // No GENERATOR: grpc here (the other grpc-js-xds tests set it): the control plane must recognise the
      // client by its user agent and answer the named Listener request with an api_listener anyway.
      metadata: { NAMESPACE: "default", INSTANCE_IPS: "127.0.0.50" },
      locality: {},
    },
  });
  grpcXds.register();
  client = new grpc.Client("xds:///reviews.default.svc.cluster.local:9080", grpc.credentials.createInsecure());
});

after(async () => {
  client?.close();
  for (const s of servers) s.forceShutdown();
  await cp?.proc.stop();
  await config?.remove();
});

test("grpc-js-xds: 80/20 weights send 20±5% of 1000 RPCs to v2", async () => {
  const counts = await tally(1000);
  const share = (counts.v2 ?? 0) / 1000;
  assert.equal((counts.v1 ?? 0) + (counts.v2 ?? 0), 1000, JSON.stringify(counts));
  assert.ok(share >= 0.15 && share <= 0.25, `v2 share ${(share * 100).toFixed(1)}%`);
});

test("grpc-js-xds: metadata end-user: jason routes every RPC to v2", async () => {
  assert.deepEqual(await tally(100, { "end-user": "jason" }), { v2: 100 });
});

test("grpc-js-xds: a VirtualService edit moves all RPCs to v2 without failed calls", async () => {
  await config.write("reviews-vs.yaml", virtualService(0, 100));
  await waitFor(async () => (await tally(40)).v2 === 40, 5000);
  assert.deepEqual(await tally(200), { v2: 200 });
});
