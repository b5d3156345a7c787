// outlierDetection → Envoy outlier_detection exactly as Istio writes it.

import { test } from "node:test";
import assert from "node:assert/strict";
import { outlierDetectionFields } from "./outlier-detection.js";
import { clusterRoundTrip } from "./testing-envelopes.js";

test("consecutive errors enforced at 100%, success rate off, durations and max percent copied, panic threshold 0", () => {
  const c = clusterRoundTrip(outlierDetectionFields({ consecutive5xxErrors: 2, consecutiveGatewayErrors: 0, interval: "1s", baseEjectionTime: "30s", maxEjectionPercent: 50 })!);
  assert.deepEqual(c.outlier_detection, {
    enforcing_success_rate: { value: 0 },
    consecutive_5xx: { value: 2 },
    enforcing_consecutive_5xx: { value: 100 },
    consecutive_gateway_failure: { value: 0 },
    enforcing_consecutive_gateway_failure: { value: 0 },
    interval: { seconds: 1 },
    base_ejection_time: { seconds: 30 },
    max_ejection_percent: { value: 50 },
  });
  assert.deepEqual(c.common_lb_config, { healthy_panic_threshold: { value: 0 } });
});

test("local-origin split sets its own consecutive limit; no section gives nothing", () => {
  const f = outlierDetectionFields({ splitExternalLocalOriginErrors: true, consecutiveLocalOriginFailures: 4, minHealthPercent: 30 })!;
  const c = clusterRoundTrip(f);
  assert.equal(c.outlier_detection.split_external_local_origin_errors, true);
  assert.deepEqual(c.outlier_detection.consecutive_local_origin_failure, { value: 4 });
  assert.deepEqual(c.outlier_detection.enforcing_local_origin_success_rate, { value: 0 });
  assert.deepEqual(c.common_lb_config, { healthy_panic_threshold: { value: 30 } });
  assert.equal(outlierDetectionFields(undefined), undefined);
});
