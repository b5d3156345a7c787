// Tests for ScaleProxy against a scripted SotW ADS server: it follows CDS to EDS, syncs, and reopens an ended stream.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { packAny } from "../../src/xds/any.js";
import { aggregatedDiscoveryService, type DiscoveryRequest, type DiscoveryResponse } from "../../src/xds/discovery.js";
import { CLUSTER_TYPE, ENDPOINT_TYPE } from "../../src/xds/type-urls.js";
import { ChangeWatch } from "./change-watch.js";
import { SotwScaleProxy } from "./scale-proxy.js";

const EDS_NAME = "outbound|80||a.ns.svc.cluster.local";
const cluster = packAny(CLUSTER_TYPE, { name: EDS_NAME, type: "EDS", eds_cluster_config: { eds_config: { ads: {} }, service_name: EDS_NAME } });
const cla = (address: string) =>
  packAny(ENDPOINT_TYPE, { cluster_name: EDS_NAME, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address, port_value: 80 } } } }] }] });

test("a SotW ScaleProxy reopens a stream the server ended, syncs on the new one, and converges when the marker arrives", async () => {
  const requests: DiscoveryRequest[][] = [];
  const streams: Array<grpc.ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>> = [];
  let nonce = 0;
  const server = new grpc.Server();
  server.addService(aggregatedDiscoveryService, {
    StreamAggregatedResources: (call: grpc.ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>) => {
      const seen: DiscoveryRequest[] = [];
      requests.push(seen);
      streams.push(call);
      if (requests.length === 1) {
        call.emit("error", Object.assign(new Error("go away"), { code: grpc.status.UNAVAILABLE }));
        return;
      }
      call.on("data", (req: DiscoveryRequest) => {
        seen.push(req);
        if (req.response_nonce !== "" && req.type_url !== ENDPOINT_TYPE) return; // an ACK
        if (req.type_url === CLUSTER_TYPE) call.write({ version_info: "1", resources: [cluster], type_url: CLUSTER_TYPE, nonce: String(++nonce) });
        else if (req.type_url === ENDPOINT_TYPE && req.response_nonce === "") call.write({ version_info: "1", resources: [cla("127.1.0.1")], type_url: ENDPOINT_TYPE, nonce: String(++nonce) });
        else if (req.type_url !== ENDPOINT_TYPE) call.write({ version_info: "1", resources: [], type_url: req.type_url, nonce: String(++nonce) });
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.61:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  const client = new grpc.Client(`127.0.0.61:${port}`, grpc.credentials.createInsecure());
  const proxy = new SotwScaleProxy({ id: "sidecar~127.4.0.1~c.ns~ns.svc.cluster.local" }, "ns", () => undefined);
  try {
    proxy.start(client);
    const deadline = Date.now() + 10_000;
    while (proxy.syncedAt === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(proxy.syncedAt !== undefined, "synced");
    assert.equal(proxy.reconnects, 1);
    assert.match(proxy.firstError ?? "", /UNAVAILABLE/);
    assert.equal(requests[1]![0]!.node?.id, "sidecar~127.4.0.1~c.ns~ns.svc.cluster.local", "the new stream sends the node again");
    assert.deepEqual(requests[1]!.find((r) => r.type_url === ENDPOINT_TYPE)?.resource_names, [EDS_NAME]);

    proxy.arm(new ChangeWatch("127.2.", [{ value: "127.2.0.1", expected: 1 }]));
    assert.equal(proxy.waiting, true);
    streams[1]!.write({ version_info: "2", resources: [cla("127.2.0.1")], type_url: ENDPOINT_TYPE, nonce: String(++nonce) });
    while (proxy.convergedAt === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(proxy.convergedAt !== undefined && !proxy.waiting && proxy.bytes > 0);
    while (requests[1]!.at(-1)!.version_info !== "2" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const ack = requests[1]!.at(-1)!;
    assert.deepEqual([ack.type_url, ack.version_info, ack.response_nonce], [ENDPOINT_TYPE, "2", String(nonce)]);
  } finally {
    proxy.close();
    client.close();
    server.forceShutdown();
  }
});
