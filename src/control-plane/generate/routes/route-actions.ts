// Small appliers that turn one VirtualService HTTPRoute section into Envoy route fields (headers, redirect, retries, ...).

import { CORS_POLICY_TYPE, PREVIOUS_HOSTS_TYPE, PREVIOUS_PRIORITIES_TYPE } from "../../../xds/type-urls.js";
import type { CorsPolicySpec, HeadersSpec, HTTPRouteSpec } from "../../model/istio-specs.js";
import { parseDuration } from "../duration.js";
import type { EnvoyObject } from "../envoy-objects.js";
import { retryPolicy as convertRetryPolicy } from "../policy/retry-policy.js";
import { stringMatcher } from "./route-match.js";

export const CORS_FILTER_NAME = "envoy.filters.http.cors";

function isInternal(key: string): boolean {
  return key.startsWith(":") || key.toLowerCase() === "host";
}

function isAuthority(key: string): boolean {
  const k = key.toLowerCase();
  return k === ":authority" || k === "host";
}

function headerOptions(headers: Record<string, string> | undefined, append: boolean): EnvoyObject[] {
  if (!headers) return [];
  return Object.keys(headers)
    .filter((k) => !isInternal(k))
    .sort()
    .map((k) => ({
      header: { key: k, value: headers[k] },
      append_action: append ? "APPEND_IF_EXISTS_OR_ADD" : "OVERWRITE_IF_EXISTS_OR_ADD",
    }));
}

/** The Host rewrite a Headers section asks for (`host`/`:authority` in set, else in add), or "". */
export function authorityOf(h: HeadersSpec | undefined): string {
  const pick = (m: Record<string, string> | undefined): string => {
    for (const k of Object.keys(m ?? {})) if (isAuthority(k)) return m![k]!;
    return "";
  };
  return pick(h?.request?.set) || pick(h?.request?.add);
}

/** Applies a Headers section to a route or weighted cluster (Istio TranslateHeadersOperations), appending to what is there. */
export function applyHeaders(out: EnvoyObject, h: HeadersSpec | undefined): void {
  if (!h) return;
  const reqAdd = [...headerOptions(h.request?.set, false), ...headerOptions(h.request?.add, true)];
  const respAdd = [...headerOptions(h.response?.set, false), ...headerOptions(h.response?.add, true)];
  const reqRemove = (h.request?.remove ?? []).filter((k) => !isInternal(k));
  const respRemove = (h.response?.remove ?? []).filter((k) => !isInternal(k));
  if (reqAdd.length) out.request_headers_to_add = [...((out.request_headers_to_add as EnvoyObject[]) ?? []), ...reqAdd];
  if (respAdd.length) out.response_headers_to_add = [...((out.response_headers_to_add as EnvoyObject[]) ?? []), ...respAdd];
  if (reqRemove.length) out.request_headers_to_remove = [...((out.request_headers_to_remove as string[]) ?? []), ...reqRemove];
  if (respRemove.length) out.response_headers_to_remove = [...((out.response_headers_to_remove as string[]) ?? []), ...respRemove];
}

const REDIRECT_CODES: Record<number, string> = {
  301: "MOVED_PERMANENTLY",
  302: "FOUND",
  303: "SEE_OTHER",
  307: "TEMPORARY_REDIRECT",
  308: "PERMANENT_REDIRECT",
};

/**
 * Istio ApplyRedirect for a sidecar (plaintext listener): path_redirect, host_redirect, scheme_redirect; port, or
 * derivePort FROM_REQUEST_PORT → the listener port (FROM_PROTOCOL_DEFAULT → none), dropped when it is the scheme's
 * default (80 for http, 443 for https). Undefined for a redirect code Envoy does not support (the rule is skipped).
 */
export function redirectAction(r: NonNullable<HTTPRouteSpec["redirect"]>, listenPort: number): EnvoyObject | undefined {
  const code = REDIRECT_CODES[r.redirectCode || 301];
  if (!code) return undefined;
  const out: EnvoyObject = {};
  if (r.authority) out.host_redirect = r.authority;
  if (r.uri) out.path_redirect = r.uri;
  if (r.scheme) out.scheme_redirect = r.scheme;
  let port = 0;
  if (r.derivePort === "FROM_REQUEST_PORT") port = listenPort;
  else if (r.port) port = r.port;
  const scheme = r.scheme || "http";
  if ((port === 80 && scheme === "http") || (port === 443 && scheme === "https")) port = 0;
  if (port) out.port_redirect = port;
  out.response_code = code;
  return out;
}

export function directResponseAction(d: NonNullable<HTTPRouteSpec["directResponse"]>): EnvoyObject {
  const out: EnvoyObject = { status: d.status };
  if (d.body?.string !== undefined) out.body = { inline_string: d.body.string };
  else if (d.body?.bytes !== undefined) out.body = { inline_bytes: d.body.bytes };
  return out;
}

/**
 * Istio retry.ConvertPolicy for a sidecar route: the policy applier's fields (default policy when `r` is undefined,
 * none when attempts ≤ 0) plus the host predicate `previous_hosts` with host_selection_retry_max_attempts 5 (not with
 * consistent hashing, nor when retryIgnorePreviousHosts is false) and, for retryRemoteLocalities, the
 * previous_priorities retry priority (update_frequency 2).
 */
export function retryPolicy(r: HTTPRouteSpec["retries"], consistentHash = false): EnvoyObject | undefined {
  const out = convertRetryPolicy(r);
  if (!out) return undefined;
  if (!consistentHash && r?.retryIgnorePreviousHosts !== false) {
    out.retry_host_predicate = [{ name: "envoy.retry_host_predicates.previous_hosts", typed_config: { "@type": PREVIOUS_HOSTS_TYPE } }];
    out.host_selection_retry_max_attempts = 5;
  }
  if (r?.retryRemoteLocalities) {
    out.retry_priority = { name: "envoy.retry_priorities.previous_priorities", typed_config: { "@type": PREVIOUS_PRIORITIES_TYPE, update_frequency: 2 } };
  }
  return out;
}

/** Istio translatePercentToFractionalPercent: value% as parts per million. */
function percentToFraction(value: number | undefined): EnvoyObject {
  return { numerator: Math.round((value ?? 0) * 10000), denominator: "MILLION" };
}

/**
 * Istio MirrorPercent for a rule's `mirror`: mirrorPercentage (0 → no mirroring), else the deprecated mirrorPercent
 * (0 → none), else 100%. Undefined when the mirror is off.
 */
export function mirrorFraction(rule: HTTPRouteSpec): EnvoyObject | undefined {
  if (!rule.mirrorPercentage && rule.mirrorPercent !== undefined) return rule.mirrorPercent > 0 ? { numerator: rule.mirrorPercent, denominator: "HUNDRED" } : undefined;
  return mirrorPolicyFraction({ percentage: rule.mirrorPercentage });
}

/** Istio MirrorPercentByPolicy for one `mirrors` entry. */
export function mirrorPolicyFraction(p: { percentage?: { value?: number } }): EnvoyObject | undefined {
  if (p.percentage) return (p.percentage.value ?? 0) > 0 ? percentToFraction(p.percentage.value) : undefined;
  return { numerator: 100, denominator: "HUNDRED" };
}

/** Istio TranslateRequestMirrorPolicy. */
export function mirrorPolicy(cluster: string, fraction: EnvoyObject): EnvoyObject {
  return { cluster, runtime_fraction: { default_value: fraction }, trace_sampled: { value: false } };
}

/** Istio TranslateCORSPolicy: the CorsPolicy per-route config (typed_per_filter_config["envoy.filters.http.cors"]). */
export function corsPolicy(c: CorsPolicySpec): EnvoyObject {
  const out: EnvoyObject = { "@type": CORS_POLICY_TYPE };
  out.forward_not_matching_preflights = { value: c.unmatchedPreflights !== "IGNORE" };
  if (c.allowOrigins) out.allow_origin_string_match = c.allowOrigins.map(stringMatcher).filter((m) => m !== undefined);
  else if (c.allowOrigin) out.allow_origin_string_match = c.allowOrigin.map((o) => ({ exact: o }));
  out.filter_enabled = { default_value: { numerator: 100, denominator: "HUNDRED" } };
  if (c.allowCredentials !== undefined) out.allow_credentials = { value: c.allowCredentials };
  if (c.allowHeaders?.length) out.allow_headers = c.allowHeaders.join(",");
  if (c.allowMethods?.length) out.allow_methods = c.allowMethods.join(",");
  if (c.exposeHeaders?.length) out.expose_headers = c.exposeHeaders.join(",");
  const maxAge = c.maxAge ? parseDuration(c.maxAge) : undefined;
  if (maxAge) out.max_age = String(maxAge.seconds);
  return out;
}

/** Istio's rewrite: uriRegexRewrite → regex_rewrite, else uri → prefix_rewrite (for every match kind). */
export function applyRewrite(action: EnvoyObject, rw: HTTPRouteSpec["rewrite"]): void {
  if (!rw) return;
  if (rw.uriRegexRewrite) {
    action.regex_rewrite = { pattern: { regex: rw.uriRegexRewrite.match ?? "" }, substitution: rw.uriRegexRewrite.rewrite ?? "" };
  } else if (rw.uri) {
    action.prefix_rewrite = rw.uri;
  }
}
