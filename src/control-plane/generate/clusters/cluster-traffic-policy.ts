// The DestinationRule traffic policy of one sidecar cluster as Envoy cluster fields (Istio's ClusterBuilder appliers).

import type { EnvoyObject } from "../envoy-objects.js";
import { connectionPoolFields } from "../policy/connection-pool.js";
import type { TrafficPolicySpec } from "../policy/istio-policy-specs.js";
import { loadBalancerFields } from "../policy/load-balancer.js";
import { outlierDetectionFields } from "../policy/outlier-detection.js";
import { needsLocalityWeightedLb } from "../endpoints/locality-lb.js";

/**
 * The fields a merged TrafficPolicy sets on an outbound cluster: Istio's default LEAST_REQUEST unless the
 * loadBalancer says otherwise, circuit_breakers always (Istio's MaxUint32 defaults lowered by connectionPool),
 * connect_timeout from tcp.connectTimeout, tcp keepalive, outlier_detection with its panic threshold, and
 * `common_lb_config.locality_weighted_lb_config` when locality LB rewrites weights or priorities (Istio
 * applyLocalityLoadBalancer; the per-proxy priorities themselves are in EDS).
 */
export function clusterPolicyFields(policy: TrafficPolicySpec | undefined): EnvoyObject {
  const out: EnvoyObject = { lb_policy: "LEAST_REQUEST", ...loadBalancerFields(policy?.loadBalancer), ...connectionPoolFields(policy?.connectionPool) };
  const od = outlierDetectionFields(policy?.outlierDetection);
  if (od) Object.assign(out, od);
  if (needsLocalityWeightedLb(policy)) {
    out.common_lb_config = { ...(out.common_lb_config as EnvoyObject | undefined), locality_weighted_lb_config: {} };
  }
  return out;
}
