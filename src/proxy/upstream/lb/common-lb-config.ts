// CommonLbConfig: a cluster's common_lb_config as the priority and locality composition reads it.

import { invalid, objectField, type XdsObject } from "../../config/xds-fields.js";

export interface CommonLbConfig {
  /** healthy_panic_threshold.value in percent (Envoy's default 50; 0 disables panic mode). */
  readonly healthyPanicThresholdPercent: number;
  /** locality_weighted_lb_config is set: pick a locality by weight × availability, then a host in it. */
  readonly localityWeighted: boolean;
}

/** Envoy's defaults (no common_lb_config). */
export const DEFAULT_COMMON_LB_CONFIG: CommonLbConfig = { healthyPanicThresholdPercent: 50, localityWeighted: false };

/** Reads Cluster.common_lb_config; throws PROXY_CONFIG_INVALID on a threshold outside [0, 100] (type.v3.Percent's bounds). */
export function parseCommonLbConfig(name: string, c: XdsObject): CommonLbConfig {
  const common = objectField(name, c, "common_lb_config");
  if (common === undefined) return DEFAULT_COMMON_LB_CONFIG;
  // A present Percent with value 0 decodes as {} (proto3 default omitted): it means 0, not "unset".
  const threshold = objectField(name, common, "healthy_panic_threshold");
  const percent = threshold === undefined ? 50 : Number(threshold.value ?? 0);
  if (!(percent >= 0 && percent <= 100)) invalid(name, `common_lb_config.healthy_panic_threshold must be in [0, 100], got ${String(threshold?.value)}`);
  return {
    healthyPanicThresholdPercent: percent,
    localityWeighted: objectField(name, common, "locality_weighted_lb_config") !== undefined,
  };
}
