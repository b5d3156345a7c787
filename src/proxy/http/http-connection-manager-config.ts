// The compiled HttpConnectionManager of a listener: stat prefix, route source (RDS name or inline), HTTP filter chain.

import { HCM_TYPE } from "../../xds/type-urls.js";
import { arrayField, invalid, objectField, stringField, wrapped, type XdsObject } from "../config/xds-fields.js";
import { lookupHttpFilter } from "../filters/http-filter-registry.js";
import type { HttpFilterFactory } from "../filters/http-filter.js";
import { RouteTable } from "../router/route-table.js";
import type { HttpConnectionManagerStats } from "../stats/proxy-stats.js";

/** Immutable; built per LDS update. The router is implied (validated last) and not in `filterFactories`. */
export class HttpConnectionManagerConfig {
  private constructor(
    readonly statPrefix: string,
    /** RDS route_config_name, when routes come from RDS. */
    readonly rdsName: string | undefined,
    readonly inlineRoutes: RouteTable | undefined,
    /** Decoder/encoder filters before the router; empty in the common case (zero per-request overhead). */
    readonly filterFactories: readonly HttpFilterFactory[],
    readonly stats: HttpConnectionManagerStats,
    /** upgrade_configs: lower-case upgrade type → enabled (unset means true), e.g. "websocket" → true. */
    readonly upgradeTypes: ReadonlyMap<string, boolean>,
    /** http_protocol_options.enable_trailers: write trailers into chunked HTTP/1.1 responses (Envoy default: drop them). */
    readonly http1EnableTrailers: boolean,
  ) {}

  /**
   * True when an HTTP/1.1 upgrade to `upgrade` (the request's Upgrade value, any case) may be forwarded.
   * `routeUpgradeConfigs` is the matched RouteAction's decoded upgrade_configs: an entry for the type there
   * overrides the HCM either way (Envoy FilterChainUtility::createUpgradeFilterChain).
   */
  allowsUpgrade(upgrade: string, routeUpgradeConfigs?: unknown): boolean {
    const type = upgrade.toLowerCase();
    if (Array.isArray(routeUpgradeConfigs)) {
      for (const u of routeUpgradeConfigs as XdsObject[]) {
        if (typeof u?.upgrade_type === "string" && u.upgrade_type.toLowerCase() === type) return wrapped(u, "enabled", true);
      }
    }
    return this.upgradeTypes.get(type) === true;
  }

  /**
   * Parses an HCM typed_config. Unknown filter types reject the listener unless the filter is `is_optional`
   * (Envoy http_connection_manager.proto HttpFilter.is_optional); the last filter must be terminal (router).
   */
  static parse(resource: string, hcm: XdsObject, statsFor: (statPrefix: string) => HttpConnectionManagerStats): HttpConnectionManagerConfig {
    if (hcm["@type"] !== HCM_TYPE) invalid(resource, `expected ${HCM_TYPE}`);
    const statPrefix = stringField(resource, hcm, "stat_prefix") ?? invalid(resource, "HttpConnectionManager without stat_prefix");
    const rds = objectField(resource, hcm, "rds");
    const rc = objectField(resource, hcm, "route_config");
    let rdsName: string | undefined;
    let inlineRoutes: RouteTable | undefined;
    if (rds) rdsName = stringField(resource, rds, "route_config_name") ?? invalid(resource, "rds without route_config_name");
    else if (rc) inlineRoutes = RouteTable.compile(`${resource}: route_config ${String(rc.name ?? "")}`, rc);
    else invalid(resource, "HttpConnectionManager needs rds or route_config");

    const filters = arrayField(resource, hcm, "http_filters");
    const factories: HttpFilterFactory[] = [];
    let terminalSeen = false;
    for (let i = 0; i < filters.length; i++) {
      const f = filters[i];
      const name = stringField(resource, f, "name") ?? "";
      const tc = objectField(resource, f, "typed_config");
      const typeUrl = typeof tc?.["@type"] === "string" ? tc["@type"] : "";
      const factory = lookupHttpFilter(typeUrl);
      if (!factory) {
        if (f.is_optional === true) continue;
        invalid(resource, `http filter ${name}: unknown type ${typeUrl || "(no typed_config)"}`);
      }
      if (terminalSeen) invalid(resource, `http filter ${name} follows the terminal filter`);
      if (factory.terminal) { terminalSeen = true; continue; }
      const ff = factory.createFilterFactory(tc!, `${resource}: http filter ${name}`, statsFor(statPrefix));
      if (ff) factories.push(ff);
    }
    if (!terminalSeen) invalid(resource, "http_filters must end with a terminal filter (envoy.filters.http.router)");
    return new HttpConnectionManagerConfig(statPrefix, rdsName, inlineRoutes, factories, statsFor(statPrefix), parseUpgradeConfigs(resource, hcm),
      wrapped(objectField(resource, hcm, "http_protocol_options") ?? {}, "enable_trailers", false));
  }
}

/**
 * HttpConnectionManager.upgrade_configs: the enabled upgrade types. Per-type custom `filters` are refused
 * (Weft runs upgrades through the default chain; Istio never sets them). Envoy matches types case-insensitively.
 */
function parseUpgradeConfigs(resource: string, hcm: XdsObject): Map<string, boolean> {
  const types = new Map<string, boolean>();
  for (const u of arrayField(resource, hcm, "upgrade_configs")) {
    const type = stringField(resource, u, "upgrade_type") ?? invalid(resource, "upgrade_configs entry without upgrade_type");
    if (arrayField(resource, u, "filters").length > 0) invalid(resource, `upgrade_configs ${type}: custom filters are not supported`);
    types.set(type.toLowerCase(), wrapped(u, "enabled", true));
  }
  return types;
}
