// RequestAuthentication jwtRules → envoy.filters.http.jwt_authn JwtAuthentication, as Istio's pilot/pkg/security/authn convertToEnvoyJwtConfig.

import type { JwtRuleSpec } from "../../model/security-policies.js";
import { parseDuration } from "../duration.js";
import type { EnvoyObject } from "../envoy-objects.js";
import { JWT_AUTHN_FILTER_NAME, JWT_AUTHN_TYPE, JWT_PAYLOAD_METADATA_KEY } from "./security-filter-names.js";

/** Istio's default JWKS fetch timeout and Envoy remote JWKS cache duration. */
const DEFAULT_TIMEOUT = Object.freeze({ seconds: 5 });
const CACHE_DURATION = Object.freeze({ seconds: 300 });
/** Claims Istio always normalizes from space-delimited strings to lists (buildSpaceDelimitedClaims). */
const DEFAULT_SPACE_DELIMITED = ["permission", "scope"];

/**
 * What a provider without `jwks` or a usable `jwksUri` verifies against: one RSA key whose private half exists nowhere,
 * so every token fails (Istio inlines a fake JWKS the same way when it cannot get the real one).
 */
export const UNUSABLE_JWKS = JSON.stringify({ keys: [{ kty: "RSA", kid: "weft-unavailable-jwks", alg: "RS256", e: "AQAB", n: "x".repeat(342) + "w" }] });

/** `outbound|<port>||<host>` of a jwksUri (port from the URL, else 80 for http, 443 for https); undefined when unparsable. */
export function jwksCluster(jwksUri: string): string | undefined {
  let u: URL;
  try {
    u = new URL(jwksUri);
  } catch {
    return undefined;
  }
  if ((u.protocol !== "http:" && u.protocol !== "https:") || !u.hostname) return undefined;
  const port = u.port !== "" ? Number(u.port) : u.protocol === "https:" ? 443 : 80;
  return `outbound|${port}||${u.hostname.replace(/^\[|\]$/g, "")}`;
}

function spaceDelimitedClaims(extra: readonly string[] | undefined): string[] {
  if (!extra) return DEFAULT_SPACE_DELIMITED;
  return [...new Set([...extra, ...DEFAULT_SPACE_DELIMITED])].sort();
}

/**
 * One JwtProvider. The JWKS: inline `jwks` → `local_jwks.inline_string`; `jwksUri` → `remote_jwks` fetched by the
 * proxy through cluster `outbound|<port>||<host>` (Istio's PILOT_JWT_ENABLE_REMOTE_JWKS=envoy mode; Weft's control
 * plane does not fetch JWKS itself).
 */
export function jwtProvider(rule: JwtRuleSpec): EnvoyObject {
  const p: EnvoyObject = { issuer: rule.issuer };
  if (rule.audiences?.length) p.audiences = [...rule.audiences];
  if (rule.forwardOriginalToken) p.forward = true;
  if (rule.outputPayloadToHeader) p.forward_payload_header = rule.outputPayloadToHeader;
  p.payload_in_metadata = JWT_PAYLOAD_METADATA_KEY;
  p.normalize_payload_in_metadata = { space_delimited_claims: spaceDelimitedClaims(rule.spaceDelimitedClaims) };
  if (rule.outputClaimToHeaders?.length) p.claim_to_headers = rule.outputClaimToHeaders.map((c) => ({ header_name: c.header, claim_name: c.claim }));
  if (rule.fromHeaders?.length) p.from_headers = rule.fromHeaders.map((h) => (h.prefix ? { name: h.name, value_prefix: h.prefix } : { name: h.name }));
  if (rule.fromParams?.length) p.from_params = [...rule.fromParams];
  if (rule.fromCookies?.length) p.from_cookies = [...rule.fromCookies];
  const timeout = (rule.timeout !== undefined ? parseDuration(rule.timeout) : undefined) ?? DEFAULT_TIMEOUT;
  const cluster = rule.jwksUri && !rule.jwks ? jwksCluster(rule.jwksUri) : undefined;
  if (rule.jwksUri && cluster) {
    p.remote_jwks = { http_uri: { uri: rule.jwksUri, cluster, timeout }, cache_duration: CACHE_DURATION };
  } else {
    p.local_jwks = { inline_string: rule.jwks || UNUSABLE_JWKS };
  }
  return p;
}

const providerRequirement = (name: string): EnvoyObject => ({ provider_name: name });

/**
 * The JwtAuthentication for a workload's jwt rules (all its RequestAuthentications', sorted by issuer like Istio):
 * providers `origins-<i>`; one rule `prefix: /` that lets a request without a token through (authorization decides)
 * but rejects an invalid one. With several providers: any of {P1, P2, …, all of {P1 or missing, P2 or missing, …}}.
 * Undefined when there are no rules.
 */
export function jwtAuthentication(rules: readonly JwtRuleSpec[]): EnvoyObject | undefined {
  if (rules.length === 0) return undefined;
  const sorted = [...rules].sort((a, b) => (a.issuer < b.issuer ? -1 : a.issuer > b.issuer ? 1 : 0));
  const providers: Record<string, EnvoyObject> = {};
  const innerAnd: EnvoyObject[] = [];
  const outerOr: EnvoyObject[] = [];
  sorted.forEach((rule, i) => {
    const name = `origins-${i}`;
    providers[name] = jwtProvider(rule);
    innerAnd.push({ requires_any: { requirements: [providerRequirement(name), { allow_missing: {} }] } });
    outerOr.push(providerRequirement(name));
  });
  const requires = innerAnd.length === 1 ? innerAnd[0]! : { requires_any: { requirements: [...outerOr, { requires_all: { requirements: innerAnd } }] } };
  return { rules: [{ match: { prefix: "/" }, requires }], providers, bypass_cors_preflight: true };
}

/** The `envoy.filters.http.jwt_authn` HTTP filter for `rules`; undefined when there are none. */
export function jwtAuthnFilter(rules: readonly JwtRuleSpec[]): EnvoyObject | undefined {
  const config = jwtAuthentication(rules);
  return config && { name: JWT_AUTHN_FILTER_NAME, typed_config: { "@type": JWT_AUTHN_TYPE, ...config } };
}
