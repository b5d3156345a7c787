// Tests for the bench's SimulatedProxy against a scripted ADS server: subscriptions follow CDS/LDS, every response is ACKed.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { packAny } from "../src/xds/any.js";
import { aggregatedDiscoveryService, type DiscoveryRequest, type DiscoveryResponse } from "../src/xds/discovery.js";
import { CLUSTER_TYPE, ENDPOINT_TYPE, HCM_TYPE, LISTENER_TYPE, ROUTE_TYPE, ROUTER_TYPE } from "../src/xds/type-urls.js";
import { SimulatedProxy } from "./simulated-proxy.js";

const RESOURCES: Record<string, object[]> = {
  [CLUSTER_TYPE]: [
    { name: "outbound|9080||reviews.default.svc.cluster.local", type: "EDS", eds_cluster_config: { eds_config: { ads: {} }, service_name: "outbound|9080||reviews.default.svc.cluster.local" } },
    { name: "inbound|9080||", type: "STATIC" },
  ],
  [LISTENER_TYPE]: [
    {
      name: "0.0.0.0_9080",
      filter_chains: [{ filters: [{ name: "envoy.filters.network.http_connection_manager", typed_config: {
        "@type": HCM_TYPE,
        stat_prefix: "outbound_0.0.0.0_9080",
        rds: { route_config_name: "9080", config_source: { ads: {} } },
        http_filters: [{ name: "envoy.filters.http.router", typed_config: { "@type": ROUTER_TYPE } }],
      } }] }],
    },
  ],
  [ENDPOINT_TYPE]: [{ cluster_name: "outbound|9080||reviews.default.svc.cluster.local" }],
  [ROUTE_TYPE]: [{ name: "9080" }],
};

test("SimulatedProxy subscribes EDS and RDS to the names CDS and LDS reference, and ACKs every response with its nonce", async () => {
  const requests: DiscoveryRequest[] = [];
  let nonce = 0;
  const server = new grpc.Server();
  server.addService(aggregatedDiscoveryService, {
    StreamAggregatedResources: (call: grpc.ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>) => {
      call.on("data", (req: DiscoveryRequest) => {
        requests.push(req);
        if (req.response_nonce !== "") return; // an ACK
        call.write({
          version_info: "v1",
          type_url: req.type_url,
          nonce: String(++nonce),
          resources: RESOURCES[req.type_url].map((r) => packAny(req.type_url, r)),
        });
      });
      call.on("end", () => call.end());
    },
    DeltaAggregatedResources: (call: grpc.ServerDuplexStream<unknown, unknown>) => call.end(),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  const acks: string[] = [];
  const proxy = new SimulatedProxy(`127.0.0.1:${port}`, { id: "sidecar~127.0.1.1~sim-0.default~default.svc.cluster.local" }, (typeUrl, version) =>
    acks.push(`${typeUrl.slice(typeUrl.lastIndexOf(".") + 1)}@${version}`),
  );
  try {
    proxy.start();
    const deadline = Date.now() + 5000;
    while (acks.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual([...acks].sort(), ["Cluster@v1", "ClusterLoadAssignment@v1", "Listener@v1", "RouteConfiguration@v1"]);
    assert.deepEqual(proxy.subscribed(ENDPOINT_TYPE), ["outbound|9080||reviews.default.svc.cluster.local"]);
    assert.deepEqual(proxy.subscribed(ROUTE_TYPE), ["9080"]);
    assert.equal(requests[0].node?.id, "sidecar~127.0.1.1~sim-0.default~default.svc.cluster.local", "node on the first request");
    assert.ok(requests.slice(1).every((r) => !r.node?.id), "and only on the first");
    const ackOf = (typeUrl: string) => requests.find((r) => r.type_url === typeUrl && r.response_nonce !== "");
    for (const typeUrl of [CLUSTER_TYPE, LISTENER_TYPE, ENDPOINT_TYPE, ROUTE_TYPE]) {
      const ack = ackOf(typeUrl);
      assert.ok(ack, `ACK for ${typeUrl}`);
      assert.equal(ack.version_info, "v1");
      assert.equal(ack.error_detail ?? null, null);
    }
    assert.deepEqual(ackOf(CLUSTER_TYPE)!.resource_names, [], "CDS stays wildcard");
    assert.deepEqual(ackOf(ROUTE_TYPE)!.resource_names, ["9080"]);
  } finally {
    proxy.close();
    server.forceShutdown();
  }
});
