// Tests for percentile (nearest rank), used by every benchmark row.

import { test } from "node:test";
import assert from "node:assert/strict";
import { percentile } from "./row.js";

test("percentile by nearest rank: p50/p99/p100 of 1..100 are 50/99/100, unsorted input is fine, none gives undefined", () => {
  const values = Array.from({ length: 100 }, (_, i) => 100 - i);
  assert.equal(percentile(values, 50), 50);
  assert.equal(percentile(values, 99), 99);
  assert.equal(percentile(values, 100), 100);
  assert.equal(percentile([7], 0), 7);
  assert.equal(percentile([], 50), undefined);
  assert.equal(values[0], 100, "input not sorted in place");
});
