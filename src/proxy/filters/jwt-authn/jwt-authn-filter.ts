// envoy.filters.http.jwt_authn: verifies JWTs per the matching rule's requirement; 401/403 with Envoy's bodies, payloads to StreamInfo.

import { JWT_AUTHN_TYPE } from "../../../xds/type-urls.js";
import { Logger } from "../../../shared/logger.js";
import { registerHttpFilter } from "../http-filter-registry.js";
import { FilterStatus, type HttpFilter, type HttpFilterCallbacks, type HttpFilterFactory } from "../http-filter.js";
import type { RequestHead } from "../../http/request-head.js";
import type { HttpConnectionManagerStats } from "../../stats/proxy-stats.js";
import { PerRouteConfigCache } from "../../config/per-route-config-cache.js";
import { headerValue } from "../../router/route-request.js";
import { pathOnly } from "../../router/route-entry.js";
import { compileJwtAuthnConfig, compileJwtPerRoute, type JwtAuthnConfig, type JwtRequirement } from "./jwt-authn-config.js";
import { evaluateRequirement } from "./jwt-authenticator.js";
import { removeHeader } from "./jwt-extractor.js";
import { JwtStatus } from "./jwt-status.js";

/** The filter's canonical name: the dynamic metadata namespace and the typed_per_filter_config key (Istio's). */
export const JWT_AUTHN_FILTER_NAME = "envoy.filters.http.jwt_authn";

/** The connection manager counters the filter increments (`http.<stat_prefix>.jwt_authn.*`). */
export type JwtAuthnStats = Pick<HttpConnectionManagerStats,
  "jwt_authn_allowed" | "jwt_authn_denied" | "jwt_authn_jwks_fetch_success" | "jwt_authn_jwks_fetch_failed">;

/** Envoy's MaximumUriLength for the www-authenticate realm. */
const MAX_REALM_PATH = 256;

const perRouteConfigs = new PerRouteConfigCache(new Logger("jwt_authn"), "jwt_authn PerRouteConfig", compileJwtPerRoute);

export class JwtAuthnFilterFactory implements HttpFilterFactory {
  /** Headers a request may not bring itself: forward_payload_header and claim_to_headers targets (Envoy sanitizePayloadHeaders). */
  private readonly sanitized: readonly string[];

  constructor(private readonly config: JwtAuthnConfig, private readonly stats: JwtAuthnStats) {
    const names = new Set<string>();
    for (const p of config.providers.values()) {
      if (p.forwardPayloadHeader !== "") names.add(p.forwardPayloadHeader);
      for (const c of p.claimToHeaders) names.add(c.header);
      p.jwks.warm(stats);
    }
    this.sanitized = [...names];
  }

  create(callbacks: HttpFilterCallbacks): HttpFilter {
    return new JwtAuthnFilter(this.config, callbacks, this.stats, this.sanitized);
  }
}

class JwtAuthnFilter implements HttpFilter {
  private done = false;

  constructor(private readonly config: JwtAuthnConfig, private readonly cb: HttpFilterCallbacks,
    private readonly stats: JwtAuthnStats, private readonly sanitized: readonly string[]) {}

  decodeHeaders(head: RequestHead): FilterStatus {
    if (this.config.bypassCorsPreflight && isCorsPreflight(head)) {
      this.stats.jwt_authn_allowed++;
      return FilterStatus.Continue;
    }
    const found = this.requirement(head);
    if (typeof found === "string") {
      this.stats.jwt_authn_denied++;
      this.cb.streamInfo.responseCodeDetails = rcDetails(found);
      this.cb.sendLocalReply(403, this.config.stripFailureResponse ? "" : `Failed JWT authentication: ${found}`);
      return FilterStatus.StopIteration;
    }
    if (found === undefined) {
      this.stats.jwt_authn_allowed++;
      return FilterStatus.Continue;
    }
    for (const name of this.sanitized) removeHeader(head.headers, name);
    const payloads = new Map<string, Readonly<Record<string, unknown>>>();
    evaluateRequirement(found, { head, stats: this.stats, now: Math.floor(Date.now() / 1000), payloads, verified: new Map() })
      .catch(() => JwtStatus.JwtVerificationFail)
      .then((status) => this.complete(head, status, payloads));
    return FilterStatus.StopIteration;
  }

  onStreamComplete(): void {
    this.done = true;
  }

  /**
   * The requirement to verify: the route's PerRouteConfig (disabled → none, requirement_name → requirement_map),
   * else the first rule whose match fits; undefined for none; a string (error) for an unknown requirement_name.
   */
  private requirement(head: RequestHead): JwtRequirement | undefined | string {
    const route = this.cb.route();
    const own = route?.typedPerFilterConfig.get(JWT_AUTHN_FILTER_NAME);
    if (own !== undefined) {
      const per = perRouteConfigs.tryCompile(`route ${route!.name}: typed_per_filter_config ${JWT_AUTHN_FILTER_NAME}`, own);
      if (per !== undefined) {
        if (per.disabled) return undefined;
        return this.config.requirementMap.get(per.requirementName)
          ?? `Wrong requirement_name: ${per.requirementName}. It should be one of [${[...this.config.requirementMap.keys()].join(",")}]`;
      }
    }
    if (this.config.rules.length === 0) return undefined;
    const path = pathOnly(head.path);
    const lower = path.toLowerCase();
    for (const rule of this.config.rules) if (rule.match.matchesPath(head, path, lower)) return rule.requires;
    return undefined;
  }

  private complete(head: RequestHead, status: JwtStatus, payloads: Map<string, Readonly<Record<string, unknown>>>): void {
    // The downstream went away while keys were fetched or signatures checked.
    if (this.done) return;
    this.done = true;
    if (status === JwtStatus.Ok) {
      this.stats.jwt_authn_allowed++;
      if (payloads.size > 0) this.cb.streamInfo.jwtPayloads = payloads;
      this.cb.continueDecoding();
      return;
    }
    this.stats.jwt_authn_denied++;
    this.cb.streamInfo.responseCodeDetails = rcDetails(status);
    // Envoy filter.cc onComplete: 403 for a disallowed audience, 401 otherwise, the status message as the body.
    const code = status === JwtStatus.JwtAudienceNotAllowed ? 403 : 401;
    if (this.config.stripFailureResponse) {
      this.cb.sendLocalReply(code, "");
      return;
    }
    let challenge = `Bearer realm="${originalUri(head)}"`;
    if (status !== JwtStatus.JwtMissed) challenge += ', error="invalid_token"';
    this.cb.sendLocalReply(code, status, 0, ["www-authenticate", challenge]);
  }
}

/** Envoy's response code details for a refusal: `jwt_authn_access_denied{<message, blanks as _>}`. */
function rcDetails(message: string): string {
  return `jwt_authn_access_denied{${message.replace(/\s/g, "_")}}`;
}

function isCorsPreflight(head: RequestHead): boolean {
  return head.method === "OPTIONS" && !!headerValue(head, "origin") && !!headerValue(head, "access-control-request-method");
}

/** Envoy Http::Utility::buildOriginalUri: x-forwarded-proto://host + path (with query), the path cut at 256 bytes. */
function originalUri(head: RequestHead): string {
  const scheme = headerValue(head, "x-forwarded-proto") ?? "http";
  const path = head.path.length > MAX_REALM_PATH ? head.path.slice(0, MAX_REALM_PATH) : head.path;
  return `${scheme}://${head.host}${path}`;
}

registerHttpFilter(JWT_AUTHN_TYPE, {
  terminal: false,
  createFilterFactory: (typedConfig, resourceName, stats) => new JwtAuthnFilterFactory(compileJwtAuthnConfig(resourceName, typedConfig), stats),
});
