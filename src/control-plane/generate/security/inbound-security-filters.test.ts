// Selection of RequestAuthentication/AuthorizationPolicy by namespace, selector and root namespace; the inbound HCM filter list; push impact.

import { test } from "node:test";
import assert from "node:assert/strict";
import { LISTENER_TYPE, shortTypeName } from "../../../xds/type-urls.js";
import { parseProxy } from "../../model/proxy.js";
import { PushContext } from "../../model/push-context.js";
import { PushRequestBuilder } from "../../model/push-request.js";
import { TestSnapshot, type ResourceDoc } from "../../model/test-snapshot.js";
import { workloadFromProxy } from "../../model/workload-instance.js";
import { generate } from "../generator.js";
import { PushImpact } from "../push-impact.js";
import { assertRoundTrip } from "../testing/proto-round-trip.js";
import { bookinfoPush, DOMAIN, docs as bookinfo, node, otherNsClient, productpage, reviewsV1, reviewsV2 } from "../testing/bookinfo-fixture.js";
import { inboundSecurityFilters } from "./inbound-security-filters.js";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const JWKS = JSON.stringify({ keys: [{ kty: "oct", kid: "k", k: "c2VjcmV0" }] });

function authz(name: string, namespace: string, spec: Obj): ResourceDoc {
  return { apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", metadata: { name, namespace }, spec } as ResourceDoc;
}
function reqAuthn(name: string, namespace: string, spec: Obj): ResourceDoc {
  return { apiVersion: "security.istio.io/v1", kind: "RequestAuthentication", metadata: { name, namespace }, spec } as ResourceDoc;
}

/** The names of the security filters each proxy gets, with the first RBAC policy name of each RBAC filter. */
function summary(push: PushContext, proxy = productpage): string[] {
  return inboundSecurityFilters(proxy, push).map((f) => {
    const tc = f.typed_config as Obj;
    if (f.name === "envoy.filters.http.jwt_authn") return `jwt:${Object.values(tc.providers as Obj).map((p: Obj) => p.issuer).join(",")}`;
    return `rbac:${tc.rules.action}:${Object.keys(tc.rules.policies).join(",")}`;
  });
}

test("no policy → no security filter at all, and the inbound listeners are exactly what they were", () => {
  const push = bookinfoPush();
  assert.deepEqual(inboundSecurityFilters(productpage, push), []);
  const other = bookinfoPush([authz("only-reviews", "default", { selector: { matchLabels: { app: "reviews" } }, rules: [{}] })]);
  assert.deepEqual(inboundSecurityFilters(productpage, other), []);
  const names = (p: PushContext): unknown[] =>
    generate(LISTENER_TYPE, productpage, p).filter((r) => r.name.startsWith("127.")).map((r) => (r.resource.filter_chains as Obj[])[0]!.filters[0].typed_config.http_filters.map((h: Obj) => h.name));
  assert.deepEqual(names(other), names(push));
  assert.deepEqual(names(push), [["envoy.filters.http.fault", "envoy.filters.http.cors", "envoy.filters.http.router"]]);
});

test("selection: workload selector, namespace-wide, root namespace (istio-system) mesh-wide, root namespace with selector; targetRef never", () => {
  const push = bookinfoPush([
    authz("ns-wide", "default", { action: "DENY", rules: [{ to: [{ operation: { paths: ["/admin"] } }] }] }),
    authz("pp-only", "default", { selector: { matchLabels: { app: "productpage" } }, rules: [{}] }),
    authz("reviews-only", "default", { selector: { matchLabels: { app: "reviews" } }, rules: [{}] }),
    authz("mesh", "istio-system", { action: "AUDIT", rules: [{}] }),
    authz("mesh-reviews", "istio-system", { selector: { matchLabels: { app: "reviews" } }, action: "DENY", rules: [{}] }),
    authz("other-ns", "other", { rules: [{}] }),
    authz("gateway-bound", "default", { targetRefs: [{ kind: "Gateway", group: "gateway.networking.k8s.io", name: "gw" }], action: "DENY", rules: [{}] }),
    reqAuthn("jwt-pp", "default", { selector: { matchLabels: { app: "productpage" } }, jwtRules: [{ issuer: "pp-issuer", jwks: JWKS }] }),
    reqAuthn("jwt-mesh", "istio-system", { jwtRules: [{ issuer: "mesh-issuer", jwks: JWKS }] }),
  ]);
  assert.deepEqual(summary(push, productpage), [
    "jwt:mesh-issuer,pp-issuer",
    "rbac:LOG:ns[istio-system]-policy[mesh]-rule[0]",
    "rbac:DENY:ns[default]-policy[ns-wide]-rule[0]",
    "rbac:ALLOW:ns[default]-policy[pp-only]-rule[0]",
  ]);
  assert.deepEqual(summary(push, reviewsV1), [
    "jwt:mesh-issuer",
    "rbac:LOG:ns[istio-system]-policy[mesh]-rule[0]",
    "rbac:DENY:ns[istio-system]-policy[mesh-reviews]-rule[0],ns[default]-policy[ns-wide]-rule[0]",
    "rbac:ALLOW:ns[default]-policy[reviews-only]-rule[0]",
  ]);
  const otherWorkload = parseProxy(node({ ip: "127.0.13.5", workload: "x", namespace: "other", labels: { app: "x" } }), "");
  assert.deepEqual(summary(push, otherWorkload), ["jwt:mesh-issuer", "rbac:LOG:ns[istio-system]-policy[mesh]-rule[0]", "rbac:ALLOW:ns[other]-policy[other-ns]-rule[0]"]);
  // Same namespace and labels → the very same (memoised) list.
  assert.equal(inboundSecurityFilters(reviewsV1, push), inboundSecurityFilters({ ...reviewsV1, id: "another-replica", ip: "127.0.13.9" }, push));
});

test("inbound HCM http_filters: jwt_authn, RBAC DENY, RBAC ALLOW, then fault, cors, router; the listener round-trips through the real protos", () => {
  const push = bookinfoPush([
    authz("deny-admin", "default", { action: "DENY", rules: [{ to: [{ operation: { paths: ["/admin*"] } }] }] }),
    authz("allow-jwt", "default", { selector: { matchLabels: { app: "productpage" } }, rules: [{ from: [{ source: { requestPrincipals: ["pp-issuer/*"] } }] }] }),
    reqAuthn("jwt-pp", "default", { selector: { matchLabels: { app: "productpage" } }, jwtRules: [{ issuer: "pp-issuer", jwks: JWKS }] }),
  ]);
  const inbound = generate(LISTENER_TYPE, productpage, push).filter((r) => r.name.startsWith("127."));
  assert.equal(inbound.length, 1);
  const l = assertRoundTrip(LISTENER_TYPE, inbound[0]!.resource) as Obj;
  const filters = l.filter_chains[0].filters[0].typed_config.http_filters as Obj[];
  assert.deepEqual(filters.map((f) => f.name), [
    "envoy.filters.http.jwt_authn", "envoy.filters.http.rbac", "envoy.filters.http.rbac", "envoy.filters.http.fault", "envoy.filters.http.cors", "envoy.filters.http.router",
  ]);
  assert.deepEqual(filters.map((f) => f.typed_config["@type"]).slice(0, 3), [
    "type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication",
    "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC",
    "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC",
  ]);
  assert.deepEqual(filters[1]!.typed_config.rules.action, "DENY");
  assert.deepEqual(filters[2]!.typed_config.rules.action, "ALLOW");
  // Outbound listeners never carry them.
  for (const r of generate(LISTENER_TYPE, productpage, push).filter((x) => x.name.startsWith("0.0.0.0_"))) {
    for (const c of r.resource.filter_chains as Obj[]) {
      const hf = c.filters[0].typed_config.http_filters as Obj[] | undefined;
      if (hf) assert.ok(hf.every((f) => f.name !== "envoy.filters.http.rbac" && f.name !== "envoy.filters.http.jwt_authn"));
    }
  }
});

test("push impact: a policy change regenerates LDS of the proxies it selects (old or new version) and nothing else", () => {
  const registered = [productpage, reviewsV1, reviewsV2].map(workloadFromProxy).filter((w) => w !== undefined);
  const proxies = { productpage, reviewsV1, otherNsClient };
  const run = (before: ResourceDoc[], after: ResourceDoc[], kind: string, namespace: string, name: string): Record<string, string> => {
    const prev = PushContext.build(new TestSnapshot([...bookinfo, ...before], 1), registered, { domain: DOMAIN });
    const next = PushContext.build(new TestSnapshot([...bookinfo, ...after], 2), registered, { domain: DOMAIN }, prev, new Set([kind]));
    const request = new PushRequestBuilder();
    request.addConfigs([{ kind, namespace, name }]);
    const impact = new PushImpact(request.take(), prev, next);
    return Object.fromEntries(Object.entries(proxies).map(([n, p]) => [n, [...impact.typesFor(p, prev.sidecarScope(p), next.sidecarScope(p))].map(shortTypeName).join(",")]));
  };
  const pp = authz("a", "default", { selector: { matchLabels: { app: "productpage" } }, rules: [{}] });
  const reviews = authz("a", "default", { selector: { matchLabels: { app: "reviews" } }, rules: [{}] });
  assert.deepEqual(run([], [pp], "AuthorizationPolicy", "default", "a"), { productpage: "lds", reviewsV1: "", otherNsClient: "" });
  assert.deepEqual(run([pp], [reviews], "AuthorizationPolicy", "default", "a"), { productpage: "lds", reviewsV1: "lds", otherNsClient: "" });
  const mesh = reqAuthn("r", "istio-system", { jwtRules: [{ issuer: "i", jwks: JWKS }] });
  assert.deepEqual(run([], [mesh], "RequestAuthentication", "istio-system", "r"), { productpage: "lds", reviewsV1: "lds", otherNsClient: "lds" });
});

test("a policy change keeps memoised non-security results and rebuilds the security filters", () => {
  const registered = [productpage].map(workloadFromProxy).filter((w) => w !== undefined);
  const prev = PushContext.build(new TestSnapshot([...bookinfo, authz("a", "default", { rules: [{}] })], 1), registered, { domain: DOMAIN });
  generate(LISTENER_TYPE, productpage, prev);
  const before = summary(prev);
  const next = PushContext.build(new TestSnapshot([...bookinfo, authz("a", "default", { action: "DENY", rules: [{}] })], 2), registered, { domain: DOMAIN }, prev, new Set(["AuthorizationPolicy"]));
  assert.deepEqual(before, ["rbac:ALLOW:ns[default]-policy[a]-rule[0]"]);
  assert.deepEqual(summary(next), ["rbac:DENY:ns[default]-policy[a]-rule[0]"]);
  assert.equal(next.memo("svc|default", () => "rebuilt"), prev.memo("svc|default", () => "rebuilt-prev"));
});
