// Tests for VersionTally's counting and its one-line format.

import { test } from "node:test";
import assert from "node:assert/strict";
import { VersionTally } from "./version-tally.js";

test("format prints v1/v2/v3 shares of all requests with the request and error counts", () => {
  const t = new VersionTally();
  for (let i = 0; i < 9; i++) t.recordVersion("v1");
  t.recordError("productpage answered 503");
  assert.equal(t.format("reviews", 9), "reviews    v1  90.0%  v2   0.0%  v3   0.0%   (10 req, 1 error)");
  assert.equal(t.lastError, "productpage answered 503");
});

test("an unexpected version gets its own column after v1..v3; an empty tally shows 0.0% everywhere", () => {
  const t = new VersionTally();
  t.recordVersion("v4");
  assert.equal(t.format("x"), "x  v1   0.0%  v2   0.0%  v3   0.0%  v4 100.0%   (1 req, 0 errors)");
  assert.equal(new VersionTally().share("v1"), 0);
});
