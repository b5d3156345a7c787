// VirtualService fault → HTTPFault per-route config (Istio TranslateFault).

import { test } from "node:test";
import assert from "node:assert/strict";
import { FAULT_TYPE } from "../../../xds/type-urls.js";
import { FAULT_FILTER_NAME, faultFilter, httpFault } from "./fault.js";
import { routeRoundTrip } from "./testing-envelopes.js";

test("delay fixedDelay + percentage and abort grpcStatus travel as typed_per_filter_config (parts per million)", () => {
  const f = httpFault({ delay: { fixedDelay: "300ms", percentage: { value: 50 } }, abort: { grpcStatus: "UNAVAILABLE", percentage: { value: 0.1 } } });
  const r = routeRoundTrip({}, { typed_per_filter_config: { [FAULT_FILTER_NAME]: f } });
  assert.deepEqual(r.typed_per_filter_config[FAULT_FILTER_NAME], {
    "@type": FAULT_TYPE,
    delay: { fixed_delay: { seconds: 0, nanos: 300000000 }, percentage: { numerator: 500000, denominator: "MILLION" } },
    abort: { grpc_status: 14, percentage: { numerator: 1000, denominator: "MILLION" } },
  });
});

test("httpStatus abort; deprecated integer percent; missing percentages are explicit 0%", () => {
  const f = httpFault({ delay: { fixedDelay: "1s", percent: 30 }, abort: { httpStatus: 503 } })!;
  assert.deepEqual(f.delay, { fixed_delay: { seconds: 1 }, percentage: { numerator: 30, denominator: "HUNDRED" } });
  assert.deepEqual(f.abort, { http_status: 503, percentage: { numerator: 0, denominator: "HUNDRED" } });
  routeRoundTrip({}, { typed_per_filter_config: { [FAULT_FILTER_NAME]: f } });
});

test("nothing usable (exponential delay, unknown gRPC status) gives no fault; the filter itself is empty", () => {
  assert.equal(httpFault({ delay: { exponentialDelay: "1s" }, abort: { grpcStatus: "NOPE" } }), undefined);
  assert.deepEqual(faultFilter(), { name: FAULT_FILTER_NAME, typed_config: { "@type": FAULT_TYPE } });
});
