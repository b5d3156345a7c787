// Envoy matcher and RBAC permission/principal builders, as Istio's pilot/pkg/security/authz/matcher and model helpers make them.

import { isIPv6 } from "node:net";
import type { EnvoyObject } from "../envoy-objects.js";
import { JWT_AUTHN_FILTER_NAME, JWT_PAYLOAD_METADATA_KEY } from "./security-filter-names.js";

export const SPIFFE_PREFIX = "spiffe://";

export function exact(v: string, ignoreCase = false): EnvoyObject {
  return ignoreCase ? { exact: v, ignore_case: true } : { exact: v };
}
export function prefix(v: string): EnvoyObject {
  return { prefix: v };
}
export function suffix(v: string): EnvoyObject {
  return { suffix: v };
}
export function regex(r: string): EnvoyObject {
  return { safe_regex: { regex: r } };
}

/**
 * Istio StringMatcherWithPrefix: `*` → regex `.+`; `*x` → suffix `x` (or regex `<prefix>.*x` when a prefix is
 * given); `x*` → prefix `<prefix>x`; else exact `<prefix>x`.
 */
export function stringMatcher(v: string, withPrefix = ""): EnvoyObject {
  if (v === "*") return regex(".+");
  if (v.startsWith("*")) return withPrefix === "" ? suffix(v.slice(1)) : regex(`${withPrefix}.*${v.slice(1)}`);
  if (v.endsWith("*")) return prefix(withPrefix + v.slice(0, -1));
  return exact(withPrefix + v);
}

/** Istio matcher.HeaderMatcher: `*` → present_match, else a string_match. */
export function headerMatcher(name: string, v: string): EnvoyObject {
  if (v === "*") return { name, present_match: true };
  return { name, string_match: stringMatcher(v) };
}

/** Istio matcher.HostMatcher: as headerMatcher, case-insensitive. */
export function hostMatcher(name: string, v: string): EnvoyObject {
  if (v === "*") return { name, present_match: true };
  return { name, string_match: { ...stringMatcher(v), ignore_case: true } };
}

/** Istio util.AddrStrToCidrRange: "10.0.0.1" → /32 (/128 for IPv6), "10.0.0.0/8" → /8. Throws on garbage. */
export function cidrRange(v: string): EnvoyObject {
  const slash = v.indexOf("/");
  const address = slash === -1 ? v : v.slice(0, slash);
  const len = slash === -1 ? (isIPv6(address) ? 128 : 32) : Number(v.slice(slash + 1));
  if (!Number.isInteger(len) || len < 0 || len > (isIPv6(address) ? 128 : 32)) throw new Error(`invalid cidr range ${v}`);
  return { address_prefix: address, prefix_len: { value: len } };
}

/** A ValueMatcher with a string_match per value, or_match'ed when there are several (Istio StringOrMatcher). */
export function stringOrMatcher(values: readonly string[]): EnvoyObject {
  const ms = values.map((v) => ({ string_match: stringMatcher(v) }));
  return ms.length === 1 ? ms[0]! : { or_match: { value_matchers: ms } };
}

function metadataPath(keys: readonly string[]): EnvoyObject[] {
  return keys.map((key) => ({ key }));
}

/** Istio MetadataValueMatcherForJWTClaim: jwt_authn metadata `payload.<claim>` against `value`. */
export function jwtClaimValueMatcher(claim: string, value: EnvoyObject): EnvoyObject {
  return { filter: JWT_AUTHN_FILTER_NAME, path: metadataPath([JWT_PAYLOAD_METADATA_KEY, claim]), value };
}

/**
 * Istio MetadataListValueMatcherForJWTClaims (extended JWT): jwt_authn metadata `payload.<claims...>` matches when it
 * is a list with one element matching `value`, or itself matches `value`.
 */
export function jwtClaimsListMatcher(claims: readonly string[], value: EnvoyObject): EnvoyObject {
  return {
    filter: JWT_AUTHN_FILTER_NAME,
    path: metadataPath([JWT_PAYLOAD_METADATA_KEY, ...claims]),
    value: { or_match: { value_matchers: [{ list_match: { one_of: value } }, value] } },
  };
}

/** Istio MetadataStringMatcher / MetadataListMatcher for `experimental.envoy.filters.*` keys. */
export function metadataMatcher(filter: string, keys: readonly string[], value: EnvoyObject): EnvoyObject {
  return { filter, path: metadataPath(keys), value };
}

// Permissions (envoy.config.rbac.v3.Permission).
export const permissionAny = (): EnvoyObject => ({ any: true });
export const permissionAnd = (rules: EnvoyObject[]): EnvoyObject => ({ and_rules: { rules } });
export const permissionOr = (rules: EnvoyObject[]): EnvoyObject => ({ or_rules: { rules } });
export const permissionNot = (rule: EnvoyObject): EnvoyObject => ({ not_rule: rule });

// Principals (envoy.config.rbac.v3.Principal).
export const principalAny = (): EnvoyObject => ({ any: true });
export const principalAnd = (ids: EnvoyObject[]): EnvoyObject => ({ and_ids: { ids } });
export const principalOr = (ids: EnvoyObject[]): EnvoyObject => ({ or_ids: { ids } });
export const principalNot = (id: EnvoyObject): EnvoyObject => ({ not_id: id });
/** The peer's certificate identity (URI SAN) — filled by mTLS on the proxy. */
export const principalAuthenticated = (m: EnvoyObject): EnvoyObject => ({ authenticated: { principal_name: m } });
