// AuthorizationPolicy → RBAC filters: Istio's builder golden files reproduced exactly, Istio's edge cases, proto round trips.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { ConfigResource } from "../../config/config-resource.js";
import type { AuthorizationPolicySpec, WorkloadAuthorizationPolicies } from "../../model/security-policies.js";
import { assertRoundTrip } from "../testing/proto-round-trip.js";
import { generateRbacPolicy } from "./rbac-policy-model.js";
import { rbacFilters } from "./rbac-filters.js";
import { RBAC_TYPE } from "./security-filter-names.js";
import { goldenFilter, goldenResources } from "./testing/golden.js";
import {
  ALLOW_EMPTY_RULE_IN, ALLOW_EMPTY_RULE_OUT, DRY_RUN_ALLOW_AND_DENY_IN, DRY_RUN_ALLOW_AND_DENY_OUT1, SINGLE_POLICY_IN, SINGLE_POLICY_OUT,
} from "./testing/istio-golden.js";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Policy = ConfigResource<AuthorizationPolicySpec>;

/** Splits policies by action as the model does (the golden inputs all select the workload). */
function byAction(policies: readonly Policy[]): WorkloadAuthorizationPolicies {
  const out: WorkloadAuthorizationPolicies = { custom: [], deny: [], allow: [], audit: [] };
  for (const p of policies) {
    const a = p.spec.action ?? "ALLOW";
    (a === "CUSTOM" ? out.custom : a === "DENY" ? out.deny : a === "AUDIT" ? out.audit : out.allow).push(p);
  }
  return out;
}

/** The filters for `yamlText`, each proved to encode as the real RBAC proto and decode unchanged. */
function filtersFor(yamlText: string): Obj[] {
  const filters = rbacFilters(byAction(goldenResources<AuthorizationPolicySpec>(yamlText)));
  for (const f of filters) {
    const { "@type": type, ...config } = f.typed_config as Obj;
    assert.equal(type, RBAC_TYPE);
    assertRoundTrip(RBAC_TYPE, config);
  }
  return filters;
}

/** protojson omits enum defaults (action ALLOW): the golden files do too. */
function withoutDefaultAction(f: Obj): Obj {
  const c = structuredClone(f);
  for (const k of ["rules", "shadow_rules"]) if (c.typed_config[k]?.action === "ALLOW") delete c.typed_config[k].action;
  return c;
}

const policy = (name: string, spec: AuthorizationPolicySpec, namespace = "foo", annotations: Record<string, string> = {}): Policy =>
  ({ apiVersion: "security.istio.io/v1", group: "security.istio.io", version: "v1", kind: "AuthorizationPolicy", metadata: { name, namespace, labels: {}, annotations }, spec, source: { file: "t.yaml", line: 1 } }) as Policy;

test("golden single-policy: every source/operation/when field of two rules, in Istio's order and shapes", () => {
  const filters = filtersFor(SINGLE_POLICY_IN);
  assert.equal(filters.length, 1);
  assert.deepStrictEqual(withoutDefaultAction(filters[0]!), goldenFilter(SINGLE_POLICY_OUT));
});

test("golden allow-empty-rule: an empty rule matches everything", () => {
  const filters = filtersFor(ALLOW_EMPTY_RULE_IN);
  assert.deepStrictEqual(filters.map(withoutDefaultAction), [goldenFilter(ALLOW_EMPTY_RULE_OUT)]);
});

test("golden dry-run-allow-and-deny: dry-run policies become shadow rules with Istio's stat prefixes, DENY before ALLOW", () => {
  const filters = filtersFor(DRY_RUN_ALLOW_AND_DENY_IN);
  assert.equal(filters.length, 2);
  assert.deepStrictEqual(filters[0], goldenFilter(DRY_RUN_ALLOW_AND_DENY_OUT1));
  // extended-dry-run-allow-and-deny-out2.yaml
  assert.deepStrictEqual(withoutDefaultAction(filters[1]!), {
    name: "envoy.filters.http.rbac",
    typed_config: {
      "@type": RBAC_TYPE,
      shadow_rules: {
        policies: {
          "ns[foo]-policy[httpbin-1]-rule[0]": {
            permissions: [{ and_rules: { rules: [{ or_rules: { rules: [{ url_path: { path: { exact: "/allow" } } }] } }] } }],
            principals: [{ and_ids: { ids: [{ any: true }] } }],
          },
        },
      },
      shadow_rules_stat_prefix: "istio_dry_run_allow_",
    },
  });
});

test("an ALLOW policy without rules denies everything (Istio rbacPolicyMatchNever); no ALLOW policy → no ALLOW filter", () => {
  const filters = rbacFilters(byAction([policy("deny-all", {})]));
  assert.deepStrictEqual(filters, [{
    name: "envoy.filters.http.rbac",
    typed_config: {
      "@type": RBAC_TYPE,
      rules: { action: "ALLOW", policies: { "ns[foo]-policy[deny-all]-rule[0]": { permissions: [{ not_rule: { any: true } }], principals: [{ not_id: { any: true } }] } } },
      shadow_rules_stat_prefix: "istio_dry_run_allow_",
    },
  }]);
  assert.deepStrictEqual(rbacFilters(byAction([])), []);
  const onlyDeny = rbacFilters(byAction([policy("d", { action: "DENY", rules: [{}] })]));
  assert.deepStrictEqual(onlyDeny.map((f) => (f.typed_config as Obj).rules.action), ["DENY"]);
});

test("filter order: CUSTOM, AUDIT (LOG), DENY, ALLOW", () => {
  const filters = filtersFor(`
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: a, namespace: foo}
spec: {action: ALLOW, rules: [{}]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: d, namespace: foo}
spec: {action: DENY, rules: [{}]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: l, namespace: foo}
spec: {action: AUDIT, rules: [{}]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: c, namespace: foo}
spec: {action: CUSTOM, provider: {name: my-authz}, rules: [{}]}
`);
  assert.deepStrictEqual(filters.map((f) => [Object.keys(f.typed_config.rules.policies)[0], f.typed_config.rules.action, f.typed_config.shadow_rules_stat_prefix]), [
    ["istio-ext-authz-my-authz-ns[foo]-policy[c]-rule[0]-deny-due-to-bad-CUSTOM-action", "DENY", undefined],
    ["ns[foo]-policy[l]-rule[0]", "LOG", "istio_dry_run_allow_"],
    ["ns[foo]-policy[d]-rule[0]", "DENY", "istio_dry_run_allow_"],
    ["ns[foo]-policy[a]-rule[0]", "ALLOW", "istio_dry_run_allow_"],
  ]);
});

test("CUSTOM with a provider the mesh config does not define fails closed like Istio (custom-bad-out, per provider)", () => {
  const filters = filtersFor(`
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: httpbin-1, namespace: foo}
spec: {action: CUSTOM, provider: {name: default}, rules: [{to: [{operation: {paths: ["/httpbin1"]}}]}]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: httpbin-2, namespace: foo}
spec: {action: CUSTOM, provider: {name: default}, rules: [{to: [{operation: {paths: ["/httpbin2"]}}]}]}
`);
  const rule = (path: string): Obj => ({
    permissions: [{ and_rules: { rules: [{ or_rules: { rules: [{ url_path: { path: { exact: path } } }] } }] } }],
    principals: [{ and_ids: { ids: [{ any: true }] } }],
  });
  assert.deepStrictEqual(filters, [{
    name: "envoy.filters.http.rbac",
    typed_config: {
      "@type": RBAC_TYPE,
      rules: {
        action: "DENY",
        policies: {
          "istio-ext-authz-default-ns[foo]-policy[httpbin-1]-rule[0]-deny-due-to-bad-CUSTOM-action": rule("/httpbin1"),
          "istio-ext-authz-default-ns[foo]-policy[httpbin-2]-rule[0]-deny-due-to-bad-CUSTOM-action": rule("/httpbin2"),
        },
      },
    },
  }]);
});

test("requestPrincipals wildcards, claims, audiences, presenter and not-forms read jwt_authn's payload metadata", () => {
  const p = generateRbacPolicy({
    from: [{ source: { requestPrincipals: ["*"], notRequestPrincipals: ["iss.example/*", "*/sub1", "*suffix"] } }],
    when: [
      { key: "request.auth.claims[groups]", values: ["admin"] },
      { key: "request.auth.claims[nested][key]", values: ["a", "b*"] },
      { key: "request.auth.audiences", values: ["aud1"] },
      { key: "request.auth.presenter", notValues: ["bad"] },
    ],
  }, "foo", "ALLOW");
  assertRoundTrip(RBAC_TYPE, { rules: { action: "ALLOW", policies: { p } } });
  const claim = (path: string[], value: Obj): Obj => ({
    metadata: { filter: "envoy.filters.http.jwt_authn", path: ["payload", ...path].map((key) => ({ key })), value: { or_match: { value_matchers: [{ list_match: { one_of: value } }, value] } } },
  });
  const issSub = (iss: Obj, sub: Obj): Obj => ({
    and_ids: {
      ids: [
        { metadata: { filter: "envoy.filters.http.jwt_authn", path: [{ key: "payload" }, { key: "iss" }], value: { string_match: iss } } },
        { metadata: { filter: "envoy.filters.http.jwt_authn", path: [{ key: "payload" }, { key: "sub" }], value: { string_match: sub } } },
      ],
    },
  });
  const any = { safe_regex: { regex: ".+" } };
  assert.deepStrictEqual(p.principals, [{
    and_ids: {
      ids: [
        issSub(any, any),
        { not_id: { or_ids: { ids: [issSub({ exact: "iss.example" }, any), issSub(any, { exact: "sub1" }), issSub(any, { suffix: "suffix" })] } } },
        claim(["groups"], { string_match: { exact: "admin" } }),
        claim(["nested", "key"], { or_match: { value_matchers: [{ string_match: { exact: "a" } }, { string_match: { prefix: "b" } }] } }),
        claim(["aud"], { string_match: { exact: "aud1" } }),
        { not_id: claim(["azp"], { string_match: { exact: "bad" } }) },
      ],
    },
  }]);
});

test("notPaths/notMethods/notPorts/notHosts and destination.port, connection.sni, source.namespace wildcard, serviceAccounts", () => {
  const p = generateRbacPolicy({
    from: [{ source: { namespaces: ["prod-*"], serviceAccounts: ["sa1", "other/sa2"] } }],
    to: [{ operation: { notPaths: ["/admin*"], notMethods: ["DELETE"], notPorts: ["8080"], notHosts: ["*.internal"] } }],
    when: [{ key: "destination.port", values: ["9080"] }, { key: "connection.sni", values: ["*.example.com"] }, { key: "source.principal", notValues: ["*"] }],
  }, "foo", "DENY");
  assertRoundTrip(RBAC_TYPE, { rules: { action: "DENY", policies: { p } } });
  assert.deepStrictEqual(p.permissions, [{
    and_rules: {
      rules: [
        { not_rule: { or_rules: { rules: [{ header: { name: ":authority", string_match: { suffix: ".internal", ignore_case: true } } }] } } },
        { not_rule: { or_rules: { rules: [{ header: { name: ":method", string_match: { exact: "DELETE" } } }] } } },
        { not_rule: { or_rules: { rules: [{ url_path: { path: { prefix: "/admin" } } }] } } },
        { not_rule: { or_rules: { rules: [{ destination_port: 8080 }] } } },
        { or_rules: { rules: [{ destination_port: 9080 }] } },
        { or_rules: { rules: [{ requested_server_name: { suffix: ".example.com" } }] } },
      ],
    },
  }]);
  assert.deepStrictEqual(p.principals, [{
    and_ids: {
      ids: [
        { or_ids: { ids: [
          { authenticated: { principal_name: { safe_regex: { regex: "spiffe://.+/ns/foo/(.+/|)sa/sa1(/.+)?" } } } },
          { authenticated: { principal_name: { safe_regex: { regex: "spiffe://.+/ns/other/(.+/|)sa/sa2(/.+)?" } } } },
        ] } },
        { or_ids: { ids: [{ authenticated: { principal_name: { safe_regex: { regex: ".*/ns/prod-.*/.*" } } } }] } },
        { not_id: { or_ids: { ids: [{ authenticated: { principal_name: { safe_regex: { regex: ".+" } } } }] } } },
      ],
    },
  }]);
});

test("a value that cannot be translated drops the whole rule of an ALLOW policy but only that value of a DENY policy", () => {
  const spec = (action: "ALLOW" | "DENY"): AuthorizationPolicySpec => ({ action, rules: [{ to: [{ operation: { paths: ["/a/{*}/b", "/ok"] } }] }, { to: [{ operation: { paths: ["/x"] } }] }] });
  const allow = rbacFilters(byAction([policy("p", spec("ALLOW"))]))[0]!.typed_config as Obj;
  assert.deepStrictEqual(Object.keys(allow.rules.policies), ["ns[foo]-policy[p]-rule[1]"]);
  const deny = rbacFilters(byAction([policy("p", spec("DENY"))]))[0]!.typed_config as Obj;
  assert.deepStrictEqual(Object.keys(deny.rules.policies), ["ns[foo]-policy[p]-rule[0]", "ns[foo]-policy[p]-rule[1]"]);
  assert.deepStrictEqual(deny.rules.policies["ns[foo]-policy[p]-rule[0]"].permissions[0].and_rules.rules, [{ or_rules: { rules: [{ url_path: { path: { exact: "/ok" } } }] } }]);
});

test("experimental.envoy.filters.* keys become metadata permissions; IPv6 and CIDR ranges", () => {
  const p = generateRbacPolicy({
    when: [{ key: "experimental.envoy.filters.network.mysql_proxy[db.table]", values: ["[update]"] }, { key: "source.ip", values: ["::1", "fd00::/8"] }],
  }, "foo", "ALLOW");
  assertRoundTrip(RBAC_TYPE, { rules: { action: "ALLOW", policies: { p } } });
  assert.deepStrictEqual(p.permissions, [{
    and_rules: { rules: [{ metadata: { filter: "envoy.filters.network.mysql_proxy", path: [{ key: "db.table" }], value: { list_match: { one_of: { string_match: { exact: "update" } } } } } }] },
  }]);
  assert.deepStrictEqual(p.principals, [{
    and_ids: { ids: [{ or_ids: { ids: [
      { direct_remote_ip: { address_prefix: "::1", prefix_len: { value: 128 } } },
      { direct_remote_ip: { address_prefix: "fd00::", prefix_len: { value: 8 } } },
    ] } }] },
  }]);
});
