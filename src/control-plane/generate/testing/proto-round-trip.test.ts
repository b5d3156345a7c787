// The round-trip check itself: it must fail on a field the message type does not have.

import { test } from "node:test";
import assert from "node:assert/strict";
import { CLUSTER_TYPE } from "../../../xds/type-urls.js";
import { assertRoundTrip } from "./proto-round-trip.js";

test("assertRoundTrip rejects a misspelt field and accepts a correct one", () => {
  assert.throws(() => assertRoundTrip(CLUSTER_TYPE, { name: "c", lb_polcy: "ROUND_ROBIN" }), /lost fields/);
  assertRoundTrip(CLUSTER_TYPE, { name: "c", lb_policy: "ROUND_ROBIN", connect_timeout: { seconds: 10 } });
});
