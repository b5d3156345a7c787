// Compiled envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication: providers, their token locations and key sources, rules, requirements.

import { arrayField, durationMs, invalid, objectField, stringField, wrapped, type XdsObject } from "../../config/xds-fields.js";
import { RouteEntry } from "../../router/route-entry.js";
import { LocalJwksSource, remoteJwksSource, type JwksSource } from "./jwks-source.js";
import { locationGroups, type LocationGroup } from "./jwt-extractor.js";

/** Where a token may be: a header (with an optional value prefix), a query parameter or a cookie. */
export interface TokenLocation {
  readonly kind: "header" | "param" | "cookie";
  /** Header names lower-case. */
  readonly name: string;
  /** Header value_prefix ("" for none). */
  readonly prefix: string;
}

export interface ClaimToHeader { readonly header: string; readonly claim: string }

/** One JwtProvider. Immutable. */
export interface JwtProvider {
  readonly name: string;
  /** "" accepts any issuer. */
  readonly issuer: string;
  readonly audiences: readonly string[];
  readonly jwks: JwksSource;
  readonly locations: readonly TokenLocation[];
  readonly forward: boolean;
  /** "" for none. */
  readonly forwardPayloadHeader: string;
  readonly padForwardPayloadHeader: boolean;
  /** The key of the verified payload in StreamInfo.jwtPayloads ("" for none; Istio: "payload"). */
  readonly payloadInMetadata: string;
  /** normalize_payload_in_metadata.space_delimited_claims: string claims stored as lists of their space-separated words. */
  readonly spaceDelimitedClaims: readonly string[];
  readonly claimToHeaders: readonly ClaimToHeader[];
  readonly clockSkewSeconds: number;
}

/** A JwtRequirement as a tree. */
export type JwtRequirement =
  | { readonly kind: "provider"; readonly provider: JwtProvider; readonly audiences: readonly string[] | undefined; readonly locations: readonly LocationGroup[] }
  /** requires_any; its allow_missing / allow_missing_or_failed entries are the two flags. */
  | { readonly kind: "any"; readonly children: readonly JwtRequirement[]; readonly allowMissing: boolean; readonly allowMissingOrFailed: boolean }
  | { readonly kind: "all"; readonly children: readonly JwtRequirement[] }
  /** allow_missing / allow_missing_or_failed standing alone: over the tokens of every provider. */
  | { readonly kind: "allowMissing" | "allowMissingOrFailed"; readonly locations: readonly LocationGroup[] }
  | { readonly kind: "allowAll" };

export interface JwtRule { readonly match: RouteEntry; readonly requires: JwtRequirement }

/** The whole filter config. Immutable. */
export interface JwtAuthnConfig {
  readonly providers: ReadonlyMap<string, JwtProvider>;
  /** First match wins; no match: no verification. */
  readonly rules: readonly JwtRule[];
  readonly requirementMap: ReadonlyMap<string, JwtRequirement>;
  readonly bypassCorsPreflight: boolean;
  readonly stripFailureResponse: boolean;
}

/** RemoteJwks.cache_duration when unset (Envoy: 10 minutes). */
const DEFAULT_CACHE_MS = 600_000;
/** http_uri.timeout when unset (a required field in Envoy; Istio sends 5 s by default). */
const DEFAULT_FETCH_TIMEOUT_MS = 5_000;
/** JwtProvider.clock_skew_seconds default. */
const DEFAULT_CLOCK_SKEW_SECONDS = 60;
/** An unknown kid triggers at most one key refetch per this interval (per JWKS URI). */
export const KID_REFETCH_INTERVAL_MS = 1_000;

/** Compiles a JwtAuthentication; throws PROXY_CONFIG_INVALID (NACK) on a bad shape or an unknown provider name. */
export function compileJwtAuthnConfig(resource: string, o: XdsObject): JwtAuthnConfig {
  const providers = new Map<string, JwtProvider>();
  for (const [name, p] of Object.entries(objectField(resource, o, "providers") ?? {})) {
    providers.set(name, compileProvider(`${resource}: provider ${name}`, name, p as XdsObject));
  }
  const rules = arrayField(resource, o, "rules").map((r, i): JwtRule => {
    const where = `${resource}: rules[${i}]`;
    const match = objectField(where, r, "match") ?? invalid(where, "rule without match");
    const requires = objectField(where, r, "requires");
    return {
      // The rule's RouteMatch, compiled as Envoy's route matcher (prefix, path, safe_regex, headers, query parameters).
      match: RouteEntry.compile(where, { match, direct_response: { status: 200 } }),
      requires: requires === undefined ? { kind: "allowAll" } : compileRequirement(where, requires, providers),
    };
  });
  const requirementMap = new Map<string, JwtRequirement>();
  for (const [name, r] of Object.entries(objectField(resource, o, "requirement_map") ?? {})) {
    requirementMap.set(name, compileRequirement(`${resource}: requirement_map ${name}`, r as XdsObject, providers));
  }
  if (objectField(resource, o, "filter_state_rules") !== undefined) invalid(resource, "filter_state_rules is not supported");
  return {
    providers, rules, requirementMap,
    bypassCorsPreflight: o.bypass_cors_preflight === true,
    stripFailureResponse: o.strip_failure_response === true,
  };
}

function compileProvider(resource: string, name: string, p: XdsObject): JwtProvider {
  const locations: TokenLocation[] = [];
  for (const h of arrayField(resource, p, "from_headers")) {
    const header = stringField(resource, h, "name");
    if (!header) invalid(resource, "from_headers entry without name");
    locations.push({ kind: "header", name: header.toLowerCase(), prefix: stringField(resource, h, "value_prefix") ?? "" });
  }
  for (const q of (p.from_params as unknown[] | undefined) ?? []) locations.push({ kind: "param", name: String(q), prefix: "" });
  for (const c of (p.from_cookies as unknown[] | undefined) ?? []) locations.push({ kind: "cookie", name: String(c), prefix: "" });
  if (locations.length === 0) {
    // Envoy's defaults: `Authorization: Bearer <token>` and the `access_token` query parameter.
    locations.push({ kind: "header", name: "authorization", prefix: "Bearer " }, { kind: "param", name: "access_token", prefix: "" });
  }
  return {
    name,
    issuer: stringField(resource, p, "issuer") ?? "",
    audiences: ((p.audiences as unknown[] | undefined) ?? []).map(String),
    jwks: compileJwksSource(resource, p),
    locations,
    forward: p.forward === true,
    forwardPayloadHeader: (stringField(resource, p, "forward_payload_header") ?? "").toLowerCase(),
    padForwardPayloadHeader: p.pad_forward_payload_header === true,
    payloadInMetadata: stringField(resource, p, "payload_in_metadata") ?? "",
    spaceDelimitedClaims: ((objectField(resource, p, "normalize_payload_in_metadata")?.space_delimited_claims as unknown[] | undefined) ?? []).map(String),
    claimToHeaders: arrayField(resource, p, "claim_to_headers").map((c) => {
      const header = stringField(resource, c, "header_name");
      const claim = stringField(resource, c, "claim_name");
      if (!header || !claim) invalid(resource, "claim_to_headers needs header_name and claim_name");
      return { header: header.toLowerCase(), claim };
    }),
    clockSkewSeconds: p.clock_skew_seconds === undefined || p.clock_skew_seconds === null || p.clock_skew_seconds === 0
      ? DEFAULT_CLOCK_SKEW_SECONDS : Number(p.clock_skew_seconds),
  };
}

function compileJwksSource(resource: string, p: XdsObject): JwksSource {
  const local = objectField(resource, p, "local_jwks");
  if (local !== undefined) {
    const bytes = local.inline_bytes;
    const inline = stringField(resource, local, "inline_string")
      ?? (typeof bytes === "string" ? Buffer.from(bytes, "base64").toString("utf8")
        : bytes instanceof Uint8Array ? Buffer.from(bytes).toString("utf8") : undefined);
    if (inline === undefined) invalid(resource, "local_jwks needs inline_string or inline_bytes");
    return new LocalJwksSource(inline, resource);
  }
  const remote = objectField(resource, p, "remote_jwks") ?? invalid(resource, "provider needs remote_jwks or local_jwks");
  const httpUri = objectField(resource, remote, "http_uri") ?? invalid(resource, "remote_jwks without http_uri");
  const uri = stringField(resource, httpUri, "uri");
  if (!uri) invalid(resource, "remote_jwks http_uri without uri");
  try {
    new URL(uri);
  } catch {
    invalid(resource, `remote_jwks uri ${uri} is not a URL`);
  }
  const timeoutMs = durationMs(resource, httpUri, "timeout", DEFAULT_FETCH_TIMEOUT_MS);
  const cacheMs = durationMs(resource, remote, "cache_duration", DEFAULT_CACHE_MS);
  const asyncFetch = objectField(resource, remote, "async_fetch") !== undefined;
  return remoteJwksSource({ uri, timeoutMs: timeoutMs > 0 ? timeoutMs : DEFAULT_FETCH_TIMEOUT_MS, cacheMs, asyncFetch, kidRefetchIntervalMs: KID_REFETCH_INTERVAL_MS });
}

/**
 * Envoy verifier.cc innerCreate. In requires_any, allow_missing / allow_missing_or_failed are flags on the group
 * (a group holding nothing else verifies every provider's tokens); standing alone they look at every provider's tokens.
 */
function compileRequirement(resource: string, r: XdsObject, providers: ReadonlyMap<string, JwtProvider>): JwtRequirement {
  const provider = (name: unknown): JwtProvider => providers.get(String(name)) ?? invalid(resource, `Required provider ['${String(name)}'] is not configured.`);
  if (typeof r.provider_name === "string" && r.provider_name !== "") {
    const p = provider(r.provider_name);
    return { kind: "provider", provider: p, audiences: undefined, locations: locationGroups([p]) };
  }
  const pa = objectField(resource, r, "provider_and_audiences");
  if (pa !== undefined) {
    const audiences = ((pa.audiences as unknown[] | undefined) ?? []).map(String);
    const p = provider(pa.provider_name);
    return { kind: "provider", provider: p, audiences: audiences.length > 0 ? audiences : undefined, locations: locationGroups([p]) };
  }
  const any = objectField(resource, r, "requires_any");
  if (any !== undefined) {
    let allowMissing = false;
    let allowMissingOrFailed = false;
    const children: JwtRequirement[] = [];
    for (const it of arrayField(resource, any, "requirements")) {
      if (isPresent(it.allow_missing_or_failed)) allowMissingOrFailed = true;
      else if (isPresent(it.allow_missing)) allowMissing = true;
      else children.push(compileRequirement(resource, it, providers));
    }
    if (children.length === 0 && (allowMissing || allowMissingOrFailed)) {
      children.push({ kind: allowMissingOrFailed ? "allowMissingOrFailed" : "allowMissing", locations: locationGroups([...providers.values()]) });
    }
    return { kind: "any", children, allowMissing, allowMissingOrFailed };
  }
  const all = objectField(resource, r, "requires_all");
  if (all !== undefined) return { kind: "all", children: arrayField(resource, all, "requirements").map((it) => compileRequirement(resource, it, providers)) };
  if (isPresent(r.allow_missing_or_failed)) return { kind: "allowMissingOrFailed", locations: locationGroups([...providers.values()]) };
  if (isPresent(r.allow_missing)) return { kind: "allowMissing", locations: locationGroups([...providers.values()]) };
  return { kind: "allowAll" };
}

function isPresent(v: unknown): boolean {
  return v !== undefined && v !== null;
}

/** PerRouteConfig: `disabled`, or the requirement_map entry to use. */
export type JwtPerRoute = { readonly disabled: true } | { readonly disabled: false; readonly requirementName: string };

export function compileJwtPerRoute(resource: string, o: XdsObject): JwtPerRoute {
  if (wrapped(o, "disabled", false)) return { disabled: true };
  const name = stringField(resource, o, "requirement_name");
  if (!name) invalid(resource, "PerRouteConfig needs disabled or requirement_name");
  return { disabled: false, requirementName: name };
}
