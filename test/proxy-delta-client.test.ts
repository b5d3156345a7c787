// End to end: a real `weft proxy` (delta, the default) against a scripted delta ADS server — subscriptions, ACK, NACK, removal, reconnect.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import type { Server as HttpServer } from "node:http";
import {
  aggregatedDiscoveryService,
  type DeltaDiscoveryRequest,
  type DeltaDiscoveryResponse,
} from "../src/xds/discovery.js";
import { packAny } from "../src/xds/any.js";
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from "../src/xds/type-urls.js";
import { assignment, edsCluster, outboundListener, routeConfig, virtualOutboundListener } from "../src/proxy/testing/envoy-fixtures.js";
import { runWeft, startVersionApp, serverPort, closeServer, httpGet, waitFor, type WeftProcess } from "./support/mesh-processes.js";

const PROXY_IP = "127.0.0.98";
const ADS_IP = "127.0.0.99";
const REVIEWS = "outbound|9080||reviews.default.svc.cluster.local";
const RATINGS = "outbound|9081||ratings.default.svc.cluster.local";
const WILDCARD = new Set([LISTENER_TYPE, CLUSTER_TYPE]);

type Call = grpc.ServerDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;

/**
 * A scripted delta ADS server for one stream at a time. Per type it tracks what the client subscribed to
 * and which version of each resource the client has (from initial_resource_versions and from what was
 * sent), and sends only differences, like a real delta server. Tests change resources and call `push`.
 */
class ScriptedDeltaAds {
  readonly requests: DeltaDiscoveryRequest[] = [];
  readonly state = new Map<string, Map<string, { version: string; resource: object }>>();
  private readonly server = new grpc.Server();
  private call: Call | undefined;
  private readonly subscribed = new Map<string, Set<string> | "*">();
  private readonly known = new Map<string, Map<string, string>>();
  private nonce = 0;
  port = 0;
  /** Time each stream opened. */
  readonly streamsOpenedAt: number[] = [];

  constructor() {
    this.server.addService(aggregatedDiscoveryService, {
      StreamAggregatedResources: (call: grpc.ServerDuplexStream<unknown, unknown>) => call.end(),
      DeltaAggregatedResources: (call: Call) => {
        this.call = call;
        this.streamsOpenedAt.push(Date.now());
        this.subscribed.clear();
        this.known.clear();
        call.on("data", (req: DeltaDiscoveryRequest) => this.onRequest(req));
        call.on("error", () => {});
      },
    });
  }

  async listen(port = 0): Promise<void> {
    this.port = await new Promise((resolve, reject) =>
      this.server.bindAsync(`${ADS_IP}:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  }

  set(typeUrl: string, name: string, version: string, resource: object): void {
    if (!this.state.has(typeUrl)) this.state.set(typeUrl, new Map());
    this.state.get(typeUrl)!.set(name, { version, resource });
  }

  remove(typeUrl: string, name: string): void {
    this.state.get(typeUrl)?.delete(name);
  }

  /** Sends what the client lacks of a type (changed and removed resources); returns the nonce, or undefined when nothing differs. */
  push(typeUrl: string): string | undefined {
    const sub = this.subscribed.get(typeUrl);
    if (!sub || !this.call) return undefined;
    const known = this.known.get(typeUrl)!;
    const state = this.state.get(typeUrl) ?? new Map();
    const wants = (name: string) => sub === "*" || sub.has(name);
    const resources = [...state].filter(([name, s]) => wants(name) && known.get(name) !== s.version)
      .map(([name, s]) => ({ name, version: s.version, resource: packAny(typeUrl, s.resource) }));
    const removed = [...known.keys()].filter((name) => wants(name) && !state.has(name));
    if (resources.length === 0 && removed.length === 0) return undefined;
    for (const r of resources) known.set(r.name, r.version);
    for (const name of removed) known.delete(name);
    const nonce = `n${++this.nonce}`;
    this.call.write({ system_version_info: `sys${this.nonce}`, nonce, type_url: typeUrl, resources, removed_resources: removed });
    return nonce;
  }

  reply(nonce: string): DeltaDiscoveryRequest | undefined {
    return this.requests.find((r) => r.response_nonce === nonce);
  }

  of(typeUrl: string): DeltaDiscoveryRequest[] {
    return this.requests.filter((r) => r.type_url === typeUrl);
  }

  /** Ends the current stream with status OK, as a server enforcing a max stream age does. */
  endStream(): void {
    this.call?.end();
  }

  close(): void {
    this.server.forceShutdown();
  }

  private onRequest(req: DeltaDiscoveryRequest): void {
    this.requests.push(req);
    const type = req.type_url;
    if (!this.subscribed.has(type)) {
      // The first request of a type on a stream: legacy wildcard for LDS/CDS, and what the client has.
      this.subscribed.set(type, WILDCARD.has(type) && req.resource_names_subscribe.length === 0 ? "*" : new Set());
      this.known.set(type, new Map(Object.entries(req.initial_resource_versions)));
    }
    const sub = this.subscribed.get(type)!;
    if (sub !== "*") {
      for (const name of req.resource_names_subscribe) sub.add(name);
      for (const name of req.resource_names_unsubscribe) {
        sub.delete(name);
        this.known.get(type)!.delete(name);
      }
    }
    if (req.response_nonce === "") this.push(type);
  }
}

function mesh(ads: ScriptedDeltaAds, appPort: number, version: string): void {
  ads.set(CLUSTER_TYPE, REVIEWS, version, edsCluster(REVIEWS));
  ads.set(ENDPOINT_TYPE, REVIEWS, version, assignment(REVIEWS, [["127.0.0.1", appPort]]));
  ads.set(LISTENER_TYPE, "virtualOutbound", version, virtualOutboundListener());
  ads.set(LISTENER_TYPE, "0.0.0.0_9080", version, outboundListener(9080));
  ads.set(ROUTE_TYPE, "9080", version, routeConfig("9080", [{ name: "reviews", domains: ["reviews:9080"], routes: [{ match: { prefix: "/" }, route: { cluster: REVIEWS } }] }]));
}

/** Adds a second service, ratings:9081, with its own listener, route config, cluster and endpoints. */
function addRatings(ads: ScriptedDeltaAds, appPort: number, version: string): void {
  ads.set(CLUSTER_TYPE, RATINGS, version, edsCluster(RATINGS));
  ads.set(ENDPOINT_TYPE, RATINGS, version, assignment(RATINGS, [["127.0.0.1", appPort]]));
  ads.set(LISTENER_TYPE, "0.0.0.0_9081", version, outboundListener(9081));
  ads.set(ROUTE_TYPE, "9081", version, routeConfig("9081", [{ name: "ratings", domains: ["ratings:9081"], routes: [{ match: { prefix: "/" }, route: { cluster: RATINGS } }] }]));
}

let ads: ScriptedDeltaAds;
let proxy: WeftProcess;
let app: HttpServer;

const get = (host: string) => httpGet(`http://${host}/`, { via: `${PROXY_IP}:15001` });
/** The response status, or 0 when the proxy closed the connection. */
const status = async (host = "reviews:9080") => (await get(host).catch(() => ({ status: 0 }))).status;

async function configDump(): Promise<Array<Record<string, any>>> {
  return JSON.parse((await httpGet(`http://${PROXY_IP}:15000/config_dump`)).body).configs;
}

before(async () => {
  app = await startVersionApp("127.0.0.1", 0, "v1");
  ads = new ScriptedDeltaAds();
  await ads.listen();
  mesh(ads, serverPort(app), "1");
  proxy = runWeft("proxy", ["proxy", "--xds", `${ADS_IP}:${ads.port}`, "--ip", PROXY_IP, "--workload", "client", "--labels", "app=client"]);
  await waitFor(async () => (await status()) === 200, 10_000, () => proxy.stderr);
});

after(async () => {
  await proxy?.stop();
  ads?.close();
  if (app) await closeServer(app);
});

test("delta subscriptions: node on the first request only, LDS/CDS as legacy wildcard, RDS/EDS by the names the config references, every response ACKed", () => {
  assert.ok(ads.requests[0].node?.id?.startsWith(`sidecar~${PROXY_IP}~client.default~`));
  assert.ok(ads.requests.slice(1).every((r) => !r.node), "node only on the first request of the stream");
  for (const type of [CLUSTER_TYPE, LISTENER_TYPE]) {
    const first = ads.of(type)[0];
    assert.deepEqual(first.resource_names_subscribe, [], `${type}: empty subscribe list`);
    assert.deepEqual(first.initial_resource_versions, {});
  }
  assert.deepEqual(ads.of(ENDPOINT_TYPE).flatMap((r) => r.resource_names_subscribe), [REVIEWS]);
  assert.deepEqual(ads.of(ROUTE_TYPE).flatMap((r) => r.resource_names_subscribe), ["9080"]);
  for (const type of [CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE]) {
    const acks = ads.of(type).filter((r) => r.response_nonce !== "");
    assert.ok(acks.length > 0 && acks.every((r) => !r.error_detail), `ACK for ${type}`);
  }
});

test("an added service is subscribed and served; removed_resources drop it and the proxy unsubscribes its RDS/EDS names", async () => {
  const ratings = await startVersionApp("127.0.0.1", 0, "ratings");
  try {
    addRatings(ads, serverPort(ratings), "1");
    ads.push(CLUSTER_TYPE);
    ads.push(LISTENER_TYPE);
    await waitFor(async () => (await status("ratings:9081")) === 200, 5000, () => proxy.stderr);
    assert.ok(ads.of(ENDPOINT_TYPE).some((r) => r.resource_names_subscribe.includes(RATINGS)));
    assert.ok(ads.of(ROUTE_TYPE).some((r) => r.resource_names_subscribe.includes("9081")));

    ads.remove(LISTENER_TYPE, "0.0.0.0_9081");
    ads.remove(CLUSTER_TYPE, RATINGS);
    const lds = ads.push(LISTENER_TYPE)!;
    const cds = ads.push(CLUSTER_TYPE)!;
    await waitFor(() => ads.reply(lds) !== undefined && ads.reply(cds) !== undefined, 5000);
    assert.equal(ads.reply(lds)!.error_detail, null);
    await waitFor(() => ads.of(ROUTE_TYPE).some((r) => r.resource_names_unsubscribe.includes("9081")), 5000);
    await waitFor(() => ads.of(ENDPOINT_TYPE).some((r) => r.resource_names_unsubscribe.includes(RATINGS)), 5000);
    assert.notEqual(await status("ratings:9081"), 200);
    assert.equal(await status(), 200);
    const clusters = (await configDump()).find((c) => c["@type"].endsWith("ClustersConfigDump"))!;
    assert.deepEqual(clusters.dynamic_active_clusters.map((c: any) => c.cluster.name), [REVIEWS]);
  } finally {
    await closeServer(ratings);
  }
});

test("an invalid cluster is NACKed with the reason; the held version stays and traffic keeps flowing", async () => {
  ads.set(CLUSTER_TYPE, REVIEWS, "2", { name: REVIEWS, type: "EDS", connect_timeout: { seconds: 1 } });
  const nonce = ads.push(CLUSTER_TYPE)!;
  await waitFor(() => ads.reply(nonce) !== undefined, 5000);
  const nack = ads.reply(nonce)!;
  assert.equal(nack.error_detail?.code, 3);
  assert.match(nack.error_detail?.message ?? "", /eds_cluster_config/);
  assert.equal(await status(), 200);
  const clusters = (await configDump()).find((c) => c["@type"].endsWith("ClustersConfigDump"))!;
  assert.equal(clusters.dynamic_active_clusters[0].version_info, "1", "the rejected version is not held");
  ads.set(CLUSTER_TYPE, REVIEWS, "1", edsCluster(REVIEWS));
});

test("an invalid route regex is NACKed and the previous routes keep serving", async () => {
  ads.set(ROUTE_TYPE, "9080", "2", routeConfig("9080", [{ name: "reviews", domains: ["reviews:9080"], routes: [{ match: { safe_regex: { regex: "(unclosed" } }, route: { cluster: REVIEWS } }] }]));
  const nonce = ads.push(ROUTE_TYPE)!;
  await waitFor(() => ads.reply(nonce) !== undefined, 5000);
  assert.ok(ads.reply(nonce)!.error_detail?.message);
  assert.equal(await status(), 200);
});

test("without a control plane the proxy keeps serving; on reconnect it sends initial_resource_versions equal to what it holds", async () => {
  const port = ads.port;
  const held = {
    [CLUSTER_TYPE]: { [REVIEWS]: "1" },
    [ENDPOINT_TYPE]: { [REVIEWS]: "1" },
    [LISTENER_TYPE]: { virtualOutbound: "1", "0.0.0.0_9080": "1" },
    [ROUTE_TYPE]: { "9080": "1" },
  };
  ads.close();
  for (let i = 0; i < 20; i++) assert.equal(await status(), 200);
  assert.match((await httpGet(`http://${PROXY_IP}:15000/stats/prometheus`)).body, /^envoy_control_plane_connected_state 0$/m);
  assert.equal((await httpGet(`http://${PROXY_IP}:15000/ready`)).status, 200);

  const next = new ScriptedDeltaAds();
  await next.listen(port);
  mesh(next, serverPort(app), "1");
  const route = next.state.get(ROUTE_TYPE)!.get("9080")!;
  next.set(ROUTE_TYPE, "9080", "3", route.resource);
  try {
    await waitFor(() => next.of(ROUTE_TYPE).some((r) => r.response_nonce !== ""), 20_000, () => proxy.stderr);
    for (const [type, versions] of Object.entries(held)) {
      const first = next.of(type)[0];
      assert.deepEqual(first.initial_resource_versions, versions, `${type} initial_resource_versions`);
      assert.deepEqual(first.resource_names_subscribe, WILDCARD.has(type) ? [] : Object.keys(versions));
    }
    assert.ok(next.requests[0].node?.id, "the node goes on the first request of the new stream");
    const ack = next.of(ROUTE_TYPE).find((r) => r.response_nonce !== "")!;
    assert.equal(ack.error_detail, null);
    assert.equal(next.of(CLUSTER_TYPE).filter((r) => r.response_nonce !== "").length, 0, "nothing resent that the proxy had");
    await waitFor(async () => /^envoy_control_plane_connected_state 1$/m.test((await httpGet(`http://${PROXY_IP}:15000/stats/prometheus`)).body), 5000);
    const routes = (await configDump()).find((c) => c["@type"].endsWith("RoutesConfigDump"))!;
    assert.equal(routes.dynamic_route_configs[0].version_info, "3");
    assert.equal(await status(), 200);
  } finally {
    ads = next;
  }
});

test("a stream the server ends with OK (max stream age) is re-established promptly, restating what the proxy holds", async () => {
  const streams = ads.streamsOpenedAt.length;
  const requests = ads.requests.length;
  const endedAt = Date.now();
  ads.endStream();
  await waitFor(() => ads.streamsOpenedAt.length > streams, 5000, () => proxy.stderr);
  assert.ok(ads.streamsOpenedAt[streams] - endedAt < 1000, `reconnected after ${ads.streamsOpenedAt[streams] - endedAt} ms`);
  await waitFor(() => ads.requests.slice(requests).some((r) => r.type_url === ROUTE_TYPE), 5000);
  const fresh = ads.requests.slice(requests);
  assert.ok(fresh[0].node?.id, "a new stream starts with the node");
  assert.deepEqual(fresh.find((r) => r.type_url === ROUTE_TYPE)!.initial_resource_versions, { "9080": "3" });
  assert.equal(await status(), 200);
});
