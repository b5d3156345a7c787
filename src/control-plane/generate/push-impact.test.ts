// PushImpact as a table: for each change, which proxies are concerned and which xDS types they regenerate.

import { test } from "node:test";
import assert from "node:assert/strict";
import { shortTypeName } from "../../xds/type-urls.js";
import type { ResourceKey } from "../config/config-resource.js";
import { PushContext } from "../model/push-context.js";
import { PushRequestBuilder } from "../model/push-request.js";
import { TestSnapshot, type ResourceDoc } from "../model/test-snapshot.js";
import { workloadFromProxy, type WorkloadInstance } from "../model/workload-instance.js";
import { PushImpact } from "./push-impact.js";
import { DOMAIN, docs as bookinfo, otherNsClient, productpage, reviewsV1, reviewsV2 } from "./testing/bookinfo-fixture.js";

const ppSidecar: ResourceDoc = {
  kind: "Sidecar",
  metadata: { name: "productpage", namespace: "default" },
  spec: { workloadSelector: { labels: { app: "productpage" } }, egress: [{ hosts: ["./*"] }] },
};
const base: ResourceDoc[] = [...bookinfo, ppSidecar];
const proxies = { productpage, reviewsV1, reviewsV2, otherNsClient };
const registered = [productpage, reviewsV1, reviewsV2].map(workloadFromProxy).filter((w) => w !== undefined);

interface Case {
  change: string;
  next: ResourceDoc[];
  keys?: ResourceKey[];
  workloads?: { before: WorkloadInstance[]; after: WorkloadInstance[]; proxyId: string; workload: WorkloadInstance };
  expect: Record<keyof typeof proxies, string>;
}

const replace = (docs: ResourceDoc[], kind: string, name: string, d: ResourceDoc): ResourceDoc[] => docs.map((x) => (x.kind === kind && x.metadata.name === name ? d : x));
const ratingsSe = bookinfo.find((d) => d.kind === "ServiceEntry" && d.metadata.name === "ratings")!;
const reviewsVs = bookinfo.find((d) => d.kind === "VirtualService")!;
const v2 = workloadFromProxy(reviewsV2)!;

const cases: Case[] = [
  {
    change: "DestinationRule for ratings",
    next: [...base, { kind: "DestinationRule", metadata: { name: "ratings", namespace: "other" }, spec: { host: "ratings", subsets: [{ name: "a", labels: { app: "ratings" } }] } }],
    keys: [{ kind: "DestinationRule", namespace: "other", name: "ratings" }],
    expect: { productpage: "", reviewsV1: "cds,eds", reviewsV2: "cds,eds", otherNsClient: "cds,eds" },
  },
  {
    change: "DestinationRule with a consistentHash for ratings (routes carry its hash_policy)",
    next: [...base, { kind: "DestinationRule", metadata: { name: "ratings", namespace: "other" }, spec: { host: "ratings", trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: "x-user" } } } } }],
    keys: [{ kind: "DestinationRule", namespace: "other", name: "ratings" }],
    expect: { productpage: "", reviewsV1: "cds,eds,rds", reviewsV2: "cds,eds,rds", otherNsClient: "cds,eds,rds" },
  },
  {
    change: "DestinationRule with a subset consistentHash for reviews: RDS also for proxies routing to reviews through a VirtualService",
    next: [...base, { kind: "DestinationRule", metadata: { name: "reviews-hash", namespace: "default" }, spec: { host: "reviews", subsets: [{ name: "v1", labels: { version: "v1" }, trafficPolicy: { loadBalancer: { consistentHash: { useSourceIp: true } } } }] } }],
    keys: [{ kind: "DestinationRule", namespace: "default", name: "reviews-hash" }],
    expect: { productpage: "cds,eds,rds", reviewsV1: "cds,eds,rds", reviewsV2: "cds,eds,rds", otherNsClient: "cds,eds,rds" },
  },
  {
    change: "VirtualService edit for reviews",
    next: replace(base, "VirtualService", "reviews", { ...reviewsVs, spec: { hosts: ["reviews"], http: [{ route: [{ destination: { host: "reviews", subset: "v1" } }] }] } }),
    keys: [{ kind: "VirtualService", namespace: "default", name: "reviews" }],
    expect: { productpage: "rds", reviewsV1: "rds", reviewsV2: "rds", otherNsClient: "rds" },
  },
  {
    change: "VirtualService added for ratings",
    next: [...base, { kind: "VirtualService", metadata: { name: "ratings", namespace: "other" }, spec: { hosts: ["ratings"], http: [{ route: [{ destination: { host: "ratings" } }] }] } }],
    keys: [{ kind: "VirtualService", namespace: "other", name: "ratings" }],
    expect: { productpage: "", reviewsV1: "rds", reviewsV2: "rds", otherNsClient: "rds" },
  },
  {
    change: "VirtualService with a tcp route added for ratings (listeners carry TCP routes)",
    next: [...base, { kind: "VirtualService", metadata: { name: "ratings", namespace: "other" }, spec: { hosts: ["ratings"], tcp: [{ route: [{ destination: { host: "ratings" } }] }] } }],
    keys: [{ kind: "VirtualService", namespace: "other", name: "ratings" }],
    expect: { productpage: "", reviewsV1: "lds,rds", reviewsV2: "lds,rds", otherNsClient: "lds,rds" },
  },
  {
    change: "delegate VirtualService (no hosts) added: the proxies routing its root's hosts",
    next: [
      ...replace(base, "VirtualService", "reviews", { ...reviewsVs, spec: { hosts: ["reviews"], http: [{ delegate: { name: "reviews-routes" } }] } }),
      { kind: "VirtualService", metadata: { name: "reviews-routes", namespace: "default" }, spec: { http: [{ route: [{ destination: { host: "reviews", subset: "v2" } }] }] } },
    ],
    keys: [{ kind: "VirtualService", namespace: "default", name: "reviews-routes" }],
    expect: { productpage: "rds", reviewsV1: "rds", reviewsV2: "rds", otherNsClient: "rds" },
  },
  {
    change: "WorkloadEntry joining ratings' namespace that no service selects",
    next: [...base, { kind: "WorkloadEntry", metadata: { name: "vm", namespace: "other" }, spec: { address: "127.0.0.90", labels: { app: "ratings" } } }],
    keys: [{ kind: "WorkloadEntry", namespace: "other", name: "vm" }],
    expect: { productpage: "", reviewsV1: "", reviewsV2: "", otherNsClient: "" },
  },
  {
    change: "WorkloadEntry joining reviews",
    next: [...base, { kind: "WorkloadEntry", metadata: { name: "vm", namespace: "default" }, spec: { address: "127.0.0.90", labels: { app: "reviews" } } }],
    keys: [{ kind: "WorkloadEntry", namespace: "default", name: "vm" }],
    expect: { productpage: "eds", reviewsV1: "eds", reviewsV2: "eds", otherNsClient: "eds" },
  },
  {
    change: "reviews-v2 auto-registering",
    next: base,
    workloads: { before: registered.filter((w) => w !== v2), after: registered, proxyId: reviewsV2.id, workload: v2 },
    expect: { productpage: "eds", reviewsV1: "eds", reviewsV2: "cds,eds,lds,rds", otherNsClient: "eds" },
  },
  {
    change: "ServiceEntry edit for ratings (out of productpage's scope)",
    next: replace(base, "ServiceEntry", "ratings", { ...ratingsSe, spec: { ...ratingsSe.spec, addresses: ["10.0.0.8"] } }),
    keys: [{ kind: "ServiceEntry", namespace: "other", name: "ratings" }],
    expect: { productpage: "", reviewsV1: "cds,eds,lds,rds", reviewsV2: "cds,eds,lds,rds", otherNsClient: "cds,eds,lds,rds" },
  },
  {
    change: "ServiceEntry added in default (every scope grows)",
    next: [...base, { kind: "ServiceEntry", metadata: { name: "details" }, spec: { hosts: ["details"], ports: [{ number: 9080, name: "http" }], resolution: "STATIC" } }],
    keys: [{ kind: "ServiceEntry", namespace: "default", name: "details" }],
    expect: { productpage: "cds,eds,lds,rds", reviewsV1: "cds,eds,lds,rds", reviewsV2: "cds,eds,lds,rds", otherNsClient: "cds,eds,lds,rds" },
  },
  {
    change: "Sidecar edit that keeps the scope",
    next: replace(base, "Sidecar", "productpage", { ...ppSidecar, spec: { ...ppSidecar.spec, egress: [{ hosts: ["./*", "default/*"] }] } }),
    keys: [{ kind: "Sidecar", namespace: "default", name: "productpage" }],
    expect: { productpage: "cds,eds,lds,rds", reviewsV1: "", reviewsV2: "", otherNsClient: "" },
  },
  {
    change: "Sidecar narrowing productpage's egress to reviews",
    next: replace(base, "Sidecar", "productpage", { ...ppSidecar, spec: { ...ppSidecar.spec, egress: [{ hosts: ["./reviews.default.svc.cluster.local"] }] } }),
    keys: [{ kind: "Sidecar", namespace: "default", name: "productpage" }],
    expect: { productpage: "cds,eds,lds,rds", reviewsV1: "", reviewsV2: "", otherNsClient: "" },
  },
  {
    change: "Gateway",
    next: [...base, { kind: "Gateway", metadata: { name: "gw" }, spec: { selector: { istio: "ingressgateway" }, servers: [] } }],
    keys: [{ kind: "Gateway", namespace: "default", name: "gw" }],
    expect: { productpage: "", reviewsV1: "", reviewsV2: "", otherNsClient: "" },
  },
  {
    change: "a kind the scoping does not know (PeerAuthentication)",
    next: [...base, { apiVersion: "security.istio.io/v1", kind: "PeerAuthentication", metadata: { name: "pa" }, spec: {} }],
    keys: [{ kind: "PeerAuthentication", namespace: "default", name: "pa" }],
    expect: { productpage: "cds,eds,lds,rds", reviewsV1: "cds,eds,lds,rds", reviewsV2: "cds,eds,lds,rds", otherNsClient: "cds,eds,lds,rds" },
  },
];

for (const c of cases) {
  test(`${c.change} → ${JSON.stringify(c.expect)}`, () => {
    const prev = PushContext.build(new TestSnapshot(base, 1), c.workloads?.before ?? registered, { domain: DOMAIN });
    const next = PushContext.build(new TestSnapshot(c.next, 2), c.workloads?.after ?? registered, { domain: DOMAIN });
    const request = new PushRequestBuilder();
    request.addConfigs(c.keys ?? []);
    if (c.workloads) request.addWorkload(c.workloads.proxyId, c.workloads.workload);
    const impact = new PushImpact(request.take(), prev, next);
    const got: Record<string, string> = {};
    for (const [name, p] of Object.entries(proxies)) {
      got[name] = [...impact.typesFor(p, prev.sidecarScope(p), next.sidecarScope(p))].map(shortTypeName).sort().join(",");
    }
    assert.deepEqual(got, c.expect);
  });
}

test("a request marked full concerns every proxy and every type", () => {
  const push = PushContext.build(new TestSnapshot(base), registered, { domain: DOMAIN });
  const request = new PushRequestBuilder();
  request.markFull();
  const impact = new PushImpact(request.take(), push, push);
  assert.equal(impact.typesFor(productpage, push.sidecarScope(productpage), push.sidecarScope(productpage)).size, 4);
});
