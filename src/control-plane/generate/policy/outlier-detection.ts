// Applier: DestinationRule outlierDetection → cluster outlier_detection (Istio applyOutlierDetection).

import { parseDuration } from "../duration.js";
import type { EnvoyObject } from "../envoy-objects.js";
import type { OutlierDetectionSpec } from "./istio-policy-specs.js";

/**
 * Istio's translation, field for field: success-rate ejection off (`enforcing_success_rate: 0`), consecutive 5xx and
 * gateway errors with 100% enforcement when set above 0 (0 disables), interval, base ejection time, max ejection
 * percent, local-origin split; minHealthPercent → `common_lb_config.healthy_panic_threshold` (0 when unset: Istio
 * disables Envoy's panic mode). Returns the cluster fields to merge; undefined without a section.
 */
export function outlierDetectionFields(od: OutlierDetectionSpec | undefined): EnvoyObject | undefined {
  if (!od) return undefined;
  const out: EnvoyObject = { enforcing_success_rate: { value: 0 } };
  if (od.consecutive5xxErrors !== undefined) {
    out.consecutive_5xx = { value: od.consecutive5xxErrors };
    out.enforcing_consecutive_5xx = { value: od.consecutive5xxErrors > 0 ? 100 : 0 };
  }
  if (od.consecutiveGatewayErrors !== undefined) {
    out.consecutive_gateway_failure = { value: od.consecutiveGatewayErrors };
    out.enforcing_consecutive_gateway_failure = { value: od.consecutiveGatewayErrors > 0 ? 100 : 0 };
  }
  const interval = od.interval ? parseDuration(od.interval) : undefined;
  if (interval) out.interval = interval;
  const base = od.baseEjectionTime ? parseDuration(od.baseEjectionTime) : undefined;
  if (base) out.base_ejection_time = base;
  if (od.maxEjectionPercent && od.maxEjectionPercent > 0) out.max_ejection_percent = { value: od.maxEjectionPercent };
  if (od.splitExternalLocalOriginErrors) {
    out.split_external_local_origin_errors = true;
    if (od.consecutiveLocalOriginFailures && od.consecutiveLocalOriginFailures > 0) {
      out.consecutive_local_origin_failure = { value: od.consecutiveLocalOriginFailures };
      out.enforcing_consecutive_local_origin_failure = { value: 100 };
    }
    out.enforcing_local_origin_success_rate = { value: 0 };
  }
  const fields: EnvoyObject = { outlier_detection: out };
  const minHealth = od.minHealthPercent ?? 0;
  if (minHealth >= 0) fields.common_lb_config = { healthy_panic_threshold: { value: minHealth } };
  return fields;
}
