// healthFlagsText: a host's HealthFlag bits as Envoy's admin /clusters prints them (HostUtility::healthFlagsToString).

import { HealthFlag } from "../host.js";

/** Envoy's flag order; a host with none of them set prints as "healthy". */
const NAMES: ReadonlyArray<readonly [number, string]> = [
  [HealthFlag.FailedActiveHc, "/failed_active_hc"],
  [HealthFlag.FailedOutlierCheck, "/failed_outlier_check"],
  [HealthFlag.FailedEdsHealth, "/failed_eds_health"],
  [HealthFlag.DegradedEdsHealth, "/degraded_eds_health"],
  [HealthFlag.PendingActiveHc, "/pending_active_hc"],
  [HealthFlag.EdsStatusDraining, "/eds_status_draining"],
];

/** e.g. "healthy", "/failed_outlier_check", "/failed_active_hc/failed_outlier_check". */
export function healthFlagsText(flags: number): string {
  let out = "";
  for (const [bit, name] of NAMES) if (flags & bit) out += name;
  return out === "" ? "healthy" : out;
}
