// Small appliers that turn one VirtualService HTTPRoute section into Envoy route fields (headers, redirect, retries, ...).

import type { HeadersSpec, HTTPRouteSpec } from "../../model/istio-specs.js";
import { parseDuration } from "../duration.js";
import type { EnvoyObject } from "../envoy-objects.js";

const ISTIO_RETRY_ON = "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes";

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

/** Applies a Headers section to a route or weighted cluster (Istio TranslateHeadersOperations). */
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

/** Istio ApplyRedirect; undefined for a redirect code Envoy does not support. */
export function redirectAction(r: NonNullable<HTTPRouteSpec["redirect"]>): EnvoyObject | undefined {
  const code = REDIRECT_CODES[r.redirectCode ?? 301];
  if (!code) return undefined;
  const out: EnvoyObject = { response_code: code };
  if (r.authority) out.host_redirect = r.authority;
  if (r.uri) out.path_redirect = r.uri;
  if (r.scheme) out.scheme_redirect = r.scheme;
  if (r.port && !(r.port === 80 && (r.scheme ?? "http") === "http") && !(r.port === 443 && r.scheme === "https")) out.port_redirect = r.port;
  return out;
}

export function directResponseAction(d: NonNullable<HTTPRouteSpec["directResponse"]>): EnvoyObject {
  const out: EnvoyObject = { status: d.status };
  if (d.body?.string !== undefined) out.body = { inline_string: d.body.string };
  else if (d.body?.bytes !== undefined) out.body = { inline_bytes: d.body.bytes };
  return out;
}

/** Istio retry.ConvertPolicy for an explicit VirtualService policy; undefined when attempts is 0 (retries off). */
export function retryPolicy(r: NonNullable<HTTPRouteSpec["retries"]>): EnvoyObject | undefined {
  if (!r.attempts) return undefined;
  const out: EnvoyObject = { retry_on: r.retryOn || ISTIO_RETRY_ON, num_retries: { value: r.attempts } };
  const codes = (r.retryOn ?? "").split(",").map((s) => s.trim()).filter((s) => /^[0-9]{3}$/.test(s));
  const on = (r.retryOn ?? "").split(",").map((s) => s.trim()).filter((s) => s && !/^[0-9]{3}$/.test(s));
  if (codes.length) {
    if (!on.includes("retriable-status-codes")) on.push("retriable-status-codes");
    out.retry_on = on.join(",");
    out.retriable_status_codes = codes.map(Number);
  } else if (!r.retryOn) {
    out.retriable_status_codes = [503];
  }
  const perTry = r.perTryTimeout ? parseDuration(r.perTryTimeout) : undefined;
  if (perTry) out.per_try_timeout = perTry;
  return out;
}
