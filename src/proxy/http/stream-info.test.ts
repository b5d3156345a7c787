// Tests of response-flag bookkeeping and its access-log rendering.

import { test } from "node:test";
import assert from "node:assert/strict";
import { ResponseFlag, StreamInfo, responseFlagsToString } from "./stream-info.js";

test("flags accumulate and render like Envoy's %RESPONSE_FLAGS%", () => {
  const info = new StreamInfo();
  assert.equal(responseFlagsToString(info.responseFlags), "-");
  info.setResponseFlag(ResponseFlag.UpstreamConnectionFailure);
  info.setResponseFlag(ResponseFlag.NoHealthyUpstream);
  assert.equal(info.hasResponseFlag(ResponseFlag.NoRouteFound), false);
  assert.equal(info.hasResponseFlag(ResponseFlag.UpstreamConnectionFailure), true);
  assert.equal(responseFlagsToString(info.responseFlags), "UH,UF");
});
