// Tests for the Prometheus text rendering of counters, gauges and histograms.

import { test } from "node:test";
import assert from "node:assert/strict";
import { MetricsRegistry } from "./metrics-registry.js";

test("renders HELP, TYPE and samples with escaped labels and cumulative buckets", () => {
  const r = new MetricsRegistry();
  const c = r.counter("pilot_xds_pushes", "Pushes.", ["type"]);
  c.labels("lds").inc();
  c.labels("lds").inc(2);
  c.labels('we"ird\\').inc();
  r.collectedGauge("pilot_xds", "Connected.", () => 3);
  const h = r.histogram("lat", "Latency\nseconds.", [0.1, 1]);
  h.observe(0.05);
  h.observe(0.5);
  h.observe(5);
  assert.equal(
    r.render(),
    [
      "# HELP pilot_xds_pushes Pushes.",
      "# TYPE pilot_xds_pushes counter",
      'pilot_xds_pushes{type="lds"} 3',
      'pilot_xds_pushes{type="we\\"ird\\\\"} 1',
      "# HELP pilot_xds Connected.",
      "# TYPE pilot_xds gauge",
      "pilot_xds 3",
      "# HELP lat Latency\\nseconds.",
      "# TYPE lat histogram",
      'lat_bucket{le="0.1"} 1',
      'lat_bucket{le="1"} 2',
      'lat_bucket{le="+Inf"} 3',
      "lat_sum 5.55",
      "lat_count 3",
      "",
    ].join("\n"),
  );
});

test("a metric name can be declared once and label arity is checked", () => {
  const r = new MetricsRegistry();
  const c = r.counter("x", "X.", ["type"]);
  assert.throws(() => r.gauge("x", "again"));
  assert.throws(() => c.labels("a", "b"));
});
