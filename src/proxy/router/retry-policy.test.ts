import { test } from "node:test";
import assert from "node:assert/strict";
import { compileRetryPolicy, ResetReason, retriableReset, retriableResponse, retryBackOffMs } from "./retry-policy.js";

test("Istio's default policy retries 503 (status code list) and gRPC unavailable/cancelled, not 500 or a reset", () => {
  const p = compileRetryPolicy("r", { retry_on: "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes", num_retries: { value: 2 }, retriable_status_codes: [503] });
  assert.equal(p.numRetries, 2);
  assert.ok(retriableResponse(p, 503, []));
  assert.ok(!retriableResponse(p, 500, []));
  assert.ok(retriableResponse(p, 200, ["content-type", "application/grpc", "grpc-status", "14"]));
  assert.ok(retriableResponse(p, 200, ["grpc-status", "1"]));
  assert.ok(!retriableResponse(p, 200, ["grpc-status", "13"]));
  assert.ok(retriableReset(p, ResetReason.ConnectFailure));
  assert.ok(!retriableReset(p, ResetReason.Reset));
  assert.ok(!retriableReset(p, ResetReason.PerTryTimeout));
});

test("5xx retries every 5xx and resets; gateway-error only 502/503/504; retriable-4xx is 409; x-envoy-overloaded never retries", () => {
  const fivexx = compileRetryPolicy("r", { retry_on: "5xx" });
  assert.equal(fivexx.numRetries, 1, "num_retries defaults to 1");
  assert.ok(retriableResponse(fivexx, 500, []) && retriableResponse(fivexx, 599, []));
  assert.ok(!retriableResponse(fivexx, 503, ["x-envoy-overloaded", "true"]));
  assert.ok(retriableReset(fivexx, ResetReason.Reset) && retriableReset(fivexx, ResetReason.PerTryTimeout));
  const gw = compileRetryPolicy("r", { retry_on: "gateway-error,retriable-4xx" });
  assert.ok(!retriableResponse(gw, 500, []));
  for (const s of [502, 503, 504, 409]) assert.ok(retriableResponse(gw, s, []), String(s));
  assert.ok(!retriableResponse(gw, 404, []));
  const reset = compileRetryPolicy("r", { retry_on: "reset" });
  assert.ok(!retriableResponse(reset, 503, []));
  assert.ok(retriableReset(reset, ResetReason.ConnectFailure));
});

test("an unknown retry_on condition rejects the route", () => {
  assert.throws(() => compileRetryPolicy("r", { retry_on: "5xx,sometimes" }), /unknown retry_on condition sometimes/);
});

test("back-off is full jitter below base·2ⁿ, capped at max (25 ms / 250 ms defaults)", () => {
  const p = compileRetryPolicy("r", { retry_on: "5xx" });
  assert.equal(p.baseIntervalMs, 25);
  assert.equal(p.maxIntervalMs, 250);
  const top = () => 0.999999;
  assert.equal(retryBackOffMs(p, 0, top), 24);
  assert.equal(retryBackOffMs(p, 1, top), 49);
  assert.equal(retryBackOffMs(p, 2, top), 99);
  assert.equal(retryBackOffMs(p, 3, top), 199);
  assert.equal(retryBackOffMs(p, 4, top), 249);
  assert.equal(retryBackOffMs(p, 10, top), 249);
  assert.equal(retryBackOffMs(p, 3, () => 0), 0);
  const custom = compileRetryPolicy("r", { retry_on: "5xx", retry_back_off: { base_interval: { nanos: 100_000_000 } } });
  assert.equal(custom.maxIntervalMs, 1000);
});

test("per_try_timeout and previous_hosts predicate are read", () => {
  const p = compileRetryPolicy("r", {
    retry_on: "5xx", per_try_timeout: { seconds: 1, nanos: 500_000_000 },
    retry_host_predicate: [{ name: "envoy.retry_host_predicates.previous_hosts" }], host_selection_retry_max_attempts: 5,
  });
  assert.equal(p.perTryTimeoutMs, 1500);
  assert.ok(p.avoidPreviousHosts);
  assert.equal(p.hostSelectionMaxAttempts, 5);
});
