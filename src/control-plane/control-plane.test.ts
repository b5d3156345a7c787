// ControlPlane end to end on loopback: real YAML in a temp dir, real gRPC ADS streams, real monitoring HTTP.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { status } from "@grpc/grpc-js";
import { ControlPlane } from "./control-plane.js";
import { startLoopbackControlPlane, type LoopbackControlPlane } from "./testing/loopback-control-plane.js";
import { AdsTestClient } from "./server/ads-test-client.js";
import { unpackAny } from "../xds/any.js";
import type { DiscoveryResponse } from "../xds/discovery.js";
import { CLUSTER_TYPE, ENDPOINT_TYPE, HCM_TYPE, LISTENER_TYPE, ROUTE_TYPE } from "../xds/type-urls.js";

const serviceEntry = (ns: string, app: string) => `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ${app}, namespace: ${ns}}
spec:
  hosts: [${app}.${ns}.svc.cluster.local]
  exportTo: ["."]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{name: http, number: 80, protocol: HTTP, targetPort: 8080}]
  workloadSelector: {labels: {app: ${app}}}
`;

const virtualService = (ns: string, app: string, prefix: string) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${app}-routes, namespace: ${ns}}
spec:
  hosts: [${app}.${ns}.svc.cluster.local]
  exportTo: ["."]
  http:
  - match: [{uri: {prefix: ${prefix}}}]
    route: [{destination: {host: ${app}.${ns}.svc.cluster.local}}]
  - route: [{destination: {host: ${app}.${ns}.svc.cluster.local}}]
`;

/** A tiny Envoy: subscribes CDS+LDS, follows with EDS/RDS names, ACKs everything, logs what it got. */
class MiniEnvoy {
  readonly client: AdsTestClient;
  readonly got: DiscoveryResponse[] = [];
  private readonly last = new Map<string, DiscoveryResponse>();
  private readonly names = new Map<string, string[]>([[ENDPOINT_TYPE, []], [ROUTE_TYPE, []]]);
  private stopped = false;
  nackNext: string | undefined;

  constructor(address: string, readonly ip: string, workload: string, namespace: string) {
    this.client = new AdsTestClient(address);
    this.client.send({ type_url: CLUSTER_TYPE, node: AdsTestClient.node(ip, workload, namespace) });
    this.client.send({ type_url: LISTENER_TYPE });
    void this.loop();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let r: DiscoveryResponse;
      try {
        r = await this.client.next(60_000);
      } catch {
        return;
      }
      this.got.push(r);
      this.last.set(r.type_url, r);
      if (this.nackNext === r.type_url) {
        this.nackNext = undefined;
        this.client.answer(r, this.names.get(r.type_url) ?? [], "rejected by test");
        continue;
      }
      this.client.answer(r, this.names.get(r.type_url) ?? []);
      if (r.type_url === CLUSTER_TYPE) this.follow(ENDPOINT_TYPE, r.resources.map((a) => unpackAny<{ name: string; type?: string }>(a)).filter((c) => c.type === "EDS").map((c) => c.name));
      if (r.type_url === LISTENER_TYPE) this.follow(ROUTE_TYPE, r.resources.flatMap((a) => rdsNames(unpackAny(a))));
    }
  }

  private follow(typeUrl: string, names: string[]): void {
    const sorted = [...new Set(names)].sort();
    if (JSON.stringify(sorted) === JSON.stringify(this.names.get(typeUrl))) return;
    this.names.set(typeUrl, sorted);
    const prev = this.last.get(typeUrl);
    this.client.send({ type_url: typeUrl, resource_names: sorted, response_nonce: prev?.nonce ?? "", version_info: prev?.version_info ?? "" });
  }

  resources<T = Record<string, unknown>>(typeUrl: string): T[] {
    return (this.last.get(typeUrl)?.resources ?? []).map((a) => unpackAny<T>(a));
  }

  /** Waits until no response arrived for `quietMs`; returns the responses received meanwhile. */
  async settle(quietMs = 300): Promise<DiscoveryResponse[]> {
    const start = this.got.length;
    let n = -1;
    while (n !== this.got.length) {
      n = this.got.length;
      await sleep(quietMs);
    }
    return this.got.slice(start);
  }

  close(): void {
    this.stopped = true;
    this.client.close();
  }
}

function rdsNames(listener: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const chain of (listener.filter_chains as { filters?: { typed_config?: Record<string, unknown> }[] }[] | undefined) ?? []) {
    for (const f of chain.filters ?? []) {
      const tc = f.typed_config;
      const name = (tc?.rds as { route_config_name?: string } | undefined)?.route_config_name;
      if (tc?.["@type"] === HCM_TYPE && name) out.push(name);
    }
  }
  return out;
}

let world: LoopbackControlPlane;
let dir = "";
let cp: ControlPlane;
let xds = "";
let monitoring = "";
let a: MiniEnvoy;
let b: MiniEnvoy;

async function httpGet(path: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://${monitoring}${path}`);
  return { status: res.status, text: await res.text() };
}

async function metric(name: string): Promise<number> {
  const { text } = await httpGet("/metrics");
  const line = text.split("\n").find((l) => l.startsWith(name + " "));
  return line ? Number(line.slice(name.length + 1)) : 0;
}

before(async () => {
  world = await startLoopbackControlPlane("127.0.0.41", { "services.yaml": serviceEntry("ns-a", "a") + "---\n" + serviceEntry("ns-b", "b") });
  ({ cp, dir } = world);
  ({ xds, monitoring } = world);
  a = new MiniEnvoy(xds, "127.0.0.42", "a", "ns-a");
  b = new MiniEnvoy(xds, "127.0.0.43", "b", "ns-b");
  await Promise.all([a.settle(), b.settle()]);
  await cp.settled();
  await Promise.all([a.settle(), b.settle()]);
});

after(async () => {
  a.close();
  b.close();
  await world.stop();
});

test("connected proxies receive their config, and auto-registered proxies become endpoints", async () => {
  assert.ok(a.resources<{ name: string }>(CLUSTER_TYPE).some((c) => c.name === "outbound|80||a.ns-a.svc.cluster.local"));
  assert.ok(!a.resources<{ name: string }>(CLUSTER_TYPE).some((c) => c.name.endsWith("b.ns-b.svc.cluster.local")), "exportTo . hides b from ns-a");
  const eds = a.resources<{ cluster_name: string; endpoints?: { lb_endpoints?: { endpoint: { address: { socket_address: { address: string } } } }[] }[] }>(ENDPOINT_TYPE);
  const addrs = eds.find((e) => e.cluster_name === "outbound|80||a.ns-a.svc.cluster.local")?.endpoints?.flatMap((l) => l.lb_endpoints ?? []).map((e) => e.endpoint.address.socket_address.address);
  assert.deepEqual(addrs, ["127.0.0.42"]);
  assert.ok(a.resources(ROUTE_TYPE).length > 0);
  assert.equal(await metric("pilot_xds"), 2);
});

test("/debug/syncz shows every type ACKed; /debug/config_dump is Envoy-shaped; unknown proxy is a 404", async () => {
  const sync = JSON.parse((await httpGet("/debug/syncz")).text) as { id: string; ip: string; types: Record<string, { status: string }> }[];
  assert.equal(sync.length, 2);
  const sa = sync.find((s) => s.ip === "127.0.0.42")!;
  for (const t of ["cds", "eds", "lds", "rds"]) assert.equal(sa.types[t]?.status, "SYNCED", t);
  const dump = await httpGet(`/debug/config_dump?proxyID=${encodeURIComponent(sa.id)}`);
  assert.equal(dump.status, 200);
  const configs = (JSON.parse(dump.text) as { configs: Record<string, unknown>[] }).configs;
  assert.deepEqual(configs.map((c) => c["@type"]), [
    "type.googleapis.com/envoy.admin.v3.ListenersConfigDump",
    "type.googleapis.com/envoy.admin.v3.ClustersConfigDump",
    "type.googleapis.com/envoy.admin.v3.RoutesConfigDump",
    "type.googleapis.com/envoy.admin.v3.EndpointsConfigDump",
  ]);
  const listeners = configs[0]!.dynamic_listeners as { name: string; active_state: { listener: Record<string, unknown> } }[];
  assert.ok(listeners.some((l) => l.name === "virtualOutbound" && l.active_state.listener["@type"] === LISTENER_TYPE));
  const missing = await httpGet("/debug/config_dump?proxyID=nobody");
  assert.equal(missing.status, 404);
  assert.match(missing.text, /nobody is not connected/);
});

test("an edit in ns-a pushes only to the ns-a proxy; an edit that changes nobody's config pushes nothing", async () => {
  await writeFile(join(dir, "vs-a.yaml"), virtualService("ns-a", "a", "/v1"));
  const [gotA, gotB] = await Promise.all([a.settle(400), b.settle(400)]);
  assert.deepEqual(gotA.map((r) => r.type_url), [ROUTE_TYPE]);
  assert.deepEqual(gotB, []);

  const pushesBefore = (await httpGet("/metrics")).text;
  await writeFile(join(dir, "unrelated.yaml"), serviceEntry("ns-c", "c"));
  const [quietA, quietB] = await Promise.all([a.settle(400), b.settle(400)]);
  assert.deepEqual([...quietA, ...quietB], []);
  assert.equal(
    (await httpGet("/metrics")).text.split("\n").filter((l) => l.startsWith("pilot_xds_pushes")).join("\n"),
    pushesBefore.split("\n").filter((l) => l.startsWith("pilot_xds_pushes")).join("\n"),
  );
});

test("a burst of 10 edits is debounced into one push, and convergence is measured", async () => {
  const convergedBefore = await metric("pilot_proxy_convergence_time_count");
  for (let i = 0; i < 10; i++) {
    await writeFile(join(dir, "vs-a.yaml"), virtualService("ns-a", "a", `/burst${i}`));
    await sleep(30);
  }
  const got = await a.settle(400);
  assert.deepEqual(got.map((r) => r.type_url), [ROUTE_TYPE], "one RDS push for the whole burst");
  const route = JSON.stringify(a.resources(ROUTE_TYPE));
  assert.ok(route.includes("/burst9") && !route.includes("/burst8"));
  assert.equal(await metric("pilot_proxy_convergence_time_count"), convergedBefore + 1);
});

test("a NACK is visible in syncz and pilot_total_xds_rejects and is not resent", async () => {
  a.nackNext = ROUTE_TYPE;
  await writeFile(join(dir, "vs-a.yaml"), virtualService("ns-a", "a", "/nacked"));
  const got = await a.settle(400);
  assert.deepEqual(got.map((r) => r.type_url), [ROUTE_TYPE], "pushed once, not resent after the NACK");
  const sync = JSON.parse((await httpGet("/debug/syncz")).text) as { ip: string; types: Record<string, { status: string; lastNack?: { message: string } }> }[];
  const rds = sync.find((s) => s.ip === "127.0.0.42")!.types.rds!;
  assert.equal(rds.status, "NACKED");
  assert.equal(rds.lastNack?.message, "rejected by test");
  assert.match((await httpGet("/metrics")).text, /^pilot_total_xds_rejects\{type="rds"\} 1$/m);
});

test("a node the model rejects closes only that stream with INVALID_ARGUMENT", async () => {
  const bad = new AdsTestClient(xds);
  bad.send({ type_url: CLUSTER_TYPE, node: { id: "" } });
  const end = await bad.ended;
  assert.equal(end.code, status.INVALID_ARGUMENT);
  assert.match(end.details, /^invalid node: /);
  bad.close();
  assert.equal(await metric("pilot_xds"), 2);
});

test("/metrics is valid Prometheus text with the pilot metrics and rejected-config gauge", async () => {
  await writeFile(join(dir, "broken.yaml"), "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: broken, namespace: ns-a}\nspec: {hosts: 7}\n");
  await sleep(300);
  const { text } = await httpGet("/metrics");
  const sample = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*",?)*\})? -?[0-9.e+-]+$|^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? [+-]Inf$/;
  for (const line of text.trimEnd().split("\n")) {
    if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) continue;
    assert.match(line, sample);
  }
  for (const name of ["pilot_xds", "pilot_xds_pushes", "pilot_total_xds_rejects", "pilot_proxy_convergence_time", "pilot_xds_push_time", "pilot_services", "pilot_virt_services", "weft_config_rejected_resources"]) {
    assert.match(text, new RegExp(`^# TYPE ${name} `, "m"), name);
  }
  assert.match(text, /^# HELP weft_config_rejected_resources .+/m);
  assert.equal(await metric("weft_config_rejected_resources"), 1);
  const errors = JSON.parse((await httpGet("/debug/config_errors")).text) as { severity: string; name: string }[];
  assert.ok(errors.some((d) => d.severity === "error" && d.name === "broken"));
});
