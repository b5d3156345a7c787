// CDS for proxyless gRPC: the outbound EDS clusters with their DestinationRule traffic policy applied (grpcgen/cds.go).

import type { Proxy } from "../../model/proxy.js";
import type { PushContext } from "../../model/push-context.js";
import { outboundClusters } from "../clusters/cluster-generator.js";
import type { GeneratedResource } from "../generated-resource.js";
import type { TrafficPolicySpec } from "../policy/istio-policy-specs.js";
import { grpcClusterPolicyFields } from "./grpc-cluster-policy.js";

/** What grpc-js-xds reads of a traffic policy, over ROUND_ROBIN (gRPC's default). */
const GRPC_POLICY = { name: "grpc", fields: (policy: TrafficPolicySpec | undefined) => ({ lb_policy: "ROUND_ROBIN", ...grpcClusterPolicyFields(policy) }) };

/** Every outbound cluster a gRPC client in `namespace` may ask for, policy applied; shared by the namespace's clients. */
function grpcClusters(namespace: string, push: PushContext): readonly GeneratedResource[] {
  return outboundClusters(push, namespace, GRPC_POLICY);
}

/** The requested clusters (gRPC asks by name), or all of them for a wildcard request. */
export function generateGrpcClusters(proxy: Proxy, push: PushContext, names?: readonly string[]): GeneratedResource[] {
  const all = grpcClusters(proxy.namespace, push);
  if (!names) return [...all];
  const wanted = new Set(names);
  return all.filter((c) => wanted.has(c.name));
}
