// Unit tests of outlier detection with a fake clock: consecutive counters, ejection time growth, limits, local-origin split.

import { test } from "node:test";
import assert from "node:assert/strict";
import { ClusterStats } from "../../stats/proxy-stats.js";
import { HealthFlag, Host } from "../host.js";
import { OutlierResult } from "./host-outlier-state.js";
import { parseOutlierConfig, type OutlierConfig } from "./outlier-config.js";
import { OutlierDetectionStats } from "./outlier-detection-stats.js";
import { OutlierDetector } from "./outlier-detector.js";

const HOUR = { seconds: 3600 };

function config(od: Record<string, unknown>): OutlierConfig {
  return parseOutlierConfig("c", { name: "c", outlier_detection: { interval: HOUR, ...od } })!;
}

function setup(od: Record<string, unknown>, hostCount = 3) {
  const clock = { t: 0, now() { return this.t; }, random: () => 0.5 };
  const stats = new OutlierDetectionStats();
  let changes = 0;
  const detector = new OutlierDetector(config(od), stats, () => { changes++; }, clock);
  const clusterStats = new ClusterStats();
  const hosts = Array.from({ length: hostCount }, (_, i) => new Host(`127.0.8.${i + 1}`, 80, "HEALTHY", clusterStats, 1000));
  detector.setHosts(hosts);
  return { clock, stats, detector, hosts, changes: () => changes };
}

const ejected = (h: Host) => (h.healthFlags & HealthFlag.FailedOutlierCheck) !== 0;

test("consecutive_5xx: a success resets the count; the 3rd 5xx in a row ejects, counted as detected and enforced", () => {
  const { detector, hosts: [h], stats, changes } = setup({ consecutive_5xx: { value: 3 }, max_ejection_percent: { value: 100 } });
  h.outlier!.putHttpResponseCode(500);
  h.outlier!.putHttpResponseCode(503);
  h.outlier!.putHttpResponseCode(200);
  h.outlier!.putHttpResponseCode(500);
  h.outlier!.putHttpResponseCode(500);
  assert.equal(ejected(h), false);
  h.outlier!.putHttpResponseCode(500);
  assert.equal(ejected(h), true);
  assert.equal(changes(), 1);
  assert.equal(stats.ejections_active, 1);
  assert.equal(stats.ejections_detected_consecutive_5xx, 1);
  assert.equal(stats.ejections_enforced_consecutive_5xx, 1);
  assert.equal(stats.ejections_enforced_total, 1);
  assert.equal(stats.ejections_total, 1);
  assert.equal(h.healthy, false);
  detector.close();
  assert.equal(ejected(h), false);
  assert.equal(stats.ejections_active, 0);
});

test("ejection time grows 1×, 2×, 3× base_ejection_time and is capped by max_ejection_time; hosts return at the tick after it", () => {
  const { clock, detector, hosts: [h] } = setup({
    consecutive_5xx: { value: 1 }, max_ejection_percent: { value: 100 },
    base_ejection_time: { seconds: 1 }, max_ejection_time: { nanos: 0, seconds: 2, }, interval: { seconds: 10 },
  });
  const ejectAndMeasure = (): number => {
    h.outlier!.putHttpResponseCode(500);
    assert.equal(ejected(h), true);
    const start = clock.t;
    for (let dt = 0; dt <= 5000; dt += 100) {
      clock.t = start + dt;
      detector.sweep();
      if (!ejected(h)) return dt;
    }
    return -1;
  };
  assert.equal(ejectAndMeasure(), 1000);
  assert.equal(ejectAndMeasure(), 2000);
  assert.equal(ejectAndMeasure(), 2000, "3 × base is capped at max_ejection_time");
  assert.equal(h.outlier!.numEjections, 3);
  detector.close();
});

test("the backoff shrinks by one per interval tick the host stays in, so the next ejection is short again", () => {
  const { clock, detector, hosts: [h] } = setup({
    consecutive_5xx: { value: 1 }, max_ejection_percent: { value: 100 }, base_ejection_time: { seconds: 1 }, interval: { seconds: 1 },
  });
  h.outlier!.putHttpResponseCode(500);
  clock.t = 1000;
  detector.sweep();
  assert.equal(ejected(h), false);
  h.outlier!.putHttpResponseCode(500);
  assert.equal(h.outlier!.ejectTimeBackoff, 2);
  clock.t = 3000;
  detector.sweep();
  assert.equal(ejected(h), false);
  for (const t of [4000, 5000]) { clock.t = t; detector.sweep(); }
  assert.equal(h.outlier!.ejectTimeBackoff, 0);
  detector.close();
});

test("max_ejection_percent: 10% of 3 hosts ejects none (overflow); 50% ejects one; always_eject_one_host ejects one anyway", () => {
  const fail = (h: Host) => { for (let i = 0; i < 5; i++) h.outlier!.putHttpResponseCode(500); };
  const ten = setup({});
  fail(ten.hosts[0]);
  assert.equal(ejected(ten.hosts[0]), false);
  assert.equal(ten.stats.ejections_overflow, 1);
  assert.equal(ten.stats.ejections_detected_consecutive_5xx, 1);
  ten.detector.close();

  const half = setup({ max_ejection_percent: { value: 50 } });
  fail(half.hosts[0]);
  fail(half.hosts[1]);
  assert.deepEqual(half.hosts.map(ejected), [true, false, false]);
  assert.equal(half.stats.ejections_overflow, 1);
  half.detector.close();

  const one = setup({ always_eject_one_host: { value: true } });
  fail(one.hosts[0]);
  fail(one.hosts[1]);
  assert.deepEqual(one.hosts.map(ejected), [true, false, false]);
  one.detector.close();
});

test("gateway failures are detected but not enforced by default (enforcing_consecutive_gateway_failure 0)", () => {
  const { detector, hosts: [h], stats } = setup({ consecutive_5xx: { value: 0 }, consecutive_gateway_failure: { value: 2 }, max_ejection_percent: { value: 100 } });
  h.outlier!.putHttpResponseCode(502);
  h.outlier!.putHttpResponseCode(504);
  assert.equal(stats.ejections_detected_consecutive_gateway_failure, 1);
  assert.equal(stats.ejections_enforced_total, 0);
  assert.equal(ejected(h), false);
  detector.close();
});

test("without the split, a connect failure counts as a 503 (5xx and gateway); with it, only as a local-origin failure", () => {
  const plain = setup({ consecutive_5xx: { value: 2 }, max_ejection_percent: { value: 100 } });
  const [p] = plain.hosts;
  p.outlier!.putResult(OutlierResult.LocalOriginConnectFailed);
  p.outlier!.putResult(OutlierResult.LocalOriginConnectSuccess);
  assert.equal(p.outlier!.consecutive5xx, 1, "a connect success says nothing without the split");
  p.outlier!.putResult(OutlierResult.LocalOriginTimeout, 504);
  assert.equal(ejected(p), true);
  assert.equal(plain.stats.ejections_enforced_consecutive_5xx, 1);
  plain.detector.close();

  const split = setup({
    consecutive_5xx: { value: 2 }, max_ejection_percent: { value: 100 }, split_external_local_origin_errors: true,
    consecutive_local_origin_failure: { value: 3 },
  });
  const [s] = split.hosts;
  s.outlier!.putResult(OutlierResult.LocalOriginConnectFailed);
  s.outlier!.putResult(OutlierResult.LocalOriginConnectFailed);
  s.outlier!.putResult(OutlierResult.LocalOriginConnectSuccess);
  s.outlier!.putResult(OutlierResult.LocalOriginConnectFailed);
  s.outlier!.putResult(OutlierResult.LocalOriginTimeout, 504);
  assert.equal(s.outlier!.consecutive5xx, 0);
  assert.equal(ejected(s), false);
  s.outlier!.putResult(OutlierResult.LocalOriginConnectFailed);
  assert.equal(ejected(s), true);
  assert.equal(split.stats.ejections_enforced_consecutive_local_origin_failure, 1);
  assert.equal(split.stats.ejections_enforced_consecutive_5xx, 0);
  split.detector.close();
});

test("a removed ejected host leaves ejections_active; a passing active health check ends an ejection", () => {
  const { detector, hosts, stats } = setup({ consecutive_5xx: { value: 1 }, max_ejection_percent: { value: 100 } });
  hosts[0].outlier!.putHttpResponseCode(500);
  hosts[1].outlier!.putHttpResponseCode(500);
  assert.equal(stats.ejections_active, 2);
  detector.setHosts([hosts[1], hosts[2]]);
  assert.equal(stats.ejections_active, 1);
  assert.equal(hosts[0].outlier, null);
  detector.healthCheckPassed(hosts[1]);
  assert.equal(ejected(hosts[1]), false);
  assert.equal(stats.ejections_active, 0);
  detector.close();
});

test("config: Envoy's defaults, a present wrapper without value is 0, bad values are rejected", () => {
  const d = parseOutlierConfig("c", { name: "c", outlier_detection: {} })!;
  assert.deepEqual(
    [d.intervalMs, d.baseEjectionTimeMs, d.maxEjectionTimeMs, d.maxEjectionPercent, d.consecutive5xx, d.consecutiveGatewayFailure,
      d.enforcingConsecutive5xx, d.enforcingConsecutiveGatewayFailure, d.enforcingConsecutiveLocalOriginFailure, d.splitExternalLocalOriginErrors],
    [10_000, 30_000, 300_000, 10, 5, 5, 100, 0, 100, false],
  );
  assert.equal(parseOutlierConfig("c", { name: "c" }), undefined);
  assert.equal(config({ enforcing_consecutive_5xx: {} }).enforcingConsecutive5xx, 0);
  assert.equal(config({ base_ejection_time: { seconds: 600 } }).maxEjectionTimeMs, 600_000);
  assert.throws(() => config({ max_ejection_percent: { value: 101 } }), /max_ejection_percent must be at most 100/);
  assert.throws(() => config({ base_ejection_time: { seconds: -1 } }), /base_ejection_time is not a valid duration/);
  assert.throws(() => config({ base_ejection_time: { seconds: 10 }, max_ejection_time: { seconds: 5 } }), /max_ejection_time cannot be smaller/);
  assert.throws(() => config({ interval: { seconds: 0 } }), /interval must be greater than 0/);
});

test("success rate: with 5 hosts of 100 requests each, the one at 50% (below mean 90 − 1.9 × stdev 20) is ejected at the tick", () => {
  const { detector, hosts, stats } = setup({ consecutive_5xx: { value: 0 }, max_ejection_percent: { value: 100 } }, 5);
  hosts.forEach((h, i) => { for (let r = 0; r < 100; r++) h.outlier!.putHttpResponseCode(i === 4 && r % 2 === 0 ? 500 : 200); });
  assert.deepEqual(hosts.map(ejected), [false, false, false, false, false], "nothing happens before the tick");
  detector.sweep();
  assert.deepEqual(hosts.map(ejected), [false, false, false, false, true]);
  assert.equal(stats.ejections_detected_success_rate, 1);
  assert.equal(stats.ejections_enforced_success_rate, 1);
  detector.close();
});

test("failure percentage: detected at ≥ failure_percentage_threshold, enforced only with enforcing_failure_percentage; Istio's enforcing_success_rate 0 ejects nothing", () => {
  const run = (od: Record<string, unknown>) => {
    const s = setup({ consecutive_5xx: { value: 0 }, max_ejection_percent: { value: 100 }, ...od }, 5);
    s.hosts.forEach((h, i) => { for (let r = 0; r < 60; r++) h.outlier!.putHttpResponseCode(i === 0 && r % 10 !== 0 ? 503 : 200); });
    s.detector.sweep();
    s.detector.close();
    return s;
  };
  const off = run({ enforcing_success_rate: { value: 0 } });
  assert.equal(off.stats.ejections_detected_failure_percentage, 1);
  assert.equal(off.stats.ejections_enforced_total, 0);
  const on = run({ enforcing_success_rate: { value: 0 }, enforcing_failure_percentage: { value: 100 } });
  assert.equal(on.stats.ejections_enforced_failure_percentage, 1);
});
