// Which RequestAuthentications and AuthorizationPolicies apply to a sidecar workload (Istio getConfigsForWorkload / ListAuthorizationPolicies).

import type { ConfigResource } from "../config/config-resource.js";
import { selectorMatches } from "./labels.js";
import type { PushContext } from "./push-context.js";

/** A JWT rule of a RequestAuthentication (security.istio.io/v1 JWTRule), as written in YAML. */
export interface JwtRuleSpec {
  issuer: string;
  audiences?: string[];
  jwksUri?: string;
  jwks?: string;
  fromHeaders?: { name: string; prefix?: string }[];
  fromParams?: string[];
  fromCookies?: string[];
  forwardOriginalToken?: boolean;
  outputPayloadToHeader?: string;
  outputClaimToHeaders?: { header: string; claim: string }[];
  spaceDelimitedClaims?: string[];
  timeout?: string;
}

/** An AuthorizationPolicy rule (security.istio.io/v1 Rule), as written in YAML. */
export interface AuthzRule {
  from?: { source?: Record<string, string[] | undefined> }[];
  to?: { operation?: Record<string, string[] | undefined> }[];
  when?: { key: string; values?: string[]; notValues?: string[] }[];
}

interface Targeted {
  selector?: { matchLabels?: Record<string, string> };
  targetRef?: unknown;
  targetRefs?: unknown[];
}

export interface RequestAuthenticationSpec extends Targeted {
  jwtRules?: JwtRuleSpec[];
}

export type AuthorizationAction = "ALLOW" | "DENY" | "AUDIT" | "CUSTOM";

export interface AuthorizationPolicySpec extends Targeted {
  action?: AuthorizationAction;
  provider?: { name?: string };
  rules?: AuthzRule[];
}

/** The AuthorizationPolicies of a workload, by action, each list root namespace first then the workload's, in config order. */
export interface WorkloadAuthorizationPolicies {
  custom: ConfigResource<AuthorizationPolicySpec>[];
  deny: ConfigResource<AuthorizationPolicySpec>[];
  allow: ConfigResource<AuthorizationPolicySpec>[];
  audit: ConfigResource<AuthorizationPolicySpec>[];
}

/**
 * True when a policy of `policyNamespace` applies to a sidecar workload: it is in the workload's namespace or the
 * root namespace, has no targetRef(s) (those bind to gateways/waypoints, never sidecars), and its selector is empty
 * or matches the workload's labels.
 */
export function policySelects(spec: Targeted, policyNamespace: string, rootNamespace: string, namespace: string, labels: Readonly<Record<string, string>>): boolean {
  if (policyNamespace !== namespace && policyNamespace !== rootNamespace) return false;
  if (spec.targetRef !== undefined || (spec.targetRefs?.length ?? 0) > 0) return false;
  const selector = spec.selector?.matchLabels;
  return !selector || Object.keys(selector).length === 0 || selectorMatches(selector, labels);
}

/** Policies of `kind` that select the workload: the root namespace's first, then the workload's own (each in config order). */
function selectedPolicies<Spec extends Targeted>(push: PushContext, kind: string, namespace: string, labels: Readonly<Record<string, string>>): ConfigResource<Spec>[] {
  const all = push.config.list<Spec>(kind);
  const root = push.rootNamespace;
  const pick = (ns: string) => all.filter((c) => c.metadata.namespace === ns && policySelects(c.spec, ns, root, namespace, labels));
  return namespace === root ? pick(root) : [...pick(root), ...pick(namespace)];
}

/** The RequestAuthentications that apply to a workload (Istio GetJwtPoliciesForWorkload). */
export function requestAuthenticationsFor(push: PushContext, namespace: string, labels: Readonly<Record<string, string>>): ConfigResource<RequestAuthenticationSpec>[] {
  return selectedPolicies<RequestAuthenticationSpec>(push, "RequestAuthentication", namespace, labels);
}

/** The AuthorizationPolicies that apply to a workload, split by action (Istio ListAuthorizationPolicies). */
export function authorizationPoliciesFor(push: PushContext, namespace: string, labels: Readonly<Record<string, string>>): WorkloadAuthorizationPolicies {
  const out: WorkloadAuthorizationPolicies = { custom: [], deny: [], allow: [], audit: [] };
  for (const p of selectedPolicies<AuthorizationPolicySpec>(push, "AuthorizationPolicy", namespace, labels)) {
    const action = p.spec.action ?? "ALLOW";
    if (action === "CUSTOM") out.custom.push(p);
    else if (action === "DENY") out.deny.push(p);
    else if (action === "AUDIT") out.audit.push(p);
    else out.allow.push(p);
  }
  return out;
}
