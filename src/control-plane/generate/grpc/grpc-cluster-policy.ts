// The DestinationRule traffic policy of one cluster, as the cluster fields grpc-js-xds accepts and obeys.

import type { EnvoyObject } from "../envoy-objects.js";
import { connectionPoolFields } from "../policy/connection-pool.js";
import type { OutlierDetectionSpec, TrafficPolicySpec } from "../policy/istio-policy-specs.js";
import { loadBalancerFields } from "../policy/load-balancer.js";
import { outlierDetectionFields } from "../policy/outlier-detection.js";

/** Envoy's consecutive_5xx when Istio leaves consecutive5xxErrors unset. */
const ENVOY_DEFAULT_CONSECUTIVE_5XX = 5;

/**
 * grpc-js-xds reads only success-rate and failure-percentage ejection (gRFC A50); Istio's API has neither and its
 * translation disables success rate. So a gRPC client also gets failure-percentage ejection standing for the
 * consecutive-error limits: a host that served at least N calls in one interval with (nearly) all of them failing
 * (> 99%) is ejected, N being the smallest enabled of consecutive5xxErrors (Envoy default 5) and consecutiveGatewayErrors.
 * No minimum host count, as for Envoy's consecutive ejection. gRPC counts every non-OK status as a failure.
 */
function grpcOutlierDetection(od: OutlierDetectionSpec): EnvoyObject {
  const fields = outlierDetectionFields(od)!;
  const out = { ...(fields.outlier_detection as EnvoyObject) };
  const limits = [od.consecutive5xxErrors ?? ENVOY_DEFAULT_CONSECUTIVE_5XX, od.consecutiveGatewayErrors ?? 0].filter((n) => n > 0);
  if (limits.length > 0) {
    out.enforcing_failure_percentage = { value: 100 };
    out.failure_percentage_threshold = { value: 99 };
    out.failure_percentage_request_volume = { value: Math.min(...limits) };
    out.failure_percentage_minimum_hosts = { value: 1 };
  }
  return { ...fields, outlier_detection: out };
}

/** gRPC clients support ROUND_ROBIN and RING_HASH only (others are NACKed): MAGLEV becomes RING_HASH, the rest ROUND_ROBIN. */
function grpcLbPolicy(policy: unknown): string {
  if (policy === "RING_HASH" || policy === "MAGLEV") return "RING_HASH";
  return "ROUND_ROBIN";
}

/**
 * The cluster fields for a merged TrafficPolicy: circuit_breakers only when a connectionPool section exists (else
 * grpc-js keeps its own 1024 max_requests, as under Istio's grpcgen), outlier_detection as above, lb_policy and
 * ring_hash_lb_config. TLS is not applied.
 */
export function grpcClusterPolicyFields(policy: TrafficPolicySpec | undefined): EnvoyObject {
  if (!policy) return {};
  const out: EnvoyObject = {};
  if (policy.connectionPool) out.circuit_breakers = connectionPoolFields(policy.connectionPool).circuit_breakers;
  if (policy.outlierDetection) Object.assign(out, grpcOutlierDetection(policy.outlierDetection));
  const lb = loadBalancerFields(policy.loadBalancer);
  if (lb.lb_policy) {
    out.lb_policy = grpcLbPolicy(lb.lb_policy);
    if (out.lb_policy === "RING_HASH" && lb.ring_hash_lb_config) out.ring_hash_lb_config = lb.ring_hash_lb_config;
  }
  return out;
}
