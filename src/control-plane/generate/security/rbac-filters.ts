// AuthorizationPolicies → envoy.filters.http.rbac HTTP filters, as Istio's pilot/pkg/security/authz/builder (builder.go).

import { Logger } from "../../../shared/logger.js";
import type { ConfigResource } from "../../config/config-resource.js";
import type { AuthorizationPolicySpec, WorkloadAuthorizationPolicies } from "../../model/security-policies.js";
import type { EnvoyObject } from "../envoy-objects.js";
import { generateRbacPolicy, rbacPolicyMatchNever, type RbacAction } from "./rbac-policy-model.js";
import { RBAC_FILTER_NAME, RBAC_TYPE } from "./security-filter-names.js";

const log = new Logger("authz");

/** Istio's annotation that makes a policy evaluated (shadow rules, stats) but not enforced. */
export const DRY_RUN_ANNOTATION = "istio.io/dry-run";
const SHADOW_ALLOW_PREFIX = "istio_dry_run_allow_";
const SHADOW_DENY_PREFIX = "istio_dry_run_deny_";
/** Istio's prefix for CUSTOM policy names, and the suffix of the DENY policies made when the provider is unknown. */
const EXT_AUTHZ_MATCH_PREFIX = "istio-ext-authz";
const BAD_CUSTOM_ACTION_SUFFIX = "-deny-due-to-bad-CUSTOM-action";

/** `ns[<ns>]-policy[<name>]-rule[<i>]`, with `istio-ext-authz-<provider>-` in front for CUSTOM. */
export function rbacPolicyName(namespace: string, name: string, rule: number, provider?: string): string {
  const prefix = provider === undefined ? "" : provider !== "" ? `${EXT_AUTHZ_MATCH_PREFIX}-${provider}-` : `${EXT_AUTHZ_MATCH_PREFIX}-`;
  return `${prefix}ns[${namespace}]-policy[${name}]-rule[${rule}]`;
}

function isDryRun(p: ConfigResource<AuthorizationPolicySpec>): boolean {
  const v = p.metadata.annotations?.[DRY_RUN_ANNOTATION];
  return v !== undefined && ["1", "t", "T", "true", "TRUE", "True"].includes(v);
}

interface BuiltRules {
  rules?: EnvoyObject;
  shadowRules?: EnvoyObject;
}

/**
 * Istio Builder.build for one action: every rule of every policy becomes a named RBAC policy (a rule that cannot be
 * translated is skipped and logged); a policy without rules becomes one policy that never matches, so an ALLOW
 * policy without rules denies everything. Dry-run policies go to shadow rules. Undefined when `policies` is empty.
 */
function buildRules(policies: readonly ConfigResource<AuthorizationPolicySpec>[], action: RbacAction, provider?: (p: ConfigResource<AuthorizationPolicySpec>) => string): BuiltRules | undefined {
  if (policies.length === 0) return undefined;
  const enforce: Record<string, EnvoyObject> = {};
  const shadow: Record<string, EnvoyObject> = {};
  let hasEnforce = false;
  let hasShadow = false;
  for (const p of policies) {
    const dry = isDryRun(p);
    const target = dry ? shadow : enforce;
    if (dry) hasShadow = true;
    else hasEnforce = true;
    const ns = p.metadata.namespace;
    const providerName = provider?.(p);
    const rules = p.spec.rules ?? [];
    rules.forEach((rule, i) => {
      const name = rbacPolicyName(ns, p.metadata.name, i, providerName);
      if (!rule) return;
      try {
        target[name] = generateRbacPolicy(rule, ns, action);
      } catch (err) {
        log.warn(`skipped invalid rule ${name}: ${(err as Error).message}`);
      }
    });
    if (rules.length === 0) target[rbacPolicyName(ns, p.metadata.name, 0, providerName)] = rbacPolicyMatchNever();
  }
  return {
    ...(hasEnforce ? { rules: { action, policies: enforce } } : {}),
    ...(hasShadow ? { shadowRules: { action, policies: shadow } } : {}),
  };
}

/** Istio shadowRuleStatPrefix: by the shadow rules' action; Go's nil-message getter makes "no shadow rules" ALLOW. */
function shadowStatPrefix(shadow: EnvoyObject | undefined): string {
  const action = shadow?.action ?? "ALLOW";
  return action === "ALLOW" ? SHADOW_ALLOW_PREFIX : action === "DENY" ? SHADOW_DENY_PREFIX : "";
}

function rbacFilter(built: BuiltRules): EnvoyObject {
  const config: EnvoyObject = { "@type": RBAC_TYPE };
  if (built.rules) config.rules = built.rules;
  if (built.shadowRules) config.shadow_rules = built.shadowRules;
  const prefix = shadowStatPrefix(built.shadowRules);
  if (prefix) config.shadow_rules_stat_prefix = prefix;
  return { name: RBAC_FILTER_NAME, typed_config: config };
}

/**
 * The CUSTOM filters. Weft has no mesh config `extensionProviders` yet, so every provider is unknown and Istio's
 * fail-closed behaviour applies: one RBAC DENY filter whose policies are the CUSTOM rules renamed
 * `<name>-deny-due-to-bad-CUSTOM-action` (Istio getBadCustomDenyRules), one per provider in name order.
 */
export function customAuthzFilters(policies: readonly ConfigResource<AuthorizationPolicySpec>[]): EnvoyObject[] {
  const byProvider = new Map<string, ConfigResource<AuthorizationPolicySpec>[]>();
  for (const p of policies) {
    const name = p.spec.provider?.name ?? "";
    const list = byProvider.get(name);
    if (list) list.push(p);
    else byProvider.set(name, [p]);
  }
  const out: EnvoyObject[] = [];
  for (const provider of [...byProvider.keys()].sort()) {
    const built = buildRules(byProvider.get(provider)!, "DENY", (p) => p.spec.provider?.name ?? "");
    const enforced = (built?.rules?.policies ?? {}) as Record<string, EnvoyObject>;
    log.warn(`CUSTOM authorization provider "${provider}" is not defined in mesh config extensionProviders: denying the requests its policies match`);
    const policiesOut: Record<string, EnvoyObject> = {};
    for (const [k, v] of Object.entries(enforced)) policiesOut[k + BAD_CUSTOM_ACTION_SUFFIX] = v;
    out.push({ name: RBAC_FILTER_NAME, typed_config: { "@type": RBAC_TYPE, rules: { action: "DENY", policies: policiesOut } } });
  }
  return out;
}

/** Istio BuildHTTP order: CUSTOM, then AUDIT (LOG), DENY, ALLOW — each present only when some policy has that action. */
export function rbacFilters(policies: WorkloadAuthorizationPolicies): EnvoyObject[] {
  const out = customAuthzFilters(policies.custom);
  for (const [list, action] of [[policies.audit, "LOG"], [policies.deny, "DENY"], [policies.allow, "ALLOW"]] as const) {
    const built = buildRules(list, action);
    if (built) out.push(rbacFilter(built));
  }
  return out;
}
