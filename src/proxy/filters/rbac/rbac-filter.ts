// envoy.filters.http.rbac: enforces (and shadow-evaluates) RBAC policies on request headers, per Envoy's rbac_filter.cc.

import { RBAC_TYPE } from "../../../xds/type-urls.js";
import { invalid, objectField, stringField, type XdsObject } from "../../config/xds-fields.js";
import { PerRouteConfigCache } from "../../config/per-route-config-cache.js";
import { registerHttpFilter } from "../http-filter-registry.js";
import { FilterStatus, type HttpFilter, type HttpFilterCallbacks, type HttpFilterFactory } from "../http-filter.js";
import type { RequestHead } from "../../http/request-head.js";
import type { HttpConnectionManagerStats } from "../../stats/proxy-stats.js";
import { Logger } from "../../../shared/logger.js";
import { RbacAction, RbacEngine } from "./rbac-engine.js";
import { RbacRequest } from "./rbac-request.js";

/** The filter's canonical name: its dynamic metadata namespace and its typed_per_filter_config key (Istio uses it). */
export const RBAC_FILTER_NAME = "envoy.filters.http.rbac";

/** The body and details Envoy answers a denied request with. */
export const RBAC_DENIED_BODY = "RBAC: access denied";

/** The enforced and shadow engines of one RBAC (the filter's, or a route's RBACPerRoute); either may be absent. */
export interface RbacEngines {
  readonly engine: RbacEngine | undefined;
  readonly shadowEngine: RbacEngine | undefined;
}

/** Immutable; compiled once per filter config. */
export interface RbacFilterConfig extends RbacEngines {
  readonly rulesStatPrefix: string;
  readonly shadowRulesStatPrefix: string;
}

/** `http.<stat_prefix>.rbac.*` counters, resolved once per filter config. */
interface RbacCounters {
  readonly allowed: { value: number };
  readonly denied: { value: number };
  readonly shadowAllowed: { value: number };
  readonly shadowDenied: { value: number };
}

/** Compiles envoy.extensions.filters.http.rbac.v3.RBAC; throws PROXY_CONFIG_INVALID on a bad or unsupported config. */
export function compileRbacFilterConfig(resource: string, o: XdsObject): RbacFilterConfig {
  return {
    ...compileEngines(resource, o),
    rulesStatPrefix: stringField(resource, o, "rules_stat_prefix") ?? "",
    shadowRulesStatPrefix: stringField(resource, o, "shadow_rules_stat_prefix") ?? "",
  };
}

function compileEngines(resource: string, o: XdsObject): RbacEngines {
  if (o.matcher != null || o.shadow_matcher != null) invalid(resource, "RBAC matcher / shadow_matcher (xDS matcher API) are not supported");
  const rules = objectField(resource, o, "rules");
  const shadow = objectField(resource, o, "shadow_rules");
  return {
    engine: rules === undefined ? undefined : RbacEngine.compile(`${resource}: rules`, rules),
    shadowEngine: shadow === undefined ? undefined : RbacEngine.compile(`${resource}: shadow_rules`, shadow),
  };
}

/** RBACPerRoute {rbac}: replaces the filter's engines on that route (an empty one disables enforcement there). */
const perRoute = new PerRouteConfigCache<RbacEngines>(new Logger("rbac"), "RBACPerRoute", (resource, o) => {
  const rbac = objectField(resource, o, "rbac");
  return rbac === undefined ? { engine: undefined, shadowEngine: undefined } : compileEngines(resource, rbac);
});

export class RbacFilterFactory implements HttpFilterFactory {
  private readonly counters: RbacCounters;

  constructor(private readonly config: RbacFilterConfig, stats: HttpConnectionManagerStats) {
    this.counters = {
      allowed: stats.rbacCounter(`${config.rulesStatPrefix}allowed`),
      denied: stats.rbacCounter(`${config.rulesStatPrefix}denied`),
      shadowAllowed: stats.rbacCounter(`${config.shadowRulesStatPrefix}shadow_allowed`),
      shadowDenied: stats.rbacCounter(`${config.shadowRulesStatPrefix}shadow_denied`),
    };
  }

  create(callbacks: HttpFilterCallbacks): HttpFilter {
    return new RbacFilter(this.config, this.counters, callbacks);
  }
}

class RbacFilter implements HttpFilter {
  constructor(private readonly config: RbacFilterConfig, private readonly counters: RbacCounters, private readonly cb: HttpFilterCallbacks) {}

  decodeHeaders(head: RequestHead): FilterStatus {
    const engines = this.routeEngines() ?? this.config;
    const info = this.cb.streamInfo;
    const req = new RbacRequest(head, info);
    const shadow = engines.shadowEngine;
    if (shadow !== undefined) {
      const d = shadow.evaluate(req);
      (d.allowed ? this.counters.shadowAllowed : this.counters.shadowDenied).value++;
      const p = this.config.shadowRulesStatPrefix;
      const fields: Record<string, unknown> = { [`${p}shadow_engine_result`]: d.allowed ? "allowed" : "denied" };
      if (d.policyId !== "") fields[`${p}shadow_effective_policy_id`] = d.policyId;
      info.setDynamicMetadata(RBAC_FILTER_NAME, fields);
    }
    const engine = engines.engine;
    if (engine === undefined) return FilterStatus.Continue;
    const d = engine.evaluate(req);
    const p = this.config.rulesStatPrefix;
    const fields: Record<string, unknown> = { [`${p}enforced_engine_result`]: d.allowed ? "allowed" : "denied" };
    if (d.policyId !== "") fields[`${p}enforced_effective_policy_id`] = d.policyId;
    info.setDynamicMetadata(RBAC_FILTER_NAME, fields);
    // LOG: the request goes on; a match asks access loggers to log it (Envoy's envoy.common access_log_hint).
    if (engine.action === RbacAction.Log) info.setDynamicMetadata("envoy.common", { access_log_hint: d.policyId !== "" });
    if (d.allowed) {
      this.counters.allowed.value++;
      return FilterStatus.Continue;
    }
    this.counters.denied.value++;
    // Envoy's RBAC::responseDetail: whitespace in the policy name becomes "_" so access logs keep their fields.
    info.responseCodeDetails = `rbac_access_denied_matched_policy[${d.policyId === "" ? "none" : d.policyId.replace(/\s/g, "_")}]`;
    this.cb.sendLocalReply(403, RBAC_DENIED_BODY);
    return FilterStatus.StopIteration;
  }

  private routeEngines(): RbacEngines | undefined {
    const route = this.cb.route();
    const own = route?.typedPerFilterConfig.get(RBAC_FILTER_NAME);
    return own === undefined ? undefined : perRoute.tryCompile(`route ${route!.name}: typed_per_filter_config ${RBAC_FILTER_NAME}`, own);
  }
}

registerHttpFilter(RBAC_TYPE, {
  terminal: false,
  createFilterFactory: (typedConfig, resourceName, stats) => new RbacFilterFactory(compileRbacFilterConfig(resourceName, typedConfig), stats),
});
