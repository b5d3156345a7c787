// The http_filters of a sidecar HttpConnectionManager, in Istio's order (pilot listener_builder.go buildHTTPConnectionManager).

import { CORS_TYPE } from "../../../xds/type-urls.js";
import { routerFilter, type EnvoyObject } from "../envoy-objects.js";
import { faultFilter } from "../policy/fault.js";
import { CORS_FILTER_NAME } from "../routes/route-actions.js";

/**
 * Istio appends, after the (not yet generated) authn/authz/metadata-exchange/ALPN filters, `envoy.filters.http.fault`
 * and `envoy.filters.http.cors` with empty configs ("TypedPerFilterConfig in route needs these filters": the policy
 * comes per route), then telemetry filters, then the router last. Inbound and outbound HCMs get the same list, built
 * once and shared (read-only) by every listener.
 */
export const SIDECAR_HTTP_FILTERS: readonly EnvoyObject[] = Object.freeze([
  faultFilter(),
  { name: CORS_FILTER_NAME, typed_config: { "@type": CORS_TYPE } },
  routerFilter(),
]);
