// The http_filters of a sidecar HttpConnectionManager, in Istio's order (pilot listener_builder.go buildHTTPConnectionManager).

import { CORS_TYPE, FAULT_TYPE } from "../../../xds/type-urls.js";
import type { Proxy } from "../../model/proxy.js";
import { routerFilter, type EnvoyObject } from "../envoy-objects.js";

export const FAULT_FILTER_NAME = "envoy.filters.http.fault";
export const CORS_FILTER_NAME = "envoy.filters.http.cors";

/**
 * Istio appends, after the (not yet generated) authn/authz/metadata-exchange/ALPN filters, `envoy.filters.http.fault`
 * and `envoy.filters.http.cors` with empty configs ("TypedPerFilterConfig in route needs these filters": the policy
 * comes per route), then telemetry filters, then the router last. Inbound and outbound HCMs get the same pair.
 */
export function httpFilters(_proxy: Proxy, _direction: "inbound" | "outbound"): EnvoyObject[] {
  return [
    { name: FAULT_FILTER_NAME, typed_config: { "@type": FAULT_TYPE } },
    { name: CORS_FILTER_NAME, typed_config: { "@type": CORS_TYPE } },
    routerFilter(),
  ];
}
