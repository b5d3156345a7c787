import { test } from "node:test";
import assert from "node:assert/strict";
import { compileMirrorPolicies, shadowHost } from "./shadow-request.js";

test("the shadow authority gets -shadow before the port, like Envoy", () => {
  assert.equal(shadowHost("reviews"), "reviews-shadow");
  assert.equal(shadowHost("reviews.default.svc.cluster.local:9080"), "reviews.default.svc.cluster.local-shadow:9080");
  assert.equal(shadowHost("[::1]:80"), "[::1]-shadow:80");
  assert.equal(shadowHost("[::1]"), "[::1]-shadow");
});

test("mirror policies: cluster, runtime_fraction default_value (100% when unset), host suffix switch", () => {
  const m = compileMirrorPolicies("r", { request_mirror_policies: [
    { cluster: "a" },
    { cluster: "b", runtime_fraction: { default_value: { numerator: 25, denominator: "TEN_THOUSAND" } }, disable_shadow_host_suffix_append: true },
  ] });
  assert.deepEqual(m[0], { cluster: "a", fraction: { numerator: 100, denominator: 100 }, keepHost: false });
  assert.deepEqual(m[1], { cluster: "b", fraction: { numerator: 25, denominator: 10_000 }, keepHost: true });
  assert.throws(() => compileMirrorPolicies("r", { request_mirror_policies: [{ cluster_header: "x" }] }), /needs a cluster/);
});
