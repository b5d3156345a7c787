// OutlierConfig: a cluster's outlier_detection settings read from CDS, with Envoy's defaults (outlier_detection_impl.h).

import { durationMs, invalid, objectField, type XdsObject } from "../../config/xds-fields.js";
import { positiveDurationMs, wrapperValue } from "../health/config-values.js";

export interface OutlierConfig {
  /** interval between ejection sweeps in ms (default 10 s). */
  intervalMs: number;
  /** base_ejection_time in ms (default 30 s); an ejection lasts base × (times ejected in a row), capped by maxEjectionTimeMs. */
  baseEjectionTimeMs: number;
  /** max_ejection_time in ms (default max(300 s, base)). */
  maxEjectionTimeMs: number;
  /** max_ejection_time_jitter in ms (default 0): a random 0..jitter is added to each ejection. */
  maxEjectionTimeJitterMs: number;
  /** max_ejection_percent (default 10; over 100 is rejected, as Envoy's validation does). */
  maxEjectionPercent: number;
  /** always_eject_one_host: one ejection is allowed whatever max_ejection_percent says. */
  alwaysEjectOneHost: boolean;
  /** consecutive_5xx (default 5; 0 never trips). */
  consecutive5xx: number;
  /** consecutive_gateway_failure (default 5; 0 never trips). */
  consecutiveGatewayFailure: number;
  /** consecutive_local_origin_failure (default 5), counted only with split_external_local_origin_errors. */
  consecutiveLocalOriginFailure: number;
  /** enforcing_* percentages: the chance that a detected outlier is really ejected. */
  enforcingConsecutive5xx: number;
  enforcingConsecutiveGatewayFailure: number;
  enforcingConsecutiveLocalOriginFailure: number;
  /** Success-rate detection (per interval): hosts below mean − stdev_factor/1000 × stdev are outliers. */
  enforcingSuccessRate: number;
  enforcingLocalOriginSuccessRate: number;
  enforcingFailurePercentage: number;
  enforcingFailurePercentageLocalOrigin: number;
  /** success_rate_minimum_hosts (5), success_rate_request_volume (100), success_rate_stdev_factor (1900). */
  successRateMinimumHosts: number;
  successRateRequestVolume: number;
  successRateStdevFactor: number;
  /** failure_percentage_threshold (85), failure_percentage_minimum_hosts (5), failure_percentage_request_volume (50). */
  failurePercentageThreshold: number;
  failurePercentageMinimumHosts: number;
  failurePercentageRequestVolume: number;
  /** split_external_local_origin_errors: connect failures, resets and timeouts are counted apart from HTTP 5xx. */
  splitExternalLocalOriginErrors: boolean;
  /** successful_active_health_check_uneject_host (default true): a passing active health check ends an ejection. */
  successfulActiveHealthCheckUnejectHost: boolean;
}

/** undefined when the cluster has no outlier_detection; throws PROXY_CONFIG_INVALID on bad values. */
export function parseOutlierConfig(name: string, c: XdsObject): OutlierConfig | undefined {
  const od = objectField(name, c, "outlier_detection");
  if (!od) return undefined;
  const where = `${name}: outlier_detection`;
  const baseEjectionTimeMs = positiveDurationMs(where, od, "base_ejection_time", 30_000);
  const maxEjectionTimeMs = positiveDurationMs(where, od, "max_ejection_time", Math.max(300_000, baseEjectionTimeMs));
  if (maxEjectionTimeMs < baseEjectionTimeMs) invalid(where, "max_ejection_time cannot be smaller than base_ejection_time");
  return {
    intervalMs: positiveDurationMs(where, od, "interval", 10_000),
    baseEjectionTimeMs,
    maxEjectionTimeMs,
    maxEjectionTimeJitterMs: durationMs(where, od, "max_ejection_time_jitter", 0),
    maxEjectionPercent: percent(where, od, "max_ejection_percent", 10),
    alwaysEjectOneHost: flag(where, od, "always_eject_one_host", false),
    consecutive5xx: count(where, od, "consecutive_5xx", 5),
    consecutiveGatewayFailure: count(where, od, "consecutive_gateway_failure", 5),
    consecutiveLocalOriginFailure: count(where, od, "consecutive_local_origin_failure", 5),
    enforcingConsecutive5xx: percent(where, od, "enforcing_consecutive_5xx", 100),
    enforcingConsecutiveGatewayFailure: percent(where, od, "enforcing_consecutive_gateway_failure", 0),
    enforcingConsecutiveLocalOriginFailure: percent(where, od, "enforcing_consecutive_local_origin_failure", 100),
    enforcingSuccessRate: percent(where, od, "enforcing_success_rate", 100),
    enforcingLocalOriginSuccessRate: percent(where, od, "enforcing_local_origin_success_rate", 100),
    enforcingFailurePercentage: percent(where, od, "enforcing_failure_percentage", 0),
    enforcingFailurePercentageLocalOrigin: percent(where, od, "enforcing_failure_percentage_local_origin", 0),
    successRateMinimumHosts: count(where, od, "success_rate_minimum_hosts", 5),
    successRateRequestVolume: count(where, od, "success_rate_request_volume", 100),
    successRateStdevFactor: count(where, od, "success_rate_stdev_factor", 1900),
    failurePercentageThreshold: percent(where, od, "failure_percentage_threshold", 85),
    failurePercentageMinimumHosts: count(where, od, "failure_percentage_minimum_hosts", 5),
    failurePercentageRequestVolume: count(where, od, "failure_percentage_request_volume", 50),
    splitExternalLocalOriginErrors: od.split_external_local_origin_errors === true,
    successfulActiveHealthCheckUnejectHost: flag(where, od, "successful_active_health_check_uneject_host", true),
  };
}

function count(where: string, o: XdsObject, key: string, fallback: number): number {
  return wrapperValue(where, o, key) ?? fallback;
}

function percent(where: string, o: XdsObject, key: string, fallback: number): number {
  const n = count(where, o, key, fallback);
  if (n > 100) invalid(where, `${key} must be at most 100, got ${n}`);
  return n;
}

function flag(where: string, o: XdsObject, key: string, fallback: boolean): boolean {
  const v = wrapperValue(where, o, key);
  return v === undefined ? fallback : v !== 0;
}
