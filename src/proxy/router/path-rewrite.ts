// Path rewriting for routes and redirects: prefix_rewrite, regex_rewrite (RE2, Envoy's \N substitutions), redirect Location.

import type { RE2JS } from "re2js";
import { invalid, objectField, type XdsObject } from "../config/xds-fields.js";
import { headerValue, type RouteRequest } from "./route-request.js";
import { compileRegex } from "./string-matcher.js";

/** A compiled envoy.type.matcher.v3.RegexMatchAndSubstitute. */
export interface RegexRewrite {
  readonly re: RE2JS;
  /** The substitution in re2js replaceAll syntax ($N groups, $$ a literal $). */
  readonly replacement: string;
}

/** The fields a path rewrite reads (cluster and redirect actions both have them). */
export interface PathRewrite {
  readonly prefixRewrite: string | undefined;
  readonly matchedPrefix: string;
  readonly wholePathRewrite: boolean;
  readonly regexRewrite: RegexRewrite | undefined;
}

export function compileRegexRewrite(resource: string, o: XdsObject): RegexRewrite {
  const pattern = objectField(resource, o, "pattern") ?? invalid(resource, "regex_rewrite needs a pattern");
  const sub = typeof o.substitution === "string" ? o.substitution : "";
  return { re: compileRegex(resource, pattern.regex), replacement: toRe2jsReplacement(sub) };
}

/** Envoy substitutions use `\N` for groups and `\\` for a backslash; re2js uses `$N` and `$$`. */
function toRe2jsReplacement(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "\\" && i + 1 < s.length) {
      const n = s[i + 1];
      if (n >= "0" && n <= "9") { out += `$${n}`; i++; continue; }
      if (n === "\\") { out += "\\"; i++; continue; }
    }
    out += c === "$" ? "$$" : c;
  }
  return out;
}

/** True when the action rewrites the path. */
export function rewritesPath(a: PathRewrite): boolean {
  return a.prefixRewrite !== undefined || a.regexRewrite !== undefined;
}

/**
 * The path after prefix_rewrite (replacing the matched prefix, exact path or, for a regex match, the whole path; the
 * query is kept) or regex_rewrite (every match in the path without its query is substituted; the query is kept).
 */
export function rewritePath(a: PathRewrite, path: string): string {
  if (a.prefixRewrite !== undefined) {
    if (a.wholePathRewrite) {
      const q = path.indexOf("?");
      return q === -1 ? a.prefixRewrite : a.prefixRewrite + path.slice(q);
    }
    return a.prefixRewrite + path.slice(a.matchedPrefix.length);
  }
  if (a.regexRewrite !== undefined) {
    const q = path.indexOf("?");
    const p = q === -1 ? path : path.slice(0, q);
    const rewritten = a.regexRewrite.re.matcher(p).replaceAll(a.regexRewrite.replacement);
    return q === -1 ? rewritten : rewritten + path.slice(q);
  }
  return path;
}

/** The redirect fields of RedirectAction that newUri reads. */
export interface RedirectTarget extends PathRewrite {
  readonly scheme: string | undefined;
  readonly host: string | undefined;
  readonly port: number;
  readonly path: string | undefined;
  readonly stripQuery: boolean;
}

/**
 * The Location of a redirect (Envoy RouteEntryImplBase::newUri): scheme from the action else x-forwarded-proto;
 * host_redirect else the request's host, whose port is dropped when port_redirect is set or the scheme changes
 * away from its default port; path_redirect (its own query replaces the request's) else the rewritten path;
 * strip_query drops the request's query.
 */
export function redirectLocation(req: RouteRequest, a: RedirectTarget): string {
  const requestProto = headerValue(req, "x-forwarded-proto") ?? req.scheme ?? "http";
  const scheme = a.scheme ?? requestProto;
  let host: string;
  if (a.host !== undefined) host = a.host;
  else {
    host = req.host;
    const bracket = host.startsWith("[") ? host.lastIndexOf("]:") : -2;
    const colon = bracket === -2 ? host.lastIndexOf(":") : bracket === -1 ? -1 : bracket + 1;
    if (colon !== -1) {
      const port = host.slice(colon);
      let remove = a.port > 0;
      if (scheme !== requestProto) remove ||= (requestProto === "https" && port === ":443") || (requestProto === "http" && port === ":80");
      if (remove) host = host.slice(0, colon);
    }
  }
  if (a.port > 0) host += `:${a.port}`;
  const q = req.path.indexOf("?");
  const query = q === -1 || a.stripQuery ? "" : req.path.slice(q);
  let path: string;
  if (a.path !== undefined) path = a.path.includes("?") ? a.path : a.path + query;
  else if (rewritesPath(a)) {
    path = rewritePath(a, req.path);
    if (a.stripQuery) { const i = path.indexOf("?"); if (i !== -1) path = path.slice(0, i); }
  } else path = (q === -1 ? req.path : req.path.slice(0, q)) + query;
  return `${scheme}://${host}${path}`;
}
