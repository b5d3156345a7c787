// Tests of the round-robin picker.

import { test } from "node:test";
import assert from "node:assert/strict";
import { RoundRobinPicker } from "./round-robin-picker.js";

test("cycles through every host evenly from a random start", () => {
  const p = new RoundRobinPicker(["a", "b", "c"]);
  const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
  const seq: string[] = [];
  for (let i = 0; i < 30; i++) { const h = p.pick()!; counts[h]++; seq.push(h); }
  assert.deepEqual(counts, { a: 10, b: 10, c: 10 });
  for (let i = 3; i < 30; i++) assert.equal(seq[i], seq[i - 3]);
});

test("an empty picker returns undefined", () => {
  assert.equal(new RoundRobinPicker<string>([]).pick(), undefined);
});
