// The security HTTP filters of a sidecar's inbound HCMs: jwt_authn, then CUSTOM, AUDIT, DENY and ALLOW authorization (Istio's order).

import type { Proxy } from "../../model/proxy.js";
import type { PushContext } from "../../model/push-context.js";
import { authorizationPoliciesFor, requestAuthenticationsFor } from "../../model/security-policies.js";
import type { EnvoyObject } from "../envoy-objects.js";
import { jwtAuthnFilter } from "./jwt-authn-filter.js";
import { rbacFilters } from "./rbac-filters.js";

const NONE: readonly EnvoyObject[] = Object.freeze([]);

/**
 * The filters that go before a sidecar's inbound HCM filters (fault, cors, router), for the workload `proxy` is: none
 * at all when no RequestAuthentication or AuthorizationPolicy selects it (a filter the proxy did not need could only
 * be NACKed). Istio's inbound order: `envoy.filters.http.jwt_authn` (Weft has no `istio_authn`: RBAC reads JWT claims
 * from jwt_authn's `payload` metadata directly, as current Istio does), CUSTOM (ext_authz), then the RBAC filters for
 * AUDIT, DENY, ALLOW. Shared by every proxy of the same namespace and labels (memoised per push).
 */
export function inboundSecurityFilters(proxy: Proxy, push: PushContext): readonly EnvoyObject[] {
  const any = push.memo("authn-authz|?", () => push.config.list("RequestAuthentication").length > 0 || push.config.list("AuthorizationPolicy").length > 0);
  if (!any) return NONE;
  const key = `${proxy.namespace}|${JSON.stringify(proxy.labels)}`;
  return push.memo(`authn-authz|${key}`, () => {
    const out: EnvoyObject[] = [];
    const jwtRules = requestAuthenticationsFor(push, proxy.namespace, proxy.labels).flatMap((r) => r.spec.jwtRules ?? []);
    const jwt = jwtAuthnFilter(jwtRules);
    if (jwt) out.push(jwt);
    out.push(...rbacFilters(authorizationPoliciesFor(push, proxy.namespace, proxy.labels)));
    return out.length === 0 ? NONE : Object.freeze(out);
  });
}
