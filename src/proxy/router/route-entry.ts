// One compiled envoy.config.route.v3.Route: its match (path, headers, query) and its action (cluster(s), direct response, redirect).

import type { RE2JS } from "re2js";
import { arrayField, durationMs, invalid, objectField, stringField, wrapped, type XdsObject } from "../config/xds-fields.js";
import { compileHeaderMatcher, type HeaderPredicate } from "./header-matcher.js";
import { compileHeaderMutation, type HeaderMutation } from "./header-mutation.js";
import { compileRegexRewrite, type RegexRewrite } from "./path-rewrite.js";
import { compileQueryMatchers, type QueryPredicate } from "./query-matcher.js";
import type { RouteRequest } from "./route-request.js";
import { compileRegex } from "./string-matcher.js";

/** Envoy's default route timeout (RouteAction.timeout) when unset. */
const DEFAULT_TIMEOUT_MS = 15_000;

const REDIRECT_CODES: Record<string, number> = {
  MOVED_PERMANENTLY: 301, FOUND: 302, SEE_OTHER: 303, TEMPORARY_REDIRECT: 307, PERMANENT_REDIRECT: 308,
};

const NO_FILTER_CONFIG: ReadonlyMap<string, XdsObject> = new Map();

/** A route action that forwards upstream. Index-aligned per-cluster fields hold the weighted-cluster level. */
export interface ClusterAction {
  readonly kind: "cluster";
  readonly clusters: readonly string[];
  readonly cumulativeWeights: readonly number[];
  readonly totalWeight: number;
  readonly timeoutMs: number;
  /** RouteAction.prefix_rewrite: replaces `matchedPrefix` (the prefix or exact path matched), or the whole path after a regex match. */
  readonly prefixRewrite: string | undefined;
  readonly matchedPrefix: string;
  /** The match was a regex: prefix_rewrite replaces the whole path (query kept). */
  readonly wholePathRewrite: boolean;
  readonly regexRewrite: RegexRewrite | undefined;
  /** RouteAction.host_rewrite_literal. */
  readonly hostRewrite: string | undefined;
  /** Weighted-cluster host_rewrite_literal per cluster (undefined entries: none). */
  readonly clusterHostRewrites: readonly (string | undefined)[];
  readonly clusterRequestHeaders: readonly (HeaderMutation | undefined)[];
  readonly clusterResponseHeaders: readonly (HeaderMutation | undefined)[];
  /** The raw RouteAction (retry_policy, request_mirror_policies, hash_policy, ... for the router's other parts). */
  readonly raw: XdsObject;
}

export interface DirectAction { readonly kind: "direct"; readonly status: number; readonly body: string }

export interface RedirectAction {
  readonly kind: "redirect";
  readonly status: number;
  /** scheme_redirect, or "https" for https_redirect; undefined keeps the request's. */
  readonly scheme: string | undefined;
  readonly host: string | undefined;
  /** 0: keep. */
  readonly port: number;
  readonly path: string | undefined;
  readonly prefixRewrite: string | undefined;
  readonly regexRewrite: RegexRewrite | undefined;
  readonly matchedPrefix: string;
  readonly wholePathRewrite: boolean;
  readonly stripQuery: boolean;
}

export type RouteAction = ClusterAction | DirectAction | RedirectAction;

const enum PathKind { Prefix, Path, Regex, PathSeparatedPrefix }

/** Header edits of the enclosing virtual host and route configuration, applied after the route's. */
export interface EnclosingHeaders {
  readonly request: readonly HeaderMutation[];
  readonly response: readonly HeaderMutation[];
  /** The raw VirtualHost (retry_policy, cors, typed_per_filter_config, ...). */
  readonly virtualHostRaw: XdsObject;
  readonly virtualHostFilterConfig: ReadonlyMap<string, XdsObject>;
}

/** Immutable; `matches` is called per request. */
export class RouteEntry {
  private constructor(
    readonly name: string,
    private readonly pathKind: PathKind,
    private readonly pathValue: string,
    private readonly regex: RE2JS | undefined,
    /** A literal every path the regex fully matches starts with (a cheap pre-check), or "". */
    private readonly regexPrefix: string,
    private readonly caseSensitive: boolean,
    private readonly headerMatchers: readonly HeaderPredicate[],
    private readonly queryMatcher: QueryPredicate | undefined,
    readonly action: RouteAction,
    /** Request header edits in Envoy's order: route, then virtual host, then route configuration. */
    readonly requestHeaders: readonly HeaderMutation[],
    /** Response header edits in the same order. */
    readonly responseHeaders: readonly HeaderMutation[],
    /** Per-filter config by filter name: the route's, else the virtual host's (most specific wins). */
    readonly typedPerFilterConfig: ReadonlyMap<string, XdsObject>,
    readonly virtualHostRaw: XdsObject,
    readonly raw: XdsObject,
  ) {}

  static compile(resource: string, route: XdsObject, enclosing?: EnclosingHeaders): RouteEntry {
    const match = objectField(resource, route, "match") ?? invalid(resource, "route without match");
    const caseSensitive = wrapped(match, "case_sensitive", true);
    let pathKind: PathKind;
    let pathValue = "";
    let regex: RE2JS | undefined;
    if (typeof match.prefix === "string") { pathKind = PathKind.Prefix; pathValue = match.prefix; }
    else if (typeof match.path === "string") { pathKind = PathKind.Path; pathValue = match.path; }
    else if (objectField(resource, match, "safe_regex")) {
      pathKind = PathKind.Regex;
      regex = compileRegex(resource, (match.safe_regex as XdsObject).regex);
    } else if (typeof match.path_separated_prefix === "string") {
      pathKind = PathKind.PathSeparatedPrefix;
      pathValue = match.path_separated_prefix;
      if (!pathValue.startsWith("/") || /[?#]/.test(pathValue) || (pathValue.endsWith("/") && pathValue !== "/")) {
        invalid(resource, `path_separated_prefix ${pathValue} must start with / and not end with / or contain ? or #`);
      }
    } else invalid(resource, "route match needs prefix, path, safe_regex or path_separated_prefix");
    // Envoy: case_sensitive does not apply to safe_regex matching.
    const effectiveCaseSensitive = pathKind === PathKind.Regex ? true : caseSensitive;
    if (!effectiveCaseSensitive) pathValue = pathValue.toLowerCase();
    const headerMatchers = arrayField(resource, match, "headers").map((h) => compileHeaderMatcher(resource, h));
    const queryMatcher = compileQueryMatchers(resource, arrayField(resource, match, "query_parameters"));
    // The part of the path prefix_rewrite replaces: the prefix (or exact path) matched, or for a regex the whole path.
    const action = compileAction(resource, route, pathValue, pathKind === PathKind.Regex);
    const req = compileHeaderMutation(resource, route, "request");
    const resp = compileHeaderMutation(resource, route, "response");
    const perFilter = filterConfigs(resource, route);
    let typed = enclosing?.virtualHostFilterConfig ?? NO_FILTER_CONFIG;
    if (perFilter.size > 0) {
      const merged = new Map(typed);
      for (const [k, v] of perFilter) merged.set(k, v);
      typed = merged;
    }
    const regexPrefix = regex ? literalPrefix((match.safe_regex as XdsObject).regex as string) : "";
    return new RouteEntry(stringField(resource, route, "name") ?? "", pathKind, pathValue, regex, regexPrefix, effectiveCaseSensitive,
      headerMatchers, queryMatcher, action,
      req ? [req, ...(enclosing?.request ?? [])] : enclosing?.request ?? [],
      resp ? [resp, ...(enclosing?.response ?? [])] : enclosing?.response ?? [],
      typed, enclosing?.virtualHostRaw ?? {}, route);
  }

  /**
   * Whether the request matches, given its path without the query (`path`) and, for case-insensitive routes, that
   * path lowercased (`lowerPath`, computed once per request by the caller: the route table).
   */
  matchesPath(req: RouteRequest, path: string, lowerPath: string): boolean {
    const p = this.caseSensitive ? path : lowerPath;
    switch (this.pathKind) {
      case PathKind.Prefix: if (!p.startsWith(this.pathValue)) return false; break;
      case PathKind.Path: if (p !== this.pathValue) return false; break;
      case PathKind.Regex:
        if (this.regexPrefix !== "" && !p.startsWith(this.regexPrefix)) return false;
        if (!this.regex!.matches(p)) return false;
        break;
      case PathKind.PathSeparatedPrefix: {
        const v = this.pathValue;
        if (!p.startsWith(v) || (p.length > v.length && p.charCodeAt(v.length) !== 47 && v !== "/")) return false;
        break;
      }
    }
    for (let i = 0; i < this.headerMatchers.length; i++) if (!this.headerMatchers[i](req)) return false;
    if (this.queryMatcher !== undefined && !this.queryMatcher(req.path)) return false;
    return true;
  }

  get isCaseSensitive(): boolean {
    return this.caseSensitive;
  }
}

/**
 * The literal text a full match of `regex` must start with: its leading characters up to the first metacharacter
 * (a character a quantifier follows is optional, so it is left out). "" when unsure (alternation, escapes, groups).
 */
export function literalPrefix(regex: string): string {
  if (regex.includes("|")) return "";
  let i = regex.startsWith("^") ? 1 : 0;
  let out = "";
  for (; i < regex.length; i++) {
    const c = regex[i];
    if (".^$*+?()[]{}\\|".includes(c)) {
      if (c === "*" || c === "?" || c === "{") out = out.slice(0, -1);
      return out;
    }
    out += c;
  }
  return out;
}

/** The path without query or fragment. */
export function pathOnly(path: string): string {
  let q = path.indexOf("?");
  if (q === -1) q = path.indexOf("#");
  return q === -1 ? path : path.slice(0, q);
}

/** typed_per_filter_config (map<string, Any>, decoded with "@type") → filter name → config; FilterConfig wrappers unwrapped. */
export function filterConfigs(resource: string, o: XdsObject): ReadonlyMap<string, XdsObject> {
  const m = objectField(resource, o, "typed_per_filter_config");
  if (!m) return NO_FILTER_CONFIG;
  const out = new Map<string, XdsObject>();
  for (const [name, v] of Object.entries(m)) {
    if (typeof v !== "object" || v === null) invalid(resource, `typed_per_filter_config ${name} must be an Any`);
    const cfg = v as XdsObject;
    // envoy.config.route.v3.FilterConfig wraps the real config (and may mark it optional or disabled).
    if (cfg["@type"] === "type.googleapis.com/envoy.config.route.v3.FilterConfig" && typeof cfg.config === "object" && cfg.config !== null) {
      out.set(name, cfg.config as XdsObject);
    } else out.set(name, cfg);
  }
  return out;
}

/**
 * Picks a cluster index from a cluster action: weighted by a uniform draw from `random` (in [0, 1)); weight-0
 * clusters never win.
 */
export function pickClusterIndex(action: ClusterAction, random: () => number = Math.random): number {
  if (action.clusters.length === 1) return 0;
  const r = random() * action.totalWeight;
  const cw = action.cumulativeWeights;
  for (let i = 0; i < cw.length; i++) if (r < cw[i]) return i;
  return action.clusters.length - 1;
}

function compileAction(resource: string, route: XdsObject, matchedPrefix: string, wholePath: boolean): RouteAction {
  const ra = objectField(resource, route, "route");
  if (ra) {
    const timeoutMs = durationMs(resource, ra, "timeout", DEFAULT_TIMEOUT_MS);
    const prefixRewrite = stringField(resource, ra, "prefix_rewrite");
    const rr = objectField(resource, ra, "regex_rewrite");
    const regexRewrite = rr ? compileRegexRewrite(resource, rr) : undefined;
    if (prefixRewrite !== undefined && prefixRewrite !== "" && regexRewrite) invalid(resource, "prefix_rewrite and regex_rewrite are exclusive");
    const hostRewrite = stringField(resource, ra, "host_rewrite_literal") || undefined;
    const base = {
      kind: "cluster" as const, timeoutMs, prefixRewrite: prefixRewrite || undefined, matchedPrefix,
      wholePathRewrite: wholePath, regexRewrite, hostRewrite, raw: ra,
    };
    if (typeof ra.cluster === "string" && ra.cluster !== "") {
      return { ...base, clusters: [ra.cluster], cumulativeWeights: [1], totalWeight: 1, clusterHostRewrites: [undefined], clusterRequestHeaders: [undefined], clusterResponseHeaders: [undefined] };
    }
    const wc = objectField(resource, ra, "weighted_clusters");
    if (wc) {
      const clusters: string[] = [];
      const cumulative: number[] = [];
      const hosts: (string | undefined)[] = [];
      const reqH: (HeaderMutation | undefined)[] = [];
      const respH: (HeaderMutation | undefined)[] = [];
      let total = 0;
      for (const c of arrayField(resource, wc, "clusters")) {
        const name = stringField(resource, c, "name") ?? invalid(resource, "weighted cluster without name");
        const w = wrapped(c, "weight", 0);
        if (!(w >= 0)) invalid(resource, `weighted cluster ${name} has invalid weight`);
        if (w === 0) continue;
        total += w;
        clusters.push(name);
        cumulative.push(total);
        hosts.push(stringField(resource, c, "host_rewrite_literal") || undefined);
        reqH.push(compileHeaderMutation(resource, c, "request"));
        respH.push(compileHeaderMutation(resource, c, "response"));
      }
      if (total === 0) invalid(resource, "weighted_clusters total weight must be > 0");
      return { ...base, clusters, cumulativeWeights: cumulative, totalWeight: total, clusterHostRewrites: hosts, clusterRequestHeaders: reqH, clusterResponseHeaders: respH };
    }
    invalid(resource, "route action needs cluster or weighted_clusters");
  }
  const dr = objectField(resource, route, "direct_response");
  if (dr) {
    const status = Number(dr.status);
    if (!(status >= 200 && status < 600)) invalid(resource, `direct_response status ${String(dr.status)} out of range`);
    const body = objectField(resource, dr, "body");
    let text = "";
    if (typeof body?.inline_string === "string") text = body.inline_string;
    else if (typeof body?.inline_bytes === "string") text = Buffer.from(body.inline_bytes, "base64").toString("latin1");
    return { kind: "direct", status, body: text };
  }
  const rd = objectField(resource, route, "redirect");
  if (rd) {
    const code = typeof rd.response_code === "string" ? REDIRECT_CODES[rd.response_code] : 301;
    if (code === undefined) invalid(resource, `unknown redirect response_code ${String(rd.response_code)}`);
    const rr = objectField(resource, rd, "regex_rewrite");
    return {
      kind: "redirect", status: code,
      scheme: rd.https_redirect === true ? "https" : stringField(resource, rd, "scheme_redirect") || undefined,
      host: stringField(resource, rd, "host_redirect") || undefined,
      port: Number(rd.port_redirect ?? 0),
      path: stringField(resource, rd, "path_redirect") || undefined,
      prefixRewrite: stringField(resource, rd, "prefix_rewrite") || undefined,
      regexRewrite: rr ? compileRegexRewrite(resource, rr) : undefined,
      matchedPrefix,
      wholePathRewrite: wholePath,
      stripQuery: rd.strip_query === true,
    };
  }
  invalid(resource, "route needs route, direct_response or redirect");
}
