// ControlPlane scoping on loopback: a Sidecar narrows one proxy's config, and a DestinationRule edit pushes only where it matters.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ControlPlane } from "./control-plane.js";
import { startLoopbackControlPlane, type LoopbackControlPlane } from "./testing/loopback-control-plane.js";
import { AdsTestClient } from "./server/ads-test-client.js";
import { unpackAny } from "../xds/any.js";
import type { DiscoveryResponse } from "../xds/discovery.js";
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from "../xds/type-urls.js";

const serviceEntry = (ns: string, app: string) => `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ${app}, namespace: ${ns}}
spec:
  hosts: [${app}.${ns}.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{name: http, number: 80, protocol: HTTP, targetPort: 8080}]
  workloadSelector: {labels: {app: ${app}}}
`;

const sidecarOwnNamespaceOnly = `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: ns-a}
spec:
  egress: [{hosts: ["./*"]}]
`;

const destinationRuleForB = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: b, namespace: ns-b}
spec:
  host: b.ns-b.svc.cluster.local
  subsets: [{name: v1, labels: {version: v1}}]
`;

const A = "a.ns-a.svc.cluster.local";
const B = "b.ns-b.svc.cluster.local";
/** What each client subscribes to by name (EDS and RDS are not wildcard types). */
const SUBSCRIBED: Record<string, string[]> = { [ENDPOINT_TYPE]: [`outbound|80||${A}`, `outbound|80||${B}`], [ROUTE_TYPE]: ["80"] };

/** A SotW client: wildcard CDS and LDS, EDS and RDS by name; ACKs every response and keeps the last one per type. */
class ScopedClient {
  readonly client: AdsTestClient;
  private readonly last = new Map<string, DiscoveryResponse>();

  constructor(address: string, ip: string, app: string, namespace: string) {
    this.client = new AdsTestClient(address);
    this.client.send({ type_url: CLUSTER_TYPE, node: AdsTestClient.node(ip, app, namespace) });
    for (const t of [LISTENER_TYPE, ENDPOINT_TYPE, ROUTE_TYPE]) this.client.send({ type_url: t, resource_names: SUBSCRIBED[t] ?? [] });
  }

  /** ACKs what arrives until `quietMs` pass without a response; returns what arrived. */
  async settle(quietMs = 400): Promise<DiscoveryResponse[]> {
    const out: DiscoveryResponse[] = [];
    for (;;) {
      const got = await this.client.drain(quietMs);
      if (got.length === 0) return out;
      for (const r of got) {
        this.last.set(r.type_url, r);
        this.client.answer(r, SUBSCRIBED[r.type_url] ?? []);
      }
      out.push(...got);
    }
  }

  clusterNames(): string[] {
    return (this.last.get(CLUSTER_TYPE)?.resources ?? []).map((a) => unpackAny<{ name: string }>(a).name);
  }

  close(): void {
    this.client.close();
  }
}

let world: LoopbackControlPlane;
let dir = "";
let cp: ControlPlane;
let monitoring = "";
let a: ScopedClient;
let b: ScopedClient;

/** How many times the control plane generated `type` for some proxy (pilot_xds_push_time observations). */
async function generations(type: string): Promise<number> {
  const text = await (await fetch(`http://${monitoring}/metrics`)).text();
  const prefix = `pilot_xds_push_time_count{type="${type}"} `;
  const line = text.split("\n").find((l) => l.startsWith(prefix));
  return line ? Number(line.slice(prefix.length)) : 0;
}

before(async () => {
  world = await startLoopbackControlPlane("127.0.0.51", { "mesh.yaml": [serviceEntry("ns-a", "a"), serviceEntry("ns-b", "b"), sidecarOwnNamespaceOnly].join("---\n") });
  ({ cp, dir } = world);
  monitoring = world.monitoring;
  a = new ScopedClient(world.xds, "127.0.0.52", "a", "ns-a");
  b = new ScopedClient(world.xds, "127.0.0.53", "b", "ns-b");
  await Promise.all([a.settle(), b.settle()]);
  await cp.settled();
  await Promise.all([a.settle(), b.settle()]);
});

after(async () => {
  a.close();
  b.close();
  await world.stop();
});

test("the ns-a Sidecar (./*) hides b from a; b, without a Sidecar, sees both", () => {
  assert.deepEqual(a.clusterNames().filter((n) => n.startsWith("outbound")), [`outbound|80||${A}`]);
  assert.deepEqual(b.clusterNames().filter((n) => n.startsWith("outbound")), [`outbound|80||${A}`, `outbound|80||${B}`]);
});

test("a DestinationRule for b regenerates CDS+EDS for b only and pushes it its new CDS; nothing reaches a, no LDS/RDS is generated", async () => {
  const before = await Promise.all(["cds", "eds", "lds", "rds"].map(generations));
  await writeFile(join(dir, "dr-b.yaml"), destinationRuleForB);
  const [gotA, gotB] = await Promise.all([a.settle(), b.settle()]);
  assert.deepEqual(gotA, []);
  assert.deepEqual(gotB.map((r) => r.type_url), [CLUSTER_TYPE]);
  assert.ok(b.clusterNames().includes(`outbound|80|v1|${B}`));
  const after = await Promise.all(["cds", "eds", "lds", "rds"].map(generations));
  assert.deepEqual(after.map((n, i) => n - before[i]!), [1, 1, 0, 0], "generations of cds, eds, lds, rds: b's CDS and EDS only");
});
