// CDS for proxyless gRPC: the outbound EDS clusters with their DestinationRule traffic policy applied (grpcgen/cds.go).

import type { Proxy } from "../../model/proxy.js";
import type { PushContext } from "../../model/push-context.js";
import { parseSubsetKey } from "../../model/subset-key.js";
import { outboundClusters } from "../clusters/cluster-generator.js";
import type { GeneratedResource } from "../generated-resource.js";
import { clusterTrafficPolicy } from "../policy/traffic-policy.js";
import { grpcClusterPolicyFields } from "./grpc-cluster-policy.js";

function withPolicy(c: GeneratedResource, namespace: string, push: PushContext): GeneratedResource {
  const key = parseSubsetKey(c.name);
  if (!key) return c;
  const dr = push.destinationRule(namespace, key.hostname);
  const fields = grpcClusterPolicyFields(clusterTrafficPolicy(dr?.spec, key.subset, key.port));
  return Object.keys(fields).length === 0 ? c : { name: c.name, resource: { ...c.resource, ...fields } };
}

/** Every outbound cluster a gRPC client in `namespace` may ask for, policy applied; shared by the namespace's clients. */
function grpcClusters(namespace: string, push: PushContext): readonly GeneratedResource[] {
  return push.memo(`grpc-cds|${namespace}`, () => outboundClusters(push, namespace).map((c) => withPolicy(c, namespace, push)));
}

/** The requested clusters (gRPC asks by name), or all of them for a wildcard request. */
export function generateGrpcClusters(proxy: Proxy, push: PushContext, names?: readonly string[]): GeneratedResource[] {
  const all = grpcClusters(proxy.namespace, push);
  if (!names) return [...all];
  const wanted = new Set(names);
  return all.filter((c) => wanted.has(c.name));
}
