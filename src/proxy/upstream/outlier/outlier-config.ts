// OutlierConfig: a cluster's outlier_detection settings read from CDS.

import { objectField, type XdsObject } from "../../config/xds-fields.js";

export interface OutlierConfig {
  /** outlier_detection.interval in ms (Envoy default 10 s). */
  intervalMs: number;
}

/** undefined when the cluster has no outlier_detection. */
export function parseOutlierConfig(name: string, c: XdsObject): OutlierConfig | undefined {
  const od = objectField(name, c, "outlier_detection");
  if (!od) return undefined;
  return { intervalMs: 10_000 };
}
