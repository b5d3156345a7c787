import { test } from "node:test";
import assert from "node:assert/strict";
import { fractionalPercent, NEVER, rollFractionalPercent } from "./fractional-percent.js";

test("a FractionalPercent rolls in when the draw falls below numerator/denominator", () => {
  const p = fractionalPercent("r", { numerator: 250_000, denominator: "MILLION" }, NEVER);
  assert.ok(rollFractionalPercent(p, () => 0.2499));
  assert.ok(!rollFractionalPercent(p, () => 0.25));
  assert.ok(!rollFractionalPercent(fractionalPercent("r", { numerator: 0 }, NEVER), () => 0));
  assert.ok(rollFractionalPercent(fractionalPercent("r", { numerator: 100 }, NEVER), () => 0.9999));
  assert.deepEqual(fractionalPercent("r", undefined, NEVER), NEVER);
  assert.throws(() => fractionalPercent("r", { numerator: 1, denominator: "THOUSAND" }, NEVER), /denominator/);
});
