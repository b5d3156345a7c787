// envoy.filters.http.cors: answers matching preflights locally and adds allow-origin headers to responses (Envoy cors_filter.cc).

import { registerHttpFilter } from "../http-filter-registry.js";
import { FilterStatus, type HttpFilter, type HttpFilterCallbacks, type HttpFilterFactory } from "../http-filter.js";
import { rollFractionalPercent } from "../../config/fractional-percent.js";
import type { XdsObject } from "../../config/xds-fields.js";
import type { RequestHead } from "../../http/request-head.js";
import type { ResponseHead } from "../../http/response-head.js";
import type { RouteEntry } from "../../router/route-entry.js";
import type { HttpConnectionManagerStats } from "../../stats/proxy-stats.js";
import { headerValue } from "../../router/route-request.js";
import { tryCompileCorsPolicy, type CorsPolicy } from "./cors-policy.js";

export const CORS_TYPE = "type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors";
/** The name routes and virtual hosts use in typed_per_filter_config. */
export const CORS_FILTER_NAME = "envoy.filters.http.cors";

/** The connection manager counters the filter increments (`http.<stat_prefix>.cors.*`). */
export type CorsStats = Pick<HttpConnectionManagerStats, "cors_origin_valid" | "cors_origin_invalid">;

export class CorsFilterFactory implements HttpFilterFactory {
  constructor(private readonly stats: CorsStats, private readonly random: () => number = Math.random) {}

  create(callbacks: HttpFilterCallbacks): HttpFilter {
    return new CorsFilter(callbacks, this.stats, this.random);
  }
}

class CorsFilter implements HttpFilter {
  private policies: readonly CorsPolicy[] = [];
  private isCorsRequest = false;
  private latchedOrigin = "";

  constructor(private readonly cb: HttpFilterCallbacks, private readonly stats: CorsStats, private readonly random: () => number) {}

  decodeHeaders(head: RequestHead): FilterStatus {
    const route = this.cb.route();
    // Envoy: no route entry (no route, or a direct response / redirect) → not handled here.
    if (route === undefined || route.action.kind !== "cluster") return FilterStatus.Continue;
    this.policies = corsPolicies(route);
    if (this.policies.length === 0) return FilterStatus.Continue;
    const first = this.policies[0];
    const enabled = rollFractionalPercent(first.filterEnabled, this.random);
    const shadow = first.shadowEnabled !== undefined && rollFractionalPercent(first.shadowEnabled, this.random);
    if (!enabled && !shadow) return FilterStatus.Continue;

    const origin = headerValue(head, "origin");
    if (origin === undefined || origin === "") return FilterStatus.Continue;
    const allowed = this.isOriginAllowed(origin);
    if (allowed) {
      this.stats.cors_origin_valid++;
      this.latchedOrigin = origin;
    } else {
      this.stats.cors_origin_invalid++;
    }
    if (shadow && !enabled) return FilterStatus.Continue;
    this.isCorsRequest = true;

    if (head.method !== "OPTIONS") return FilterStatus.Continue;
    const requestMethod = headerValue(head, "access-control-request-method");
    if (requestMethod === undefined || requestMethod === "") return FilterStatus.Continue;
    // A preflight: OPTIONS with a non-empty Origin and Access-Control-Request-Method.
    if (!allowed && this.pick((p) => p.forwardNotMatchingPreflights, true)) return FilterStatus.Continue;

    const out: string[] = [];
    if (allowed) out.push("access-control-allow-origin", origin);
    if (this.pick((p) => p.allowCredentials, false)) out.push("access-control-allow-credentials", "true");
    const methods = this.pickString((p) => p.allowMethods);
    if (methods !== "") out.push("access-control-allow-methods", methods === "*" ? requestMethod : methods);
    const allowHeaders = this.pickString((p) => p.allowHeaders);
    if (allowHeaders !== "") out.push("access-control-allow-headers", allowHeaders === "*" ? headerValue(head, "access-control-request-headers") ?? "" : allowHeaders);
    const maxAge = this.pickString((p) => p.maxAge);
    if (maxAge !== "") out.push("access-control-max-age", maxAge);
    if (this.pick((p) => p.allowPrivateNetworkAccess, false) && headerValue(head, "access-control-request-private-network") === "true") {
      out.push("access-control-allow-private-network", "true");
    }
    this.cb.sendLocalReply(200, "", 0, out);
    return FilterStatus.StopIteration;
  }

  encodeHeaders(head: ResponseHead): void {
    // Origin did not match (or this is not a CORS request): the response is left alone.
    if (!this.isCorsRequest || this.latchedOrigin === "") return;
    setHeader(head.headers, "access-control-allow-origin", this.latchedOrigin);
    if (this.pick((p) => p.allowCredentials, false)) setHeader(head.headers, "access-control-allow-credentials", "true");
    const expose = this.pickString((p) => p.exposeHeaders);
    if (expose !== "") setHeader(head.headers, "access-control-expose-headers", expose);
  }

  /** Envoy isOriginAllowed: the first policy with allow origins decides; a matcher matching "*" allows any origin. */
  private isOriginAllowed(origin: string): boolean {
    for (const p of this.policies) {
      if (p.allowOrigins.length === 0) continue;
      for (const m of p.allowOrigins) if (m("*") || m(origin)) return true;
      return false;
    }
    return false;
  }

  private pick(get: (p: CorsPolicy) => boolean | undefined, fallback: boolean): boolean {
    for (const p of this.policies) {
      const v = get(p);
      if (v !== undefined) return v;
    }
    return fallback;
  }

  private pickString(get: (p: CorsPolicy) => string): string {
    for (const p of this.policies) {
      const v = get(p);
      if (v !== "") return v;
    }
    return "";
  }
}

/**
 * The policies in precedence order (Envoy CorsFilter::initializeCorsPolicies): typed_per_filter_config of the route
 * then of the virtual host; only when neither has one, the legacy RouteAction.cors then VirtualHost.cors.
 */
function corsPolicies(route: RouteEntry): readonly CorsPolicy[] {
  let cached = policiesByRoute.get(route);
  if (cached === undefined) {
    cached = resolvePolicies(route);
    policiesByRoute.set(route, cached);
  }
  return cached;
}

/** Resolved once per route (RouteEntry objects are immutable and replaced on each RDS update). */
const policiesByRoute = new WeakMap<RouteEntry, readonly CorsPolicy[]>();

function resolvePolicies(route: RouteEntry): readonly CorsPolicy[] {
  const out: CorsPolicy[] = [];
  const vh = route.virtualHostRaw;
  const own = (route.raw.typed_per_filter_config as XdsObject | undefined)?.[CORS_FILTER_NAME] as XdsObject | undefined;
  const push = (where: string, o: XdsObject | undefined): void => {
    const p = o === undefined ? undefined : tryCompileCorsPolicy(where, o);
    if (p !== undefined) out.push(p);
  };
  push(`route ${route.name}: cors`, own);
  const vhTyped = (vh.typed_per_filter_config as XdsObject | undefined)?.[CORS_FILTER_NAME] as XdsObject | undefined;
  push(`virtual host ${String(vh.name)}: cors`, vhTyped);
  if (out.length > 0) return out;
  const legacyRoute = route.action.kind === "cluster" ? route.action.raw.cors as XdsObject | undefined : undefined;
  push(`route ${route.name}: cors`, legacyRoute ?? undefined);
  const legacyVh = vh.cors as XdsObject | undefined;
  push(`virtual host ${String(vh.name)}: cors`, legacyVh ?? undefined);
  return out;
}

/** Replaces every value of `name` with one `value` (Envoy setInline). */
function setHeader(headers: string[], name: string, value: string): void {
  let set = false;
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] !== name) continue;
    if (!set) { headers[i + 1] = value; set = true; }
    else { headers.splice(i, 2); i -= 2; }
  }
  if (!set) headers.push(name, value);
}

registerHttpFilter(CORS_TYPE, {
  terminal: false,
  createFilterFactory: (_config, _resource, stats) => new CorsFilterFactory(stats),
});
