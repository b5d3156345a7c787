// Test support: a small Bookinfo-like mesh (ServiceEntries, DestinationRule, VirtualService, proxies) for generator tests.

import { jsonToStruct, type XdsNode } from "../../../xds/discovery.js";
import { parseProxy, type Proxy } from "../../model/proxy.js";
import { PushContext } from "../../model/push-context.js";
import { TestSnapshot, type ResourceDoc } from "../../model/test-snapshot.js";
import { workloadFromProxy } from "../../model/workload-instance.js";

export const DOMAIN = "cluster.local";

export function node(o: { ip: string; workload: string; namespace: string; labels?: Record<string, string>; appPort?: number; generator?: string; locality?: XdsNode["locality"] }): XdsNode {
  const md: Record<string, unknown> = { NAMESPACE: o.namespace, WORKLOAD_NAME: o.workload, INSTANCE_IPS: o.ip, CLUSTER_ID: "Kubernetes" };
  if (o.labels) md.LABELS = o.labels;
  if (o.appPort) md.APP_PORT = String(o.appPort);
  if (o.generator) md.GENERATOR = o.generator;
  const n: XdsNode = { id: `sidecar~${o.ip}~${o.workload}.${o.namespace}~${o.namespace}.svc.${DOMAIN}`, metadata: jsonToStruct(md) };
  if (o.locality) n.locality = o.locality;
  return n;
}

export const productpage = parseProxy(node({ ip: "127.0.0.10", workload: "productpage-v1", namespace: "default", labels: { app: "productpage", version: "v1" }, appPort: 19080 }), "");
export const reviewsV1 = parseProxy(
  node({ ip: "127.0.0.12", workload: "reviews-v1", namespace: "default", labels: { app: "reviews", version: "v1" }, appPort: 19082, locality: { region: "eu", zone: "a" } }),
  "",
);
export const reviewsV2 = parseProxy(node({ ip: "127.0.0.13", workload: "reviews-v2", namespace: "default", labels: { app: "reviews", version: "v2" }, locality: { region: "eu", zone: "b" } }), "");
export const reviewsV3 = parseProxy(node({ ip: "127.0.0.14", workload: "reviews-v3", namespace: "default", labels: { app: "reviews", version: "v3" }, locality: { region: "eu", zone: "b" } }), "");
export const otherNsClient = parseProxy(node({ ip: "127.0.0.30", workload: "client", namespace: "other" }), "");
export const grpcClient = parseProxy(node({ ip: "127.0.0.40", workload: "grpc-client", namespace: "default", generator: "grpc" }), "");

export const docs: ResourceDoc[] = [
  {
    kind: "ServiceEntry",
    metadata: { name: "reviews" },
    spec: { hosts: ["reviews"], ports: [{ number: 9080, name: "http", protocol: "HTTP" }], resolution: "STATIC", location: "MESH_INTERNAL", workloadSelector: { labels: { app: "reviews" } } },
  },
  {
    kind: "ServiceEntry",
    metadata: { name: "productpage" },
    spec: { hosts: ["productpage.default.svc.cluster.local"], ports: [{ number: 9080, name: "http" }], resolution: "STATIC", workloadSelector: { labels: { app: "productpage" } } },
  },
  {
    kind: "ServiceEntry",
    metadata: { name: "ratings", namespace: "other" },
    spec: {
      hosts: ["ratings.other.svc.cluster.local"],
      addresses: ["10.0.0.7"],
      ports: [{ number: 9080, name: "http", protocol: "HTTP", targetPort: 8080 }],
      resolution: "STATIC",
      endpoints: [
        { address: "127.0.0.15", labels: { app: "ratings" }, locality: "eu/a", weight: 3 },
        { address: "127.0.0.16", ports: { http: 9999 }, labels: { app: "ratings" }, locality: "eu/b" },
      ],
    },
  },
  {
    kind: "ServiceEntry",
    metadata: { name: "db" },
    spec: { hosts: ["db.default.svc.cluster.local"], ports: [{ number: 3306, name: "tcp-mysql", protocol: "TCP" }], resolution: "STATIC", endpoints: [{ address: "127.0.0.50" }] },
  },
  {
    kind: "DestinationRule",
    metadata: { name: "reviews" },
    spec: { host: "reviews", subsets: [{ name: "v1", labels: { version: "v1" } }, { name: "v2", labels: { version: "v2" } }, { name: "v3", labels: { version: "v3" } }] },
  },
  {
    kind: "VirtualService",
    metadata: { name: "reviews" },
    spec: {
      hosts: ["reviews"],
      http: [
        { name: "jason", match: [{ headers: { "end-user": { exact: "jason" } } }], route: [{ destination: { host: "reviews", subset: "v2" } }] },
        {
          name: "api",
          match: [{ name: "prefix", uri: { prefix: "/api" } }, { name: "regex", uri: { regex: "/v[0-9]+/.*" }, headers: { "x-canary": { prefix: "yes" } } }],
          route: [
            { destination: { host: "reviews", subset: "v1" }, weight: 75 },
            { destination: { host: "reviews", subset: "v3" }, weight: 25 },
          ],
          timeout: "1.5s",
        },
        { name: "missing", match: [{ uri: { exact: "/missing" } }], route: [{ destination: { host: "reviews", subset: "v9" } }] },
        { route: [{ destination: { host: "reviews", subset: "v1" } }] },
      ],
    },
  },
];

/** The push context of the fixture, with the four sidecars auto-registered. */
export function bookinfoPush(extra: ResourceDoc[] = [], proxies: Proxy[] = [productpage, reviewsV1, reviewsV2, reviewsV3]): PushContext {
  const workloads = proxies.map(workloadFromProxy).filter((w) => w !== undefined);
  return PushContext.build(new TestSnapshot([...docs, ...extra]), workloads, { domain: DOMAIN });
}
