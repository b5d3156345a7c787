// The DestinationRule traffic policy of one sidecar cluster as Envoy cluster fields (Istio's ClusterBuilder appliers).

import type { EnvoyObject } from "../envoy-objects.js";
import { connectionPoolFields } from "../policy/connection-pool.js";
import type { TrafficPolicySpec } from "../policy/istio-policy-specs.js";
import { loadBalancerFields } from "../policy/load-balancer.js";
import { outlierDetectionFields } from "../policy/outlier-detection.js";

/**
 * The fields a merged TrafficPolicy sets on an outbound cluster: Istio's default LEAST_REQUEST unless the
 * loadBalancer says otherwise, circuit_breakers always (Istio's MaxUint32 defaults lowered by connectionPool),
 * connect_timeout from tcp.connectTimeout, outlier_detection with its panic threshold.
 */
export function clusterPolicyFields(policy: TrafficPolicySpec | undefined): EnvoyObject {
  const out: EnvoyObject = { lb_policy: "LEAST_REQUEST", ...loadBalancerFields(policy?.loadBalancer), ...connectionPoolFields(policy?.connectionPool) };
  const od = outlierDetectionFields(policy?.outlierDetection);
  if (od) Object.assign(out, od);
  return out;
}
