// VirtualService retries → retry_policy (Istio retry.ConvertPolicy).

import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_RETRY_ON, retryPolicy } from "./retry-policy.js";
import { routeRoundTrip } from "./testing-envelopes.js";

test("no retries section gives Istio's default: 2 retries on connect-failure…retriable-status-codes with 503", () => {
  assert.deepEqual(routeRoundTrip({ retry_policy: retryPolicy(undefined) }).route.retry_policy, {
    retry_on: DEFAULT_RETRY_ON,
    num_retries: { value: 2 },
    retriable_status_codes: [503],
  });
});

test("attempts 0 turns retries off", () => {
  assert.equal(retryPolicy({ attempts: 0, retryOn: "unavailable" }), undefined);
});

test("attempts, gRPC retryOn names, HTTP codes, perTryTimeout and backoff", () => {
  const rp = routeRoundTrip({ retry_policy: retryPolicy({ attempts: 3, retryOn: "unavailable, cancelled,503", perTryTimeout: "200ms", backoff: "10ms" }) }).route.retry_policy;
  assert.deepEqual(rp, {
    retry_on: "unavailable,cancelled,retriable-status-codes",
    num_retries: { value: 3 },
    retriable_status_codes: [503],
    per_try_timeout: { seconds: 0, nanos: 200000000 },
    retry_back_off: { base_interval: { seconds: 0, nanos: 10000000 } },
  });
  assert.deepEqual(retryPolicy({ attempts: 1, retryOn: "deadline-exceeded" })!.retriable_status_codes, [], "an explicit retryOn drops the default 503");
});
