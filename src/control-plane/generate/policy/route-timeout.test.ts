// VirtualService timeout → route timeout and the field each client reads (Istio setTimeout).

import { test } from "node:test";
import assert from "node:assert/strict";
import { routeTimeoutFields } from "./route-timeout.js";
import { routeRoundTrip } from "./testing-envelopes.js";

test("proxyless gRPC gets max_stream_duration, Envoy max_grpc_timeout; unset is 0 (no timeout)", () => {
  assert.deepEqual(routeRoundTrip(routeTimeoutFields("250ms", true)).route.max_stream_duration, { max_stream_duration: { seconds: 0, nanos: 250000000 } });
  const envoy = routeRoundTrip(routeTimeoutFields("2s", false)).route;
  assert.deepEqual([envoy.timeout, envoy.max_grpc_timeout], [{ seconds: 2 }, { seconds: 2 }]);
  assert.deepEqual(routeTimeoutFields(undefined, true), { timeout: { seconds: 0 }, max_stream_duration: { max_stream_duration: { seconds: 0 } } });
});
