// Per-proxy EDS locality load balancing (Istio applyLocalityFailover, applyFailoverPriorities, applyLocalityWeights) and its memo keys.

import { test } from "node:test";
import assert from "node:assert/strict";
import { jsonToStruct } from "../../../xds/discovery.js";
import { CLUSTER_TYPE, ENDPOINT_TYPE } from "../../../xds/type-urls.js";
import { parseProxy, type Proxy } from "../../model/proxy.js";
import { PushContext } from "../../model/push-context.js";
import { TestSnapshot, type ResourceDoc } from "../../model/test-snapshot.js";
import { generate } from "../generator.js";
import { DOMAIN, node } from "../testing/bookinfo-fixture.js";
import { assertRoundTrip } from "../testing/proto-round-trip.js";
import { localityLbKey, localityLbPlan } from "./locality-lb.js";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const HOST = "echo.shop.svc.cluster.local";
const CLUSTER = `outbound|8080||${HOST}`;

/** Five endpoints in four localities (three regions); A/C/D are version v1, B/E v2. */
const ENDPOINTS = [
  { address: "10.0.0.1", locality: "us-east/zone1/sz1", labels: { app: "echo", version: "v1" } }, // A
  { address: "10.0.0.2", locality: "us-east/zone1/sz2", labels: { app: "echo", version: "v2" } }, // B
  { address: "10.0.0.3", locality: "us-east/zone2", labels: { app: "echo", version: "v1" } }, // C
  { address: "10.0.0.4", locality: "us-west/zone1", labels: { app: "echo", version: "v1" } }, // D
  { address: "10.0.0.5", locality: "eu-west/zone1", labels: { app: "echo", version: "v2" } }, // E
];

function push(trafficPolicy?: Record<string, unknown>, subsets?: Record<string, unknown>[]): PushContext {
  const docs: ResourceDoc[] = [
    {
      kind: "ServiceEntry",
      metadata: { name: "echo", namespace: "shop" },
      spec: { hosts: [HOST], ports: [{ number: 8080, name: "http", protocol: "HTTP" }], resolution: "STATIC", location: "MESH_INTERNAL", endpoints: ENDPOINTS },
    },
  ];
  if (trafficPolicy || subsets) {
    docs.push({ kind: "DestinationRule", metadata: { name: "echo", namespace: "shop" }, spec: { host: HOST, ...(trafficPolicy ? { trafficPolicy } : {}), ...(subsets ? { subsets } : {}) } });
  }
  return PushContext.build(new TestSnapshot(docs), [], { domain: DOMAIN });
}

function client(ip: string, locality?: { region?: string; zone?: string; sub_zone?: string }, labels: Record<string, string> = { app: "client", version: "v1" }): Proxy {
  return parseProxy(node({ ip, workload: `client-${ip}`, namespace: "shop", labels, ...(locality ? { locality } : {}) }), "");
}

const east1 = client("127.0.9.1", { region: "us-east", zone: "zone1", sub_zone: "sz1" });
const east1b = client("127.0.9.2", { region: "us-east", zone: "zone1", sub_zone: "sz1" });
const west = client("127.0.9.3", { region: "us-west", zone: "zone1" });
const nowhere = client("127.0.9.4");
const nowhere2 = client("127.0.9.5", undefined, { app: "other", version: "v1" });

function assignment(p: PushContext, proxy: Proxy, name = CLUSTER, wildcard = false): Obj {
  const rs = generate(ENDPOINT_TYPE, proxy, p, wildcard ? undefined : [name]);
  const r = rs.find((x) => x.name === name);
  assert.ok(r, `assignment ${name}`);
  return r.resource as Obj;
}

/** endpoint letter → priority, e.g. "A0 B1 C2". */
function priorities(cla: Obj): string {
  const letters: Record<string, string> = { "10.0.0.1": "A", "10.0.0.2": "B", "10.0.0.3": "C", "10.0.0.4": "D", "10.0.0.5": "E" };
  const out: string[] = [];
  for (const l of cla.endpoints as Obj[]) {
    for (const e of l.lb_endpoints as Obj[]) out.push(`${letters[e.endpoint.address.socket_address.address]}${l.priority ?? 0}`);
  }
  return out.sort().join(" ");
}

const OD = { consecutive5xxErrors: 3 };

const PRIORITY_CASES: { name: string; policy?: Record<string, unknown>; proxy: Proxy; want: string }[] = [
  { name: "no DestinationRule: no priorities", proxy: east1, want: "A0 B0 C0 D0 E0" },
  { name: "no outlierDetection: no failover (Envoy would never leave P0)", policy: { connectionPool: { tcp: { maxConnections: 5 } } }, proxy: east1, want: "A0 B0 C0 D0 E0" },
  { name: "outlierDetection: by proximity, subzone P0, zone P1, region P2, other regions P3", policy: { outlierDetection: OD }, proxy: east1, want: "A0 B1 C2 D3 E3" },
  { name: "the same from us-west/zone1", policy: { outlierDetection: OD }, proxy: west, want: "A1 B1 C1 D0 E1" },
  { name: "a proxy without locality: everything P0", policy: { outlierDetection: OD }, proxy: nowhere, want: "A0 B0 C0 D0 E0" },
  {
    name: "failover us-east → eu-west: other regions drop below eu-west",
    policy: { outlierDetection: OD, loadBalancer: { localityLbSetting: { failover: [{ from: "us-east", to: "eu-west" }] } } },
    proxy: east1,
    want: "A0 B1 C2 D4 E3",
  },
  {
    name: "failover entries for another region change nothing",
    policy: { outlierDetection: OD, loadBalancer: { localityLbSetting: { failover: [{ from: "us-west", to: "eu-west" }] } } },
    proxy: east1,
    want: "A0 B1 C2 D3 E3",
  },
  {
    name: "failoverPriority [version]: same version P0, others P1, whatever the locality",
    policy: { outlierDetection: OD, loadBalancer: { localityLbSetting: { failoverPriority: ["version"] } } },
    proxy: east1,
    want: "A0 B1 C0 D0 E1",
  },
  {
    name: "failoverPriority [version=v2] compares with the given value, not the proxy's",
    policy: { outlierDetection: OD, loadBalancer: { localityLbSetting: { failoverPriority: ["version=v2"] } } },
    proxy: east1,
    want: "A1 B0 C1 D1 E0",
  },
  {
    name: "failoverPriority on topology labels: region, then zone",
    policy: { outlierDetection: OD, loadBalancer: { localityLbSetting: { failoverPriority: ["topology.kubernetes.io/region", "topology.kubernetes.io/zone"] } } },
    proxy: east1,
    want: "A0 B0 C1 D2 E2",
  },
  {
    name: "failoverPriority [version] with failover: label priority ×5 plus proximity, compacted",
    policy: { outlierDetection: OD, loadBalancer: { localityLbSetting: { failoverPriority: ["version"], failover: [{ from: "us-east", to: "eu-west" }] } } },
    proxy: east1,
    want: "A0 B3 C1 D2 E4",
  },
  {
    name: "enabled: false turns it off",
    policy: { outlierDetection: OD, loadBalancer: { localityLbSetting: { enabled: false } } },
    proxy: east1,
    want: "A0 B0 C0 D0 E0",
  },
];

for (const c of PRIORITY_CASES) {
  test(`EDS priorities: ${c.name}`, () => {
    const cla = assignment(push(c.policy), c.proxy);
    assertRoundTrip(ENDPOINT_TYPE, cla);
    assert.equal(priorities(cla), c.want);
    const used = [...new Set((cla.endpoints as Obj[]).map((l) => l.priority ?? 0))].sort((a, b) => a - b);
    assert.deepEqual(used, used.map((_, i) => i), "priorities run 0..N-1 without gaps");
  });
}

function weights(cla: Obj): Record<string, { weight: number; endpoints: number }> {
  const out: Record<string, { weight: number; endpoints: number }> = {};
  for (const l of cla.endpoints as Obj[]) {
    const name = [l.locality.region, l.locality.zone, l.locality.sub_zone].filter(Boolean).join("/");
    out[name] = { weight: l.load_balancing_weight.value, endpoints: l.lb_endpoints.length };
  }
  return out;
}

test("distribute: the first matching `from` rewrites locality weights (shared by wildcard matches, rounded up); unmatched localities lose their endpoints", () => {
  const p = push({
    loadBalancer: {
      localityLbSetting: {
        distribute: [
          { from: "us-east/zone1/*", to: { "us-east/zone1/*": 80, "us-west/*": 20 } },
          { from: "us-west/*", to: { "eu-west/*": 100 } },
        ],
      },
    },
  });
  const east = assignment(p, east1);
  assertRoundTrip(ENDPOINT_TYPE, east);
  assert.deepEqual(weights(east), {
    "us-east/zone1/sz1": { weight: 40, endpoints: 1 },
    "us-east/zone1/sz2": { weight: 40, endpoints: 1 },
    "us-east/zone2": { weight: 1, endpoints: 0 },
    "us-west/zone1": { weight: 20, endpoints: 1 },
    "eu-west/zone1": { weight: 1, endpoints: 0 },
  });
  assert.equal(priorities(east), "A0 B0 D0");
  assert.deepEqual(weights(assignment(p, west))["eu-west/zone1"], { weight: 100, endpoints: 1 });
  assert.equal(weights(assignment(p, nowhere))["us-east/zone2"]!.endpoints, 1, "no `from` matches: unchanged");
  // distribute does not need outlier detection, and sets locality_weighted_lb_config on the cluster.
  const cluster = assertRoundTrip(CLUSTER_TYPE, generate(CLUSTER_TYPE, east1, p, [CLUSTER])[0]!.resource) as Obj;
  assert.deepEqual(cluster.common_lb_config.locality_weighted_lb_config, {});
});

test("locality_weighted_lb_config: with distribute, or failover/failoverPriority under outlier detection; not for plain proximity", () => {
  const lwlb = (policy: Record<string, unknown>) => {
    const c = assertRoundTrip(CLUSTER_TYPE, generate(CLUSTER_TYPE, east1, push(policy), [CLUSTER])[0]!.resource) as Obj;
    return c.common_lb_config?.locality_weighted_lb_config !== undefined;
  };
  assert.equal(lwlb({ outlierDetection: OD }), false);
  assert.equal(lwlb({ outlierDetection: OD, loadBalancer: { localityLbSetting: { failover: [{ from: "us-east", to: "eu-west" }] } } }), true);
  assert.equal(lwlb({ outlierDetection: OD, loadBalancer: { localityLbSetting: { failoverPriority: ["version"] } } }), true);
  assert.equal(lwlb({ loadBalancer: { localityLbSetting: { failoverPriority: ["version"] } } }), false, "failover without outlier detection");
  const c = assertRoundTrip(CLUSTER_TYPE, generate(CLUSTER_TYPE, east1, push({ outlierDetection: OD, loadBalancer: { localityLbSetting: { failover: [{ from: "us-east", to: "eu-west" }] } } }), [CLUSTER])[0]!.resource) as Obj;
  assert.deepEqual(c.common_lb_config, { healthy_panic_threshold: { value: 0 }, locality_weighted_lb_config: {} }, "kept beside the outlier panic threshold");
});

test("subset clusters follow the merged subset policy (a subset can turn locality LB off)", () => {
  const p = push({ outlierDetection: OD }, [
    { name: "v1", labels: { version: "v1" } },
    { name: "v2", labels: { version: "v2" }, trafficPolicy: { loadBalancer: { localityLbSetting: { enabled: false } } } },
  ]);
  assert.equal(priorities(assignment(p, east1, `outbound|8080|v1|${HOST}`)), "A0 C1 D2");
  assert.equal(priorities(assignment(p, east1, `outbound|8080|v2|${HOST}`)), "B0 E0");
});

test("memo: proxies in different localities get their own assignment; same locality, or none, share one object", () => {
  const p = push({ outlierDetection: OD });
  for (const wildcard of [false, true]) {
    const a = assignment(p, east1, CLUSTER, wildcard);
    assert.equal(assignment(p, east1b, CLUSTER, wildcard), a, "same locality: one object");
    assert.notEqual(assignment(p, west, CLUSTER, wildcard), a);
    assert.equal(assignment(p, nowhere, CLUSTER, wildcard), assignment(p, nowhere2, CLUSTER, wildcard), "no locality: shared");
  }
  // The whole wildcard answer is shared per scope and locality.
  assert.equal(generate(ENDPOINT_TYPE, east1, p), generate(ENDPOINT_TYPE, east1b, p));
  assert.notEqual(generate(ENDPOINT_TYPE, east1, p), generate(ENDPOINT_TYPE, west, p));
});

test("memo: without locality LB every proxy shares the scope's assignment, whatever its locality", () => {
  const p = push({ connectionPool: { tcp: { maxConnections: 5 } } });
  assert.equal(assignment(p, east1), assignment(p, west));
  assert.equal(generate(ENDPOINT_TYPE, east1, p), generate(ENDPOINT_TYPE, west, p));
});

test("memo: failoverPriority keys by the label values too", () => {
  const p = push({ outlierDetection: OD, loadBalancer: { localityLbSetting: { failoverPriority: ["version"] } } });
  const v2 = client("127.0.9.6", { region: "us-east", zone: "zone1", sub_zone: "sz1" }, { app: "client", version: "v2" });
  assert.equal(priorities(assignment(p, v2)), "A1 B0 C1 D1 E0");
  assert.equal(priorities(assignment(p, east1)), "A0 B1 C0 D0 E1");
  assert.notEqual(generate(ENDPOINT_TYPE, v2, p), generate(ENDPOINT_TYPE, east1, p));
  assert.equal(generate(ENDPOINT_TYPE, east1b, p), generate(ENDPOINT_TYPE, east1, p));
});

test("memo keys never collide: label values containing the separators of other encodings stay apart", () => {
  const plan = localityLbPlan({ outlierDetection: OD, loadBalancer: { localityLbSetting: { failoverPriority: ["tier", "version=v1"] } } }, true)!;
  assert.deepEqual(plan.keyLabels, ["tier", "version"]);
  const at = { region: "us-east", zone: "zone1", sub_zone: "sz1" };
  const a = client("127.0.9.7", at, { tier: "a~", version: "b" });
  const b = client("127.0.9.8", at, { tier: "a", version: "~b" });
  assert.notEqual(localityLbKey(plan, a), localityLbKey(plan, b));
  const c = client("127.0.9.9", { region: "a/b", zone: "c" });
  const d = client("127.0.9.10", { region: "a", zone: "b/c" });
  assert.notEqual(localityLbKey(plan, c), localityLbKey(plan, d));
  assert.ok(!localityLbKey(plan, c).includes("|"), "no | (the push context reads the host after the last |)");
});

test("a push that changes only endpoints rebuilds locality assignments; unchanged ones are carried over", () => {
  const snapshot = new TestSnapshot([
    {
      kind: "ServiceEntry",
      metadata: { name: "echo", namespace: "shop" },
      spec: { hosts: [HOST], ports: [{ number: 8080, name: "http", protocol: "HTTP" }], resolution: "STATIC", workloadSelector: { labels: { app: "echo" } } },
    },
    { kind: "DestinationRule", metadata: { name: "echo", namespace: "shop" }, spec: { host: HOST, trafficPolicy: { outlierDetection: OD } } },
  ]);
  const w = (ip: string, locality: string) => ({ name: ip, namespace: "shop", address: ip, labels: { app: "echo" }, serviceAccount: "default", locality, source: "WorkloadEntry" as const });
  const p1 = PushContext.build(snapshot, [w("10.1.0.1", "us-east/zone1/sz1")], { domain: DOMAIN });
  const a1 = assignment(p1, east1);
  const p2 = PushContext.build(snapshot, [w("10.1.0.1", "us-east/zone1/sz1")], { domain: DOMAIN }, p1, new Set());
  assert.equal(assignment(p2, east1), a1, "carried over");
  const p3 = PushContext.build(snapshot, [w("10.1.0.1", "us-east/zone1/sz1"), w("10.1.0.2", "us-west/zone1")], { domain: DOMAIN }, p2, new Set(["WorkloadEntry"]));
  const a3 = assignment(p3, east1);
  assert.notEqual(a3, a1);
  assert.equal((a3.endpoints as Obj[]).length, 2);
  assert.deepEqual((a3.endpoints as Obj[]).map((l) => l.priority ?? 0).sort(), [0, 1]);
});

test("a DestinationRule change reaches carried-over pushes: plans and assignments follow the new rule, not the memo", () => {
  const se: ResourceDoc = {
    kind: "ServiceEntry",
    metadata: { name: "echo", namespace: "shop" },
    spec: { hosts: [HOST], ports: [{ number: 8080, name: "http", protocol: "HTTP" }], resolution: "STATIC", location: "MESH_INTERNAL", endpoints: ENDPOINTS },
  };
  const dr = (trafficPolicy: Record<string, unknown>): ResourceDoc => ({ kind: "DestinationRule", metadata: { name: "echo", namespace: "shop" }, spec: { host: HOST, trafficPolicy } });
  const p1 = PushContext.build(new TestSnapshot([se, dr({ outlierDetection: OD })]), [], { domain: DOMAIN });
  assert.equal(priorities(assignment(p1, east1, CLUSTER, true)), "A0 B1 C2 D3 E3");
  const p2 = PushContext.build(new TestSnapshot([se, dr({ connectionPool: { tcp: { maxConnections: 5 } } })]), [], { domain: DOMAIN }, p1, new Set(["DestinationRule"]));
  assert.equal(priorities(assignment(p2, east1, CLUSTER, true)), "A0 B0 C0 D0 E0", "no outlier detection any more: no failover");
  assert.equal(generate(ENDPOINT_TYPE, east1, p2), generate(ENDPOINT_TYPE, west, p2), "and the scope's assignment is shared again");
  const p3 = PushContext.build(new TestSnapshot([se, dr({ outlierDetection: OD })]), [], { domain: DOMAIN }, p2, new Set(["DestinationRule"]));
  assert.equal(priorities(assignment(p3, east1)), "A0 B1 C2 D3 E3");
});

test("failoverPriority on topology.istio.io/network: WorkloadEntry network against the proxy's NETWORK metadata", () => {
  const docs: ResourceDoc[] = [
    {
      kind: "ServiceEntry",
      metadata: { name: "echo", namespace: "shop" },
      spec: {
        hosts: [HOST], ports: [{ number: 8080, name: "http", protocol: "HTTP" }], resolution: "STATIC",
        endpoints: [{ address: "10.0.0.1", network: "net-a" }, { address: "10.0.0.2", network: "net-b" }, { address: "10.0.0.3" }],
      },
    },
    {
      kind: "DestinationRule",
      metadata: { name: "echo", namespace: "shop" },
      spec: { host: HOST, trafficPolicy: { outlierDetection: OD, loadBalancer: { localityLbSetting: { failoverPriority: ["topology.istio.io/network"] } } } },
    },
  ];
  const p = PushContext.build(new TestSnapshot(docs), [], { domain: DOMAIN });
  const onB = parseProxy({ id: "sidecar~127.0.9.7~c.shop~shop.svc.cluster.local", metadata: jsonToStruct({ NAMESPACE: "shop", LABELS: { app: "c" }, NETWORK: "net-b" }) }, "");
  assert.equal(priorities(assignment(p, onB)), "A1 B0 C1");
});
