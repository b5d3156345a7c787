// SidecarScope: Sidecar selection precedence, egress host forms, egress ports, VirtualService destinations, exportTo.

import { test } from "node:test";
import assert from "node:assert/strict";
import { jsonToStruct } from "../../xds/discovery.js";
import { parseProxy, type Proxy } from "./proxy.js";
import { PushContext } from "./push-context.js";
import { TestSnapshot, type ResourceDoc } from "./test-snapshot.js";

const se = (name: string, ns: string, host: string, extra: Record<string, unknown> = {}): ResourceDoc => ({
  kind: "ServiceEntry",
  metadata: { name, namespace: ns },
  spec: { hosts: [host], ports: [{ number: 9080, name: "http" }], resolution: "STATIC", ...extra },
});
const sidecar = (name: string, ns: string, spec: Record<string, unknown>): ResourceDoc => ({ kind: "Sidecar", metadata: { name, namespace: ns }, spec });

const docs: ResourceDoc[] = [
  se("reviews", "default", "reviews"),
  se("productpage", "default", "productpage"),
  se("ratings", "other", "ratings", { ports: [{ number: 9080, name: "http" }, { number: 8443, name: "http-admin" }] }),
  se("api", "other", "api.example.com", { ports: [{ number: 80, name: "http" }] }),
  se("details", "third", "details", { exportTo: ["."] }),
  se("mongo", "third", "mongo", { exportTo: ["default"] }),
  se("hidden", "third", "hidden", { exportTo: ["~"] }),
  se("shared", "third", "shared", { exportTo: [".", "other"] }),
  sidecar("default", "default", { egress: [{ hosts: ["./*", "other/ratings.other.svc.cluster.local"] }] }),
  sidecar("productpage", "default", { workloadSelector: { labels: { app: "productpage" } }, egress: [{ hosts: ["*/api.example.com", "*/*.third.svc.cluster.local"] }], outboundTrafficPolicy: { mode: "ALLOW_ANY" } }),
  sidecar("only-x", "other", { workloadSelector: { labels: { app: "x" } }, egress: [{ hosts: ["~/*"] }] }),
  sidecar("ports", "ports", {
    egress: [
      { port: { number: 9080, protocol: "HTTP", name: "http" }, hosts: ["other/*"] },
      { hosts: ["other/*", "default/*"] },
    ],
  }),
  sidecar("via-vs", "vsns", { egress: [{ hosts: ["default/reviews.default.svc.cluster.local"] }] }),
  {
    kind: "VirtualService",
    metadata: { name: "reviews", namespace: "default" },
    spec: { hosts: ["reviews"], http: [{ route: [{ destination: { host: "ratings.other.svc.cluster.local" } }] }] },
  },
  sidecar("default", "istio-system", { egress: [{ hosts: ["./*"] }], outboundTrafficPolicy: { mode: "REGISTRY_ONLY" } }),
];

function proxy(ns: string, labels: Record<string, string>, generator?: string): Proxy {
  const md: Record<string, unknown> = { NAMESPACE: ns, LABELS: labels, INSTANCE_IPS: "127.0.0.77" };
  if (generator) md.GENERATOR = generator;
  return parseProxy({ id: `sidecar~127.0.0.77~w.${ns}~${ns}.svc.cluster.local`, metadata: jsonToStruct(md) }, "");
}

const push = PushContext.build(new TestSnapshot(docs), [], { domain: "cluster.local" });
const hosts = (p: Proxy): string[] => push.sidecarScope(p).services.map((s) => s.hostname);

test("a workloadSelector Sidecar beats the namespace's selector-less one, which beats the root namespace's", () => {
  assert.equal(push.sidecarScope(proxy("default", { app: "productpage" })).sidecar?.metadata.name, "productpage");
  assert.equal(push.sidecarScope(proxy("default", { app: "reviews" })).sidecar?.metadata.name, "default");
  const third = push.sidecarScope(proxy("third", { app: "a" }));
  assert.deepEqual([third.sidecar?.metadata.namespace, third.sidecar?.metadata.name], ["istio-system", "default"]);
  assert.equal(push.sidecarScope(proxy("other", { app: "x" })).sidecar?.metadata.name, "only-x");
  assert.equal(push.sidecarScope(proxy("other", { app: "y" })).sidecar?.metadata.namespace, "istio-system", "a non-matching selector falls back to the root");
  assert.equal(push.sidecarScope(proxy("default", { app: "productpage" }, "grpc")).sidecar, undefined, "proxyless gRPC keeps the default scope");
});

test("egress hosts: ./* is the proxy's namespace, ns/host one host, */wildcard any namespace, ~/* nothing", () => {
  assert.deepEqual(hosts(proxy("default", { app: "reviews" })), [
    "productpage.default.svc.cluster.local",
    "ratings.other.svc.cluster.local",
    "reviews.default.svc.cluster.local",
  ]);
  assert.deepEqual(hosts(proxy("default", { app: "productpage" })), ["api.example.com", "mongo.third.svc.cluster.local"]);
  assert.deepEqual(hosts(proxy("other", { app: "x" })), []);
  assert.deepEqual(hosts(proxy("third", {})), ["details.third.svc.cluster.local", "shared.third.svc.cluster.local"], "root ./* is the proxy's own namespace; exportTo ~ hides from all");
});

test("outboundTrafficPolicy comes from the selected Sidecar; none without one", () => {
  assert.equal(push.sidecarScope(proxy("default", { app: "productpage" })).outboundTrafficPolicy, "ALLOW_ANY");
  assert.equal(push.sidecarScope(proxy("third", {})).outboundTrafficPolicy, "REGISTRY_ONLY");
  assert.equal(push.sidecarScope(proxy("default", { app: "reviews" })).outboundTrafficPolicy, undefined);
});

test("an egress listener with a port serves only that port; the catch-all serves the others", () => {
  const scope = push.sidecarScope(proxy("ports", {}));
  assert.deepEqual(scope.httpPorts(), [80, 8443, 9080]);
  assert.deepEqual(scope.httpServicesOnPort(9080).map((s) => s.hostname), ["ratings.other.svc.cluster.local"]);
  assert.deepEqual(scope.httpServicesOnPort(8443).map((s) => s.hostname), ["ratings.other.svc.cluster.local"]);
  assert.deepEqual(scope.service("ratings.other.svc.cluster.local")?.ports.map((p) => p.number), [9080, 8443], "ports of one host merge across listeners");
});

test("the destinations of an imported VirtualService join the scope; its routes apply", () => {
  const scope = push.sidecarScope(proxy("vsns", {}));
  assert.deepEqual(scope.services.map((s) => s.hostname), ["ratings.other.svc.cluster.local", "reviews.default.svc.cluster.local"]);
  assert.equal(push.virtualServiceFor(scope, "reviews.default.svc.cluster.local")?.metadata.name, "reviews");
  const narrow = push.sidecarScope(proxy("default", { app: "productpage" }));
  assert.equal(push.virtualServiceFor(narrow, "reviews.default.svc.cluster.local"), undefined, "a VirtualService outside the egress hosts is not imported");
});

test("exportTo: absent and * everywhere, . own namespace, names only those, ~ nowhere", () => {
  const visible = (ns: string) => push.visibleServices(ns).map((s) => s.hostname.split(".")[0]);
  assert.deepEqual(visible("default"), ["api", "mongo", "productpage", "ratings", "reviews"]);
  assert.deepEqual(visible("third"), ["api", "details", "productpage", "ratings", "reviews", "shared"]);
  assert.deepEqual(visible("other"), ["api", "productpage", "ratings", "reviews", "shared"]);
  const rules = PushContext.build(
    new TestSnapshot([
      ...docs,
      { kind: "DestinationRule", metadata: { name: "local", namespace: "other" }, spec: { host: "ratings", exportTo: ["."] } },
      { kind: "DestinationRule", metadata: { name: "for-default", namespace: "third" }, spec: { host: "ratings.other.svc.cluster.local", exportTo: ["default"] } },
      { kind: "VirtualService", metadata: { name: "private", namespace: "other" }, spec: { hosts: ["api.example.com"], exportTo: ["."], http: [{ route: [{ destination: { host: "api.example.com" } }] }] } },
    ]),
    [],
    { domain: "cluster.local" },
  );
  const R = "ratings.other.svc.cluster.local";
  assert.equal(rules.destinationRule("other", R)?.metadata.name, "local");
  assert.equal(rules.destinationRule("default", R)?.metadata.name, "for-default");
  assert.equal(rules.destinationRule("third", R), undefined);
  assert.equal(rules.virtualService("other", "api.example.com")?.metadata.name, "private");
  assert.equal(rules.virtualService("default", "api.example.com"), undefined);
});
