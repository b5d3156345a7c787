// One compiled envoy.config.route.v3.Route: its match (path, headers, case) and its action (cluster(s), direct response, redirect).

import type { RE2JS } from "re2js";
import { arrayField, durationMs, invalid, objectField, stringField, wrapped, type XdsObject } from "../config/xds-fields.js";
import { compileHeaderMatcher, type HeaderPredicate } from "./header-matcher.js";
import { compileRegex } from "./string-matcher.js";

/** Envoy's default route timeout (RouteAction.timeout) when unset. */
const DEFAULT_TIMEOUT_MS = 15_000;

const REDIRECT_CODES: Record<string, number> = {
  MOVED_PERMANENTLY: 301, FOUND: 302, SEE_OTHER: 303, TEMPORARY_REDIRECT: 307, PERMANENT_REDIRECT: 308,
};

export type RouteAction =
  | { kind: "cluster"; clusters: readonly string[]; cumulativeWeights: readonly number[]; totalWeight: number; timeoutMs: number; prefixRewrite: string | undefined; matchedPrefix: string; hostRewrite: string | undefined }
  | { kind: "direct"; status: number; body: string }
  | { kind: "redirect"; status: number; scheme: string | undefined; host: string | undefined; port: number; path: string | undefined; stripQuery: boolean };

const enum PathKind { Prefix, Path, Regex }

/** Immutable; `matches` is called per request with the path (query included) and headers. */
export class RouteEntry {
  private constructor(
    readonly name: string,
    private readonly pathKind: PathKind,
    private readonly pathValue: string,
    private readonly regex: RE2JS | undefined,
    private readonly caseSensitive: boolean,
    private readonly headerMatchers: readonly HeaderPredicate[],
    readonly action: RouteAction,
  ) {}

  static compile(resource: string, route: XdsObject): RouteEntry {
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
    } else invalid(resource, "route match needs prefix, path or safe_regex");
    if (!caseSensitive) pathValue = pathValue.toLowerCase();
    const headerMatchers = arrayField(resource, match, "headers").map((h) => compileHeaderMatcher(resource, h));
    return new RouteEntry(stringField(resource, route, "name") ?? "", pathKind, pathValue, regex, caseSensitive,
      headerMatchers, compileAction(resource, route, pathKind === PathKind.Prefix ? pathValue : ""));
  }

  matches(path: string, headers: readonly string[]): boolean {
    let q = path.indexOf("?");
    if (q === -1) q = path.indexOf("#");
    let p = q === -1 ? path : path.slice(0, q);
    if (!this.caseSensitive) p = p.toLowerCase();
    switch (this.pathKind) {
      case PathKind.Prefix: if (!p.startsWith(this.pathValue)) return false; break;
      case PathKind.Path: if (p !== this.pathValue) return false; break;
      case PathKind.Regex: if (!this.regex!.matches(p)) return false; break;
    }
    for (let i = 0; i < this.headerMatchers.length; i++) if (!this.headerMatchers[i](headers)) return false;
    return true;
  }
}

/** Picks a cluster from a cluster action: weighted by a uniform random draw; weight-0 clusters never win. */
export function pickCluster(action: Extract<RouteAction, { kind: "cluster" }>): string {
  if (action.clusters.length === 1) return action.clusters[0];
  const r = Math.random() * action.totalWeight;
  const cw = action.cumulativeWeights;
  for (let i = 0; i < cw.length; i++) if (r < cw[i]) return action.clusters[i];
  return action.clusters[action.clusters.length - 1];
}

function compileAction(resource: string, route: XdsObject, matchedPrefix: string): RouteAction {
  const ra = objectField(resource, route, "route");
  if (ra) {
    const timeoutMs = durationMs(resource, ra, "timeout", DEFAULT_TIMEOUT_MS);
    const prefixRewrite = stringField(resource, ra, "prefix_rewrite");
    const hostRewrite = stringField(resource, ra, "host_rewrite_literal");
    if (typeof ra.cluster === "string" && ra.cluster !== "") {
      return { kind: "cluster", clusters: [ra.cluster], cumulativeWeights: [1], totalWeight: 1, timeoutMs, prefixRewrite, matchedPrefix, hostRewrite };
    }
    const wc = objectField(resource, ra, "weighted_clusters");
    if (wc) {
      const clusters: string[] = [];
      const cumulative: number[] = [];
      let total = 0;
      for (const c of arrayField(resource, wc, "clusters")) {
        const name = stringField(resource, c, "name") ?? invalid(resource, "weighted cluster without name");
        const w = wrapped(c, "weight", 0);
        if (!(w >= 0)) invalid(resource, `weighted cluster ${name} has invalid weight`);
        if (w === 0) continue;
        total += w;
        clusters.push(name);
        cumulative.push(total);
      }
      if (total === 0) invalid(resource, "weighted_clusters total weight must be > 0");
      return { kind: "cluster", clusters, cumulativeWeights: cumulative, totalWeight: total, timeoutMs, prefixRewrite, matchedPrefix, hostRewrite };
    }
    invalid(resource, "route action needs cluster or weighted_clusters");
  }
  const dr = objectField(resource, route, "direct_response");
  if (dr) {
    const status = Number(dr.status);
    if (!(status >= 200 && status < 600)) invalid(resource, `direct_response status ${dr.status} out of range`);
    const body = objectField(resource, dr, "body");
    return { kind: "direct", status, body: typeof body?.inline_string === "string" ? body.inline_string : "" };
  }
  const rd = objectField(resource, route, "redirect");
  if (rd) {
    const code = typeof rd.response_code === "string" ? REDIRECT_CODES[rd.response_code] : 301;
    if (code === undefined) invalid(resource, `unknown redirect response_code ${String(rd.response_code)}`);
    return {
      kind: "redirect", status: code,
      scheme: rd.https_redirect === true ? "https" : stringField(resource, rd, "scheme_redirect"),
      host: stringField(resource, rd, "host_redirect"),
      port: Number(rd.port_redirect ?? 0),
      path: stringField(resource, rd, "path_redirect"),
      stripQuery: rd.strip_query === true,
    };
  }
  invalid(resource, "route needs route, direct_response or redirect");
}
