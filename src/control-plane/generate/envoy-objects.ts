// Small builders for the Envoy v3 objects every generator uses (plain snake_case, packAny-ready).

import { jsonToStruct } from "../../xds/discovery.js";
import { HCM_TYPE, ROUTER_TYPE } from "../../xds/type-urls.js";

export const HCM_FILTER_NAME = "envoy.filters.network.http_connection_manager";
export const ROUTER_FILTER_NAME = "envoy.filters.http.router";
export const CONNECT_TIMEOUT = Object.freeze({ seconds: 10 });
export const NO_TIMEOUT = Object.freeze({ seconds: 0 });

export type EnvoyObject = Record<string, unknown>;

/** `{ads: {}, resource_api_version: "V3"}`: fetch over the same ADS stream. */
export function adsConfigSource(): EnvoyObject {
  return { ads: {}, resource_api_version: "V3" };
}

export function socketAddress(address: string, port: number): EnvoyObject {
  return { socket_address: { address, port_value: port } };
}

/** The terminal HTTP filter; always last in http_filters. */
export function routerFilter(): EnvoyObject {
  return { name: ROUTER_FILTER_NAME, typed_config: { "@type": ROUTER_TYPE } };
}

/** An HttpConnectionManager network filter; `fields` carries stat_prefix and rds or route_config, and may set http_filters (default: the router alone). */
export function httpConnectionManagerFilter(fields: EnvoyObject): EnvoyObject {
  return {
    name: HCM_FILTER_NAME,
    typed_config: { "@type": HCM_TYPE, http_filters: [routerFilter()], ...fields, use_remote_address: { value: false } },
  };
}

/** Metadata `filter_metadata.istio` as Istio writes it (read back by istioctl and dashboards). */
export function istioMetadata(fields: Record<string, unknown>): EnvoyObject {
  return { filter_metadata: { istio: jsonToStruct(fields) } };
}

/** Istio's config path for metadata: `/apis/networking.istio.io/v1/namespaces/<ns>/<kind>/<name>`. */
export function configPath(kind: "virtual-service" | "destination-rule", namespace: string, name: string): string {
  return `/apis/networking.istio.io/v1/namespaces/${namespace}/${kind}/${name}`;
}
