// HealthCheckConfig: a cluster's active health_checks read from CDS (HTTP and TCP checks).

import type { XdsObject } from "../../config/xds-fields.js";

export interface HealthCheckConfig {
  /** interval in ms. */
  intervalMs: number;
}

export function parseHealthChecks(_name: string, _c: XdsObject): HealthCheckConfig[] {
  return [];
}
