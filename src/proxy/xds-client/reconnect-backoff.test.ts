// Tests for ReconnectBackoff: full-jitter exponential delays with a ceiling and reset.

import { test } from "node:test";
import assert from "node:assert/strict";
import { ReconnectBackoff } from "./reconnect-backoff.js";

test("ceilings double from initialMs up to maxMs, and reset starts over", () => {
  const backoff = new ReconnectBackoff({ initialMs: 100, maxMs: 1000 }, () => 0.999999);
  assert.deepEqual([1, 2, 3, 4, 5, 6].map(() => backoff.next()), [99, 199, 399, 799, 999, 999]);
  backoff.reset();
  assert.equal(backoff.next(), 99);
});

test("delays are drawn from the whole range below the ceiling (full jitter)", () => {
  const backoff = new ReconnectBackoff({ initialMs: 100, maxMs: 1000 }, () => 0);
  assert.equal(backoff.next(), 0);
  const real = new ReconnectBackoff({ initialMs: 1000, maxMs: 1000 });
  const delays = Array.from({ length: 200 }, () => real.next());
  assert.ok(delays.every((d) => d >= 0 && d < 1000));
  assert.ok(Math.min(...delays) < 250 && Math.max(...delays) > 750, "spread over the range");
});
