// OutlierDetectionStats: a cluster's `outlier_detection.*` counters with Envoy's names (ALL_OUTLIER_DETECTION_STATS).

import type { StatGroup } from "../../stats/proxy-stats.js";

/** Kept by the ClusterState (so counts survive CDS updates); plain fields bumped by the OutlierDetector. */
export class OutlierDetectionStats implements StatGroup {
  /** Gauge: hosts ejected now. */
  ejections_active = 0;
  ejections_overflow = 0;
  ejections_enforced_total = 0;
  /** Deprecated by Envoy but still emitted: ejections (enforced or not) of type consecutive 5xx or success rate. */
  ejections_total = 0;
  /** Deprecated: consecutive-5xx detections. */
  ejections_consecutive_5xx = 0;
  ejections_success_rate = 0;
  ejections_detected_consecutive_5xx = 0;
  ejections_enforced_consecutive_5xx = 0;
  ejections_detected_consecutive_gateway_failure = 0;
  ejections_enforced_consecutive_gateway_failure = 0;
  ejections_detected_consecutive_local_origin_failure = 0;
  ejections_enforced_consecutive_local_origin_failure = 0;
  ejections_detected_success_rate = 0;
  ejections_enforced_success_rate = 0;
  ejections_detected_failure_percentage = 0;
  ejections_enforced_failure_percentage = 0;
  ejections_detected_local_origin_success_rate = 0;
  ejections_enforced_local_origin_success_rate = 0;
  ejections_detected_local_origin_failure_percentage = 0;
  ejections_enforced_local_origin_failure_percentage = 0;

  forEach(emit: (name: string, value: number, gauge: boolean) => void): void {
    for (const key of Object.keys(this) as Array<keyof this>) {
      emit(`outlier_detection.${String(key)}`, this[key] as number, key === "ejections_active");
    }
  }
}
