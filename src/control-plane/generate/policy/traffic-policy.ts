// The effective TrafficPolicy of a cluster: DestinationRule top level, port level and subset merged as Istio does.

import type { DestinationRuleSpec } from "../../model/istio-specs.js";
import type { ConsistentHashSpec, TrafficPolicySpec } from "./istio-policy-specs.js";

/**
 * Istio GetPortLevelTrafficPolicy: the portLevelSettings entry for `port` replaces the whole policy (omitted sections
 * fall back to defaults, they are not inherited); `hasPortLevel` says whether one matched.
 */
export function portLevelTrafficPolicy(policy: TrafficPolicySpec | undefined, port: number | undefined): { policy?: TrafficPolicySpec; hasPortLevel: boolean } {
  if (!policy || port === undefined) return { policy, hasPortLevel: false };
  const p = policy.portLevelSettings?.find((s) => s.port?.number === port);
  if (!p) return { policy, hasPortLevel: false };
  return { policy: { connectionPool: p.connectionPool, loadBalancer: p.loadBalancer, outlierDetection: p.outlierDetection, tls: p.tls }, hasPortLevel: true };
}

/**
 * Istio MergeSubsetTrafficPolicy: the destination policy (port level applied) overridden section by section by the
 * subset's (port level applied; a matching subset port level replaces every section, set or not).
 */
export function mergeSubsetTrafficPolicy(
  top: TrafficPolicySpec | undefined,
  subset: TrafficPolicySpec | undefined,
  port: number | undefined,
): TrafficPolicySpec | undefined {
  const original = portLevelTrafficPolicy(top, port).policy;
  if (!subset) return original;
  const { policy: sub, hasPortLevel } = portLevelTrafficPolicy(subset, port);
  if (!original) return sub;
  const merged: TrafficPolicySpec = { connectionPool: original.connectionPool, loadBalancer: original.loadBalancer, outlierDetection: original.outlierDetection, tls: original.tls };
  if (sub!.connectionPool || hasPortLevel) merged.connectionPool = sub!.connectionPool;
  if (sub!.outlierDetection || hasPortLevel) merged.outlierDetection = sub!.outlierDetection;
  if (sub!.loadBalancer || hasPortLevel) merged.loadBalancer = sub!.loadBalancer;
  if (sub!.tls || hasPortLevel) merged.tls = sub!.tls;
  return merged;
}

/** The merged policy of cluster `outbound|port|subset|host` under DestinationRule `dr` ("" = the default cluster). */
export function clusterTrafficPolicy(dr: DestinationRuleSpec | undefined, subset: string, port: number): TrafficPolicySpec | undefined {
  if (!dr) return undefined;
  const top = dr.trafficPolicy as TrafficPolicySpec | undefined;
  const sub = subset ? dr.subsets?.find((s) => s.name === subset) : undefined;
  return mergeSubsetTrafficPolicy(top, sub?.trafficPolicy as TrafficPolicySpec | undefined, port);
}

function portHash(policy: TrafficPolicySpec | undefined, port: number | undefined): ConsistentHashSpec | undefined {
  if (port === undefined) return undefined;
  return policy?.portLevelSettings?.find((s) => s.port?.number === port)?.loadBalancer?.consistentHash;
}

/**
 * The consistent hash a route to a destination uses (Istio hashForHTTPDestination): subset port level, subset,
 * destination port level, then top level. `port` is the destination's explicit port (Istio ignores port level
 * settings when the route names none), `subset` "" for none.
 */
export function destinationConsistentHash(dr: DestinationRuleSpec | undefined, subset: string, port: number | undefined): ConsistentHashSpec | undefined {
  if (!dr) return undefined;
  const top = dr.trafficPolicy as TrafficPolicySpec | undefined;
  const sub = subset ? (dr.subsets?.find((s) => s.name === subset)?.trafficPolicy as TrafficPolicySpec | undefined) : undefined;
  return portHash(sub, port) ?? sub?.loadBalancer?.consistentHash ?? portHash(top, port) ?? top?.loadBalancer?.consistentHash;
}

/** The consistent hash of a service's default route (Istio hashForService): port level wins over top level. */
export function serviceConsistentHash(dr: DestinationRuleSpec | undefined, port: number): ConsistentHashSpec | undefined {
  const top = dr?.trafficPolicy as TrafficPolicySpec | undefined;
  return portHash(top, port) ?? top?.loadBalancer?.consistentHash;
}

/** Whether the rule sets a consistentHash anywhere (top level, port level, subsets): then routes carry its hash_policy. */
export function hasConsistentHash(dr: DestinationRuleSpec): boolean {
  const policies = [dr.trafficPolicy as TrafficPolicySpec | undefined, ...(dr.subsets ?? []).map((s) => s.trafficPolicy as TrafficPolicySpec | undefined)];
  for (const p of policies) {
    if (p?.loadBalancer?.consistentHash) return true;
    if (p?.portLevelSettings?.some((s) => s.loadBalancer?.consistentHash)) return true;
  }
  return false;
}
