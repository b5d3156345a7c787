// Tests for requestId: UUID v4 shape and uniqueness across pool refills.

import { test } from "node:test";
import assert from "node:assert/strict";
import { requestId } from "./request-id.js";

test("request ids are lowercase version-4 UUIDs with the RFC 9562 variant", () => {
  for (let i = 0; i < 1000; i++) assert.match(requestId(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test("2000 request ids (several pool refills) are all distinct", () => {
  const ids = new Set<string>();
  for (let i = 0; i < 2000; i++) ids.add(requestId());
  assert.equal(ids.size, 2000);
});
