// Unit tests for the route appliers whose Istio rules have several fallbacks (mirror percentages, redirect ports).

import { test } from "node:test";
import assert from "node:assert/strict";
import { mirrorFraction, mirrorPolicyFraction, redirectAction } from "./route-actions.js";

const HUNDRED = (n: number) => ({ numerator: n, denominator: "HUNDRED" });

test("mirror percentage: mirrorPercentage (per million, 0 = off), else deprecated mirrorPercent (0 = off), else 100%", () => {
  const mirror = { host: "web" };
  assert.deepEqual(mirrorFraction({ mirror, mirrorPercentage: { value: 12.5 } }), { numerator: 125000, denominator: "MILLION" });
  assert.equal(mirrorFraction({ mirror, mirrorPercentage: { value: 0 } }), undefined);
  assert.equal(mirrorFraction({ mirror, mirrorPercentage: {} }), undefined);
  assert.deepEqual(mirrorFraction({ mirror, mirrorPercent: 30 }), HUNDRED(30));
  assert.equal(mirrorFraction({ mirror, mirrorPercent: 0 }), undefined);
  assert.deepEqual(mirrorFraction({ mirror, mirrorPercentage: { value: 50 }, mirrorPercent: 0 }), { numerator: 500000, denominator: "MILLION" });
  assert.deepEqual(mirrorFraction({ mirror }), HUNDRED(100));
  assert.deepEqual(mirrorPolicyFraction({}), HUNDRED(100));
  assert.equal(mirrorPolicyFraction({ percentage: { value: 0 } }), undefined);
});

test("redirect port: explicit port or FROM_REQUEST_PORT (the listener port), dropped when it is the scheme's default", () => {
  assert.deepEqual(redirectAction({ uri: "/x", port: 8080 }, 9080), { path_redirect: "/x", port_redirect: 8080, response_code: "MOVED_PERMANENTLY" });
  assert.deepEqual(redirectAction({ derivePort: "FROM_REQUEST_PORT", redirectCode: 307 }, 9080), { port_redirect: 9080, response_code: "TEMPORARY_REDIRECT" });
  assert.deepEqual(redirectAction({ derivePort: "FROM_REQUEST_PORT" }, 80), { response_code: "MOVED_PERMANENTLY" });
  assert.deepEqual(redirectAction({ scheme: "https", port: 443 }, 80), { scheme_redirect: "https", response_code: "MOVED_PERMANENTLY" });
  assert.deepEqual(redirectAction({ derivePort: "FROM_PROTOCOL_DEFAULT" }, 9080), { response_code: "MOVED_PERMANENTLY" });
  assert.equal(redirectAction({ uri: "/x", redirectCode: 305 }, 9080), undefined);
});
